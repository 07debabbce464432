"""Atomic file replacement and cross-process locks.

A write goes to a temp file in the same directory, is fsynced, takes the old file's mode
(mkstemp makes 0600 files, which would lock other readers out), replaces the target with
`os.replace` and fsyncs the directory. Locks live in separate `<name>.lock` files: the data
file's inode changes on every replace, so locking it would lock nothing. `filelock` locks are
advisory and unreliable on NFS.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import CatalogError, SyncBusy

DEFAULT_MODE = 0o644


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, backup: bool = False) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a mix.

    With `backup`, the previous file is kept as `<name>.bak` (a hard link where possible,
    so the backup costs no copy and the live file is never absent).
    """
    directory = path.parent
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = DEFAULT_MODE
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CatalogError(f"cannot write in {directory}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if backup and path.exists():
            bak = path.with_name(path.name + ".bak")
            bak_tmp = path.with_name(f".{path.name}.bak.tmp")
            with contextlib.suppress(FileNotFoundError):
                bak_tmp.unlink()
            try:
                os.link(path, bak_tmp)
            except OSError:
                shutil.copy2(path, bak_tmp)
            os.replace(bak_tmp, bak)
        os.replace(tmp, path)
        _fsync_dir(directory)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CatalogError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def atomic_write_json(path: Path, obj: object, *, backup: bool = False) -> None:
    data = json.dumps(obj, indent=1, ensure_ascii=False).encode() + b"\n"
    atomic_write_bytes(path, data, backup=backup)


def read_json(path: Path, what: str) -> object:
    """Load a JSON file, failing with one line that names the file and the problem."""
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CatalogError(f"{what} {path} does not exist") from None
    except PermissionError:
        raise CatalogError(f"{what} {path} is not readable (permission denied)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{what} {path} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise CatalogError(f"{what} {path} cannot be read: {exc.strerror}") from None


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
            raise CatalogError(f"cannot take lock {lock_file}: {exc.strerror or exc}") from exc
        try:
            yield
        finally:
            lock.release()
    finally:
        local.release()
