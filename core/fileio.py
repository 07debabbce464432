"""The one place where pricesync opens files in its data dir: atomic replacement, reads and
appends that never follow a symbolic link, and cross-process locks.

No open follows a link at the final name: reads and appends use `O_NOFOLLOW`, and anything at
a name that is not a regular file (a symlink, a FIFO, a device) is refused with one line naming
it. (The data dir itself may be a link: the operator chose its path.) A write goes to a fresh
temp file `.<name>.<random>.tmp` created with `O_CREAT|O_EXCL|O_NOFOLLOW` in the target's
directory, is fsynced, takes the old file's mode (or 0644, so other readers keep access),
replaces the target with `os.replace` and fsyncs the directory; a failure (a full disk) removes
the temp file. Each write first sweeps the temp files a killed writer left for the same target:
every data-dir file is written under its lock, so a live writer's temp file is never swept.

Locks live in separate `<name>.lock` files: the data file's inode changes on every replace, so
locking it would lock nothing. `filelock` locks are advisory and unreliable on NFS.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import CatalogError, SyncBusy

DEFAULT_MODE = 0o644
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # O_NONBLOCK: a FIFO never blocks the open


def describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


_LINK = "a symbolic link"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the refusal; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return _LINK
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _refused(what: str, path: Path, kind: str) -> CatalogError:
    why = " (pricesync opens no file through a link)" if kind == _LINK else ""
    return CatalogError(f"{what} {path} is {kind}: refused{why}")


def _lstat_regular(path: Path, what: str) -> os.stat_result | None:
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CatalogError(f"{what} {path} cannot be read: {describe(exc)}") from None
    kind = _kind(st.st_mode)
    if kind:
        raise _refused(what, path, kind)
    return st


def regular_file_exists(path: Path, what: str) -> bool:
    """True for a regular file, False if nothing is at `path`; anything else (a symlink, even a
    dangling one, a FIFO, a directory) is refused with one line naming it."""
    return _lstat_regular(path, what) is not None


def open_regular(path: Path, flags: int, what: str, mode: int = DEFAULT_MODE) -> int:
    """`os.open` that never follows a link at `path` and returns only a regular file's fd."""
    try:
        fd = os.open(path, flags | _NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refused(what, path, _LINK) from None
        raise
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise _refused(what, path, kind)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_pattern(path: Path) -> re.Pattern[str]:
    """Names of this target's temp files: `.<name>.<word>.tmp` (also what earlier versions and
    mkstemp left), never the target or anything else."""
    return re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]+\.tmp")


def sweep_temps(path: Path) -> None:
    """Remove the temp files of killed writers of `path`. unlink removes a link, never its target."""
    pattern = _temp_pattern(path)
    try:
        names = [e.name for e in os.scandir(path.parent) if pattern.fullmatch(e.name)]
    except OSError:
        return  # the write that follows reports an unusable directory
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temp file beside `path` (mode 0600 until it is complete)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temp file name", str(path.parent))


def atomic_write_bytes(path: Path, data: bytes, *, backup: bool = False) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a mix.

    With `backup`, the previous file is kept as `<name>.bak` (a hard link where possible,
    so the backup costs no space and the live file is never absent).
    """
    old = _lstat_regular(path, "file")
    if backup:
        regular_file_exists(_bak(path), "backup")
    mode = stat.S_IMODE(old.st_mode) & 0o777 if old else DEFAULT_MODE
    sweep_temps(path)
    try:
        tmp = _written_temp(path, data, mode)
    except OSError as exc:
        raise CatalogError(f"cannot write {path}: {describe(exc)}") from exc
    try:
        if backup and old:
            _keep_backup(path)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CatalogError(f"cannot write {path}: {describe(exc)}") from exc
        raise


def _written_temp(path: Path, data: bytes, mode: int) -> Path:
    """A new temp file beside `path` holding `data` with `mode`, flushed to disk; its name.
    CatalogError if it cannot be created; if it cannot be written it is removed and the OSError
    raised."""
    try:
        fd, tmp = _create_temp(path)
    except OSError as exc:
        raise CatalogError(f"cannot write in {path.parent}: {describe(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_create_bytes(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, complete or not at all, and never over anything: a temp
    file is written, then hard-linked to the name (which fails if any file or link is there:
    FileExistsError). Where the filesystem has no hard links, the name is created with O_EXCL
    and written in place."""
    try:
        tmp = _written_temp(path, data, DEFAULT_MODE)
    except OSError as exc:
        raise CatalogError(f"cannot write {path}: {describe(exc)}") from exc
    try:
        try:
            os.link(tmp, path, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            _create_in_place(path, data)
        _fsync_dir(path.parent)
    except FileExistsError:
        raise
    except OSError as exc:
        raise CatalogError(f"cannot write {path}: {describe(exc)}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _create_in_place(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, DEFAULT_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        os.fsync(f.fileno())


def _bak(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _keep_backup(path: Path) -> None:
    """`<name>.bak` becomes the current file: a hard link swapped in atomically, or (where the
    filesystem has no hard links) a copy written like any other file."""
    bak = _bak(path)
    sweep_temps(bak)
    tmp = bak.with_name(f".{bak.name}.{secrets.token_hex(8)}.tmp")
    try:
        os.link(path, tmp, follow_symlinks=False)
    except OSError:
        atomic_write_bytes(bak, read_bytes(path, "file"))
        return
    try:
        os.replace(tmp, bak)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def json_bytes(obj: object, path: Path) -> bytes:
    """`obj` as the data dir's JSON files are written (indented by one space, UTF-8, a final
    newline); one line naming `path` if it cannot be."""
    try:
        return json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False).encode() + b"\n"
    except ValueError as exc:  # NaN or an infinity: not JSON any other reader accepts; a lone surrogate
        raise CatalogError(f"cannot write {path}: {exc}") from None


def atomic_write_json(path: Path, obj: object, *, backup: bool = False) -> None:
    atomic_write_bytes(path, json_bytes(obj, path), backup=backup)


def read_bytes(path: Path, what: str) -> bytes:
    """A regular file's bytes, never through a link; failures are one line naming the file."""
    try:
        with os.fdopen(open_regular(path, os.O_RDONLY, what), "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise CatalogError(f"{what} {path} does not exist") from None
    except PermissionError:
        raise CatalogError(f"{what} {path} is not readable (permission denied)") from None
    except OSError as exc:
        raise CatalogError(f"{what} {path} cannot be read: {describe(exc)}") from None


def read_json(path: Path, what: str) -> object:
    """Load a JSON file, failing with one line that names the file and the problem."""
    return decode_json(read_bytes(path, what), path, what)


def decode_json(data: bytes, path: Path, what: str) -> object:
    """The JSON document in `data`, read from `path`; one line naming the file if it is not one."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{what} {path} is not valid JSON: {exc}") from None


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


_process_locks: dict[Path, threading.Lock] = {}
_process_locks_guard = threading.Lock()


@contextlib.contextmanager
def exclusive(lock_file: Path, *, wait_s: float, busy_message: str) -> Iterator[None]:
    """Hold a cross-process lock on `lock_file`; raise SyncBusy if not had within `wait_s`.

    A FileLock is re-entrant inside one process, so a second thread (the TUI's "sync now"
    beside a scheduled run) would walk straight in; a per-path threading lock taken first
    makes the lock exclusive between threads as well as processes.
    """
    regular_file_exists(lock_file, "lock file")  # older filelock versions open it through a link
    with _process_locks_guard:
        local = _process_locks.setdefault(lock_file.resolve(), threading.Lock())
    acquired = local.acquire(timeout=wait_s) if wait_s > 0 else local.acquire(blocking=False)
    if not acquired:
        raise SyncBusy(busy_message)
    try:
        lock = FileLock(lock_file, timeout=wait_s)
        try:
            lock.acquire()
        except Timeout:
            raise SyncBusy(busy_message) from None
        except OSError as exc:
            raise CatalogError(f"cannot take lock {lock_file}: {describe(exc)}") from exc
        try:
            yield
        finally:
            lock.release()
    finally:
        local.release()
