"""The price history never loses a run silently and never alters a foreign file (issue 9, item 5):
a locked database is retried within a bound, then the CLI says so; an SQLite file that is not
pricesync's is refused with one line, not migrated and not switched to WAL; `changes` and
`history` work on a read-only data dir. Real SQLite files, a real lock held by another
process, the real CLI."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from pricesync.core.history import FILENAME, MIGRATIONS, HistoryStore

from tests.conftest import EU_V2, US_V2, V2, cli_env, one_line, read_only, serve_version

FOREIGN = {
    "other tables": (0, ["CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)"]),
    "our version, other tables": (1, ["CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)"]),
    "our tables and more": (1, [*MIGRATIONS[0], "CREATE TABLE notes (x)"]),
    "our tables, no version": (0, list(MIGRATIONS[0])),
}


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", FOREIGN)
def test_a_foreign_sqlite_file_is_refused_and_left_as_it_is(cli, settings, name):
    version, statements = FOREIGN[name]
    path = settings.data_dir / FILENAME
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    db.close()
    before = sha(path)
    refusal = (
        rf"{re.escape(str(path))} is not a pricesync price history "
        rf"\(its tables do not match schema version {version}\): refused, left as it is"
    )
    p = cli("sync")
    assert p.returncode == 0, p.stderr  # the sync itself succeeded: the history is a warning
    one_line(p.stderr, rf"^pricesync: warning: aws: price history not recorded: {refusal}$")
    for args in (("changes",), ("history", "m5.large")):
        p = cli(*args)
        assert p.returncode == 1
        one_line(p.stderr, rf"^pricesync: {refusal}$")
    assert sha(path) == before
    assert sorted(p.name for p in settings.data_dir.iterdir() if p.name.startswith(FILENAME)) == [FILENAME]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    db.close()


HOLDER = textwrap.dedent("""
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("held", flush=True)
    sys.stdin.read()
""")
# the real CLI, with the busy timeout shortened so the test does not wait the default 15 s
CLI_FAST_BUSY = textwrap.dedent("""
    import sys
    import pricesync.core.history
    pricesync.core.history.BUSY_TIMEOUT_S = 1.0
    from pricesync.core.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_a_locked_history_is_retried_then_reported(cli, settings, aws_server):
    assert cli("sync").returncode == 0
    serve_version(aws_server, V2, US_V2, EU_V2)
    path = settings.data_dir / FILENAME
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        p = subprocess.run(
            [sys.executable, "-c", CLI_FAST_BUSY, "sync", "--json"],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert p.returncode == 0, p.stderr
    warning = (
        rf"aws: price history not recorded: cannot write {re.escape(str(path))}: database is locked "
        r"\(another process held it for the 1 s pricesync waits\)"
    )
    one_line(p.stderr, rf"^pricesync: warning: {warning}$")
    out = json.loads(p.stdout)
    assert out["status"] == "updated" and len(out["warnings"]) == 1 and re.fullmatch(warning, out["warnings"][0])
    assert cli("sync", "--force").returncode == 0  # the lock is gone: recorded again
    assert HistoryStore(settings.data_dir).runs()[0].status == "updated"


def test_changes_and_history_work_on_a_read_only_data_dir(cli, settings, aws_server):
    assert cli("sync").returncode == 0
    serve_version(aws_server, V2, US_V2, EU_V2)
    assert cli("sync").returncode == 0
    with read_only(settings.data_dir):
        changes = cli("changes", "--json")
        history = cli("history", "m5.large", "--region", "us-east-1")
    assert changes.returncode == 0, changes.stderr
    assert len(json.loads(changes.stdout)) == 5
    assert history.returncode == 0, history.stderr
    assert "0.1000" in history.stdout and history.stderr == ""
