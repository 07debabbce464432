"""Files in the data dir (issue 9, items 1, 2 and 15): no open follows a symbolic link planted at
any name pricesync uses, leftovers of killed writers are swept, a full disk is one line and no
partial file, and a data dir that is a file or read-only says so. Everything runs the real
`pricesync` CLI as a subprocess against real files (a real small tmpfs for the full disk)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EU_WEST_1, US_EAST_1, V2, one_line, read_only, serve_aws, small_catalog

VICTIM = b"precious data that is not pricesync's\n"


@pytest.fixture
def synced(cli, settings):
    """The data dir after one sync without write-back: catalog, cache, state, log, history."""
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    return settings.data_dir


def plant_link(data: Path, name: str, target: Path) -> Path:
    link = data / name
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)
    return link


def fingerprint(path: Path) -> tuple[str, int]:
    st = path.lstat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(st.st_mode)


def a_price_change(server) -> None:
    """A new price list version, so that a write-back has something to write."""
    serve_aws(
        server,
        {"us-east-1": (V2, US_EAST_1 | {("m5.large", "Linux"): "0.1000000000"}), "eu-west-1": (V2, EU_WEST_1)},
        index_etag='"idx-2"',
    )


# name -> (CLI args, exit code, what the one stderr line says about the link)
REFUSED = "is a symbolic link: refused"
LINKS = {
    "aws_catalog.json": (("list",), 1, "catalog"),
    "aws_cache.json": (("sync", "--write-back"), 1, "price cache"),
    "state.json": (("sync",), 1, "state file"),
    "aws_catalog.json.bak": (("sync", "--write-back"), 1, "backup"),
    "aws.sync.lock": (("sync",), 1, "lock file"),
    "aws_catalog.json.lock": (("sync", "--write-back"), 1, "lock file"),
    "state.json.lock": (("sync",), 1, "lock file"),
    "sync.log": (("sync",), 0, "log file"),
    "history.sqlite3": (("sync",), 0, "price history"),
    "history.sqlite3-wal": (("sync",), 0, "price history file"),
    "history.sqlite3-shm": (("sync",), 0, "price history file"),
    "history.sqlite3-journal": (("sync",), 0, "price history file"),
}


@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
@pytest.mark.parametrize("name", LINKS)
def test_no_open_follows_a_planted_link(cli, synced, aws_server, tmp_path, name, dangling):
    args, code, what = LINKS[name]
    a_price_change(aws_server)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / f"victim-{name}"
    if not dangling:
        # a copy of the real file where there is one, so that following the link would "work"
        original = synced / name
        target.write_bytes(original.read_bytes() if original.is_file() else VICTIM)
        target.chmod(0o600)
        before = fingerprint(target)
    link = plant_link(synced, name, target)
    p = cli(*args)
    assert p.returncode == code, p.stderr
    line = f"{what} {link} {REFUSED}"
    assert p.stderr.count("\n") == 1 and line in p.stderr, p.stderr
    assert link.is_symlink()
    if dangling:
        assert not target.exists()
    else:
        assert fingerprint(target) == before
    assert sorted(os.listdir(outside)) == ([] if dangling else [target.name])


def test_first_run_copy_never_uses_a_predictable_name(cli, settings, tmp_path):
    """The first-run copy used `.aws_catalog.json.first`: a link there made `list` overwrite
    and chmod the link's target."""
    data = settings.data_dir
    (data / "aws_catalog.json").unlink()
    victim = tmp_path / "victim"
    victim.write_bytes(VICTIM)
    victim.chmod(0o600)
    before = fingerprint(victim)
    plant_link(data, ".aws_catalog.json.first", victim)
    p = cli("list", "--json")
    assert p.returncode == 0, p.stderr
    assert fingerprint(victim) == before
    catalog = data / "aws_catalog.json"
    assert not catalog.is_symlink() and stat.S_IMODE(catalog.stat().st_mode) == 0o644
    assert json.loads(p.stdout)


def test_a_fifo_is_refused_not_waited_on(cli, synced):
    state = synced / "state.json"
    state.unlink()
    os.mkfifo(state)
    p = cli("sync", timeout=30)
    assert p.returncode == 1
    one_line(p.stderr, rf"state file {re.escape(str(state))} is not a regular file: refused")


# -- leftovers of killed writers ------------------------------------------------------------------

LEFTOVERS = [
    ".aws_catalog.json.0123456789abcdef.tmp",  # a catalog write (or the first-run copy)
    ".aws_catalog.json.bak.0123456789abcdef.tmp",  # the backup's hard link
    ".aws_cache.json.fedcba9876543210.tmp",
    ".state.json.k1ll3d_x.tmp",  # mkstemp's name, as earlier versions left it
    ".aws_catalog.json.bak.tmp",  # the earlier fixed backup name
]
KEPT = [".aws_cache.json.keep", "notes.tmp", ".aws_cache.json.a.b.tmp", "aws_cache.json.0123.tmp"]


def test_leftovers_of_killed_writers_are_swept(cli, synced, aws_server, tmp_path):
    a_price_change(aws_server)
    victim = tmp_path / "victim"
    victim.write_bytes(VICTIM)
    for name in LEFTOVERS + KEPT:
        (synced / name).write_bytes(b"partial")
    plant_link(synced, ".aws_cache.json.00000000deadbeef.tmp", victim)  # a leftover that is a link
    p = cli("sync", "--write-back")
    assert p.returncode == 0, p.stderr
    names = set(os.listdir(synced))
    assert not names & {*LEFTOVERS, ".aws_cache.json.00000000deadbeef.tmp"}
    assert set(KEPT) <= names
    assert victim.read_bytes() == VICTIM


def test_a_killed_first_run_copy_is_swept_by_the_next(cli, settings):
    data = settings.data_dir
    (data / "aws_catalog.json").unlink()
    leftover = data / ".aws_catalog.json.0123456789abcdef.tmp"
    leftover.write_bytes(b'{"schema_version": 1, "entr')
    assert cli("list").returncode == 0
    assert not leftover.exists()


# -- a full disk ------------------------------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path):
    """A real 24 MB tmpfs; skipped where this process may not mount one."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(fs: Path, leave_bytes: int) -> None:
    """Fill `fs` until about `leave_bytes` are free."""
    free = os.statvfs(fs).f_bavail * os.statvfs(fs).f_frsize - leave_bytes
    with open(fs / "filler", "wb") as f:
        while free > 0:
            try:
                free -= f.write(b"\0" * min(free, 1 << 20))
                f.flush()
            except OSError:
                break


def temps(d: Path) -> list[str]:
    return [n for n in os.listdir(d) if n.endswith(".tmp")]


FILLER = 20_000  # never-synced entries in another region: a catalog of several MB


def big_data_dir(fs: Path) -> Path:
    data = fs / "data"
    data.mkdir()
    entries = json.loads(small_catalog(data / "aws_catalog.json").read_text())["entries"]
    entries += [
        dict(entries[0], instance_type=f"z{i}.large", family=f"z{i}", region="ap-filler-1") for i in range(FILLER)
    ]
    small_catalog(data / "aws_catalog.json", entries)
    return data


def test_full_disk_at_the_first_write_is_one_line(cli, tmpfs, aws_server):
    data = tmpfs / "data"
    data.mkdir()
    small_catalog(data / "aws_catalog.json")
    assert cli("sync", "--data-dir", str(data)).returncode == 0
    a_price_change(aws_server)
    state = (data / "state.json").read_bytes()
    (data / "sync.log").unlink()  # a new log needs a page of its own: logging fails too
    fill(tmpfs, 0)
    p = cli("sync", "--write-back", "--data-dir", str(data))
    assert p.returncode == 1
    one_line(p.stderr, rf"aws sync failed: cannot write {re.escape(str(data))}/state\.json: No space left on device$")
    assert (data / "state.json").read_bytes() == state
    assert temps(data) == []
    assert (data / "sync.log").stat().st_size == 0


def test_full_disk_during_write_back_leaves_the_catalog_whole(cli, tmpfs):
    """(A guard on what already held: the temp file goes, no backup is made, one line.)"""
    data = big_data_dir(tmpfs)
    catalog = (data / "aws_catalog.json").read_bytes()
    fill(tmpfs, len(catalog) // 2)  # room for the cache, the state and the log, not a new catalog
    p = cli("sync", "--write-back", "--region", "us-east-1", "--region", "eu-west-1", "--data-dir", str(data))
    assert p.returncode == 1
    one_line(
        p.stderr, rf"aws sync failed: cannot write {re.escape(str(data))}/aws_catalog\.json: No space left on device$"
    )
    assert "Logging error" not in p.stderr
    assert (data / "aws_catalog.json").read_bytes() == catalog
    assert not (data / "aws_catalog.json.bak").exists()
    assert temps(data) == []


# -- the data dir itself (item 15) ------------------------------------------------------------------


@pytest.mark.parametrize("args", [("sync",), ("list",), ("changes",), ("history", "m5.large")])
def test_a_data_dir_that_is_a_file_says_so(cli, tmp_path, args):
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"x")
    p = cli(*args, "--data-dir", str(blocker))
    assert p.returncode == 1
    one_line(p.stderr, rf"data dir {re.escape(str(blocker))} is a file, not a directory$")
    assert blocker.read_bytes() == b"x"


def test_a_read_only_data_dir_says_so(cli, synced):
    with read_only(synced):
        p = cli("sync", "--write-back")
        listed = cli("list", "--json")
    assert p.returncode == 1
    one_line(p.stderr, rf"data dir {re.escape(str(synced))} is not writable")  # checked at start
    assert listed.returncode == 0 and json.loads(listed.stdout)
