"""Price history: `history.sqlite3` in the data dir records every sync run (updated, unchanged
or failed, with its error) and every price that moved against the previous price cache
(written back or not). A run refused because another held the lock did not happen and is not
recorded.

Only changes are stored, never full copies: a region's first fetch is the baseline and adds no
rows; after that a row is a price that changed, a key that appeared in an already-cached
region (old = None) or one that left it (new = None). Each row names its price kind
(`price_kind`: "on-demand" for price_per_hour, else a kind of core.kinds, told in effective
hourly rates; a kind that appears or leaves for a key is old = None / new = None). Prices stay
decimal strings; `pct` is a derived float kept for sorting and filtering.

Hourly kinds (spot) are thinned as they age: the last point per entry per day after
DAILY_AFTER_DAYS, per week after WEEKLY_AFTER_DAYS, per month after MONTHLY_AFTER_MONTHS (see
`_thin`); other kinds are kept whole.

The daemon and the TUI may write at once: WAL mode, a busy timeout and `BEGIN IMMEDIATE` for
every write. One short-lived connection per call, so any thread may use a `HistoryStore`.
Readers open the file read-only (so `changes` works in a read-only data dir). A file that is not
pricesync's (other tables, or a `user_version` its tables disagree with) is refused before
anything writes to it, migrates it or switches it to WAL; no link is followed (see core.fileio).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import CatalogError, PriceSyncError
from .fileio import regular_file_exists
from .formats import utc_now
from .kinds import ON_DEMAND
from .models import Key, PriceChange, SyncResult, kind_changes

if TYPE_CHECKING:
    from .cache import PriceCache

log = logging.getLogger("pricesync.history")

FILENAME = "history.sqlite3"
COMPANIONS = ("-wal", "-shm", "-journal")  # SQLite's files beside the database
BUSY_TIMEOUT_S = 15.0  # a locked database is retried (SQLite's busy handler) this long

# MIGRATIONS[n] takes the schema from version n to n + 1 (PRAGMA user_version); append, never edit.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE run (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            at TEXT NOT NULL,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            regions TEXT NOT NULL,
            source_version TEXT,
            records INTEGER NOT NULL,
            changed INTEGER NOT NULL,
            added INTEGER NOT NULL,
            removed INTEGER NOT NULL,
            wrote_back INTEGER NOT NULL,
            error TEXT,
            duration_s REAL NOT NULL)""",
        "CREATE INDEX run_provider_at ON run (provider, at)",
        """CREATE TABLE entry (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            instance_type TEXT NOT NULL,
            region TEXT NOT NULL,
            os TEXT NOT NULL,
            UNIQUE (provider, instance_type, region, os))""",
        """CREATE TABLE change (
            run_id INTEGER NOT NULL REFERENCES run (id),
            entry_id INTEGER NOT NULL REFERENCES entry (id),
            old TEXT,
            new TEXT,
            pct REAL,
            PRIMARY KEY (entry_id, run_id)) WITHOUT ROWID""",
        "CREATE INDEX change_run ON change (run_id)",
    ),
    (  # price kinds: a change names its kind; one entry may move in several kinds in one run
        """CREATE TABLE change_kinds (
            run_id INTEGER NOT NULL REFERENCES run (id),
            entry_id INTEGER NOT NULL REFERENCES entry (id),
            price_kind TEXT NOT NULL,
            old TEXT,
            new TEXT,
            pct REAL,
            PRIMARY KEY (entry_id, price_kind, run_id)) WITHOUT ROWID""",
        """INSERT INTO change_kinds (run_id, entry_id, price_kind, old, new, pct)
            SELECT run_id, entry_id, 'on-demand', old, new, pct FROM change""",
        "DROP TABLE change",
        "ALTER TABLE change_kinds RENAME TO change",
        "CREATE INDEX change_run ON change (run_id)",
    ),
    (  # downsampling: when old spot points were last thinned
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    ),
]

# Downsampling (see thin()): kinds that move hourly are thinned; on-demand, reserved and
# savings-plan prices move monthly and are kept whole.
THINNED_KINDS = ("spot",)
DAILY_AFTER_DAYS = 7  # changes older than this keep the last point of each entry per UTC day
WEEKLY_AFTER_DAYS = 90  # older than this, the last point per week (weeks start on Monday)
# before the first day of the month this many months back, the last point per calendar month:
# after a year each price adds 12 points a year (the cutoff moves once a month)
MONTHLY_AFTER_MONTHS = 12
_THINNED_ON = "thinned_on"  # meta key: the UTC day of the last thinning


class HistoryError(PriceSyncError):
    """history.sqlite3 cannot be opened, read or written."""


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    provider: str
    at: str
    mode: str
    status: str
    regions: tuple[str, ...]
    source_version: str | None
    records: int
    changed: int
    added: int
    removed: int
    wrote_back: bool
    error: str | None
    duration_s: float

    @property
    def total_changes(self) -> int:
        return self.changed + self.added + self.removed

    def to_json(self) -> dict[str, Any]:
        return {name: list(v) if isinstance(v := getattr(self, name), tuple) else v for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class ChangeRow:
    run_id: int
    at: str
    provider: str
    instance_type: str
    region: str
    os: str
    old: str | None  # None: the key appeared
    new: str | None  # None: the key left the source
    pct: float | None
    source_version: str | None
    price_kind: str = ON_DEMAND  # "on-demand" or a kind of core.kinds (its effective hourly rate)

    @property
    def key(self) -> Key:
        return (self.instance_type, self.region, self.os)

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__} | {"kind": self.kind}


Row = tuple[Any, ...]  # a row as sqlite3 returns it


# One price that moved between two caches (old None: appeared, new None: left): the same value
# as a price change against the catalog.
CacheChange = PriceChange


def cache_changes(before: PriceCache | None, written: PriceCache | None) -> list[CacheChange]:
    """What moved from `before` to `written`, on-demand and per kind. A region `before` did not
    hold is a baseline; a key that appears or leaves is one on-demand row (its kinds with it)."""
    if before is None or written is None:
        return []
    old = {r.key: r for r in before.records}
    known = set(before.regions)
    out: list[CacheChange] = []
    seen: set[Key] = set()
    for rec in written.records:
        seen.add(rec.key)
        prev = old.get(rec.key)
        if prev is None:
            if rec.region in known:
                out.append(CacheChange(rec.key, None, rec.price_per_hour))
            continue
        if prev.price_per_hour != rec.price_per_hour and Decimal(prev.price_per_hour) != Decimal(rec.price_per_hour):
            out.append(CacheChange(rec.key, prev.price_per_hour, rec.price_per_hour))
        if prev.prices or rec.prices:
            out += kind_changes(rec.key, prev.prices, rec.prices)
    out.extend(
        CacheChange(key, rec.price_per_hour, None)
        for key, rec in old.items()
        if key not in seen and key[1] in written.regions
    )
    return out


def count_kinds(changes: Sequence[CacheChange]) -> tuple[int, int, int]:
    """(changed, added, removed)"""
    added = sum(1 for c in changes if c.old is None)
    removed = sum(1 for c in changes if c.new is None)
    return len(changes) - added - removed, added, removed


_RUN_COLUMNS = (
    "id, provider, at, mode, status, regions, source_version, records, changed, added, removed, wrote_back, "
    "error, duration_s"
)
_CHANGE_SELECT = """SELECT c.run_id, r.at, e.provider, e.instance_type, e.region, e.os, c.old, c.new, c.pct,
    r.source_version, c.price_kind FROM change c JOIN run r ON r.id = c.run_id JOIN entry e ON e.id = c.entry_id"""


def _run_row(row: Row) -> RunRow:
    values = list(row)
    values[5] = tuple(json.loads(values[5]))
    values[11] = bool(values[11])
    return RunRow(*values)


class HistoryStore:
    """The history of one data dir. Readers never create the file; writers do."""

    def __init__(self, data: Path) -> None:
        self.path = Path(data) / FILENAME

    # -- writing --------------------------------------------------------------------------------

    def record(
        self, result: SyncResult, given: Sequence[CacheChange | tuple[Key, str | None, str | None]], at: str
    ) -> int:
        """Store one sync run and its changes in one transaction; returns the run id. A change
        given as a plain (key, old, new) is an on-demand one."""
        changes = [c if isinstance(c, PriceChange) else PriceChange(*c) for c in given]
        changed, added, removed = count_kinds(changes)
        with self._write() as db:
            run_id = db.execute(
                f"INSERT INTO run ({_RUN_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.provider,
                    at,
                    result.mode,
                    result.status,
                    json.dumps(list(result.regions)),
                    result.source_version,
                    result.records,
                    changed,
                    added,
                    removed,
                    int(result.wrote_back),
                    result.error,
                    round(result.duration_s, 3),
                ),
            ).lastrowid
            assert run_id is not None  # an INSERT always sets it
            if changes:
                db.executemany(
                    "INSERT OR IGNORE INTO entry (provider, instance_type, region, os) VALUES (?, ?, ?, ?)",
                    ((result.provider, *c.key) for c in changes),
                )
                db.executemany(
                    """INSERT OR REPLACE INTO change (run_id, entry_id, price_kind, old, new, pct)
                       SELECT ?, id, ?, ?, ?, ? FROM entry
                       WHERE provider = ? AND instance_type = ? AND region = ? AND os = ?""",
                    ((run_id, c.price_kind, c.old, c.new, c.pct, result.provider, *c.key) for c in changes),
                )
            _thin(db, at)
        return run_id

    def thin(self, at: str) -> int:
        """Downsample old points of THINNED_KINDS as of `at` (see _thin); returns the rows dropped.
        `record` does this in its own transaction."""
        with self._write() as db:
            return _thin(db, at)

    # -- reading (the CLI and the TUI) ----------------------------------------------------------

    def changes(
        self,
        *,
        provider: str | None = None,
        since: str | None = None,
        instance: str | None = None,
        region: str | None = None,
        os: str | None = None,
        run_id: int | None = None,
        limit: int | None = None,
        price_kind: str | None = None,
    ) -> list[ChangeRow]:
        """Changes, newest first. `since` is an ISO-8601 UTC time ("2025-11-01" works too);
        `instance` is an instance type, a family ("m5" = "m5.*") or a glob ("m5*.x*");
        `price_kind` one kind ("on-demand" for price_per_hour), None every kind."""
        where, args = [], []
        filters = (("e.provider", provider), ("e.region", region), ("e.os", os), ("c.run_id", run_id))
        for column, value in (*filters, ("c.price_kind", price_kind)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:  # through the run ids, so the change_run index narrows the scan
            where.append("c.run_id IN (SELECT id FROM run WHERE at >= ?)")
            args.append(since)
        if instance is not None:
            if any(ch in instance for ch in "*?["):
                where.append("e.instance_type GLOB ?")
                args.append(instance)
            else:
                where.append("(e.instance_type = ? OR e.instance_type GLOB ?)")
                args += [instance, _glob_literal(instance) + ".*"]
        sql = _CHANGE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY c.run_id DESC, e.region, e.os, e.instance_type, c.price_kind"  # run ids grow in order
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [ChangeRow(*row) for row in self._read(sql, args)]

    def entry_history(self, key: Key, provider: str = "aws", price_kind: str = ON_DEMAND) -> list[ChangeRow]:
        """One entry's changes of one price kind, oldest first: the price before the first one
        is its `old`."""
        sql = (
            _CHANGE_SELECT
            + """ WHERE e.provider = ? AND e.instance_type = ? AND e.region = ? AND e.os = ?
            AND c.price_kind = ? ORDER BY c.run_id"""
        )
        return [ChangeRow(*row) for row in self._read(sql, [provider, *key, price_kind])]

    def runs(self, provider: str | None = None, limit: int | None = 20) -> list[RunRow]:
        """Sync runs, newest first."""
        sql = f"SELECT {_RUN_COLUMNS} FROM run" + (" WHERE provider = ?" if provider else "")
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_run_row(row) for row in self._read(sql, [provider] if provider else [])]

    def last_run(self, provider: str, *, with_changes: bool = False) -> RunRow | None:
        """The latest run of `provider`; with `with_changes`, the latest that stored changes."""
        cond = " AND changed + added + removed > 0" if with_changes else ""
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM run WHERE provider = ?{cond} ORDER BY id DESC LIMIT 1", [provider]
        )
        return _run_row(rows[0]) if rows else None

    # -- connections and schema -----------------------------------------------------------------

    def _check_files(self) -> bool:
        """Whether the history exists. A symlink (even a dangling one) or any non-regular file at
        its name, or at one of SQLite's companion files, is refused before SQLite opens anything."""
        try:
            for suffix in COMPANIONS:
                regular_file_exists(Path(f"{self.path}{suffix}"), "price history file")
            return regular_file_exists(self.path, "price history")
        except CatalogError as exc:
            raise HistoryError(str(exc)) from None

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        """A checked connection: the file is pricesync's history at a schema this version knows
        (migrated first, by a writer). Readers open it read-only."""
        self._check_files()
        db = (
            sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            if write
            else self._open_read_only()
        )
        try:
            if self._identify(db) < len(MIGRATIONS):
                if not write:  # only a writer migrates
                    db.close()
                    return self._connect(write=True)
                self._enable_wal(db)
                self._migrate(db)
            if write:
                db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that cannot write the file. In a read-only data dir SQLite cannot create
        the WAL index (-shm) a WAL file needs; with no -wal file there is nothing uncheckpointed,
        so the file is then read as immutable."""
        uri = f"file:{quote(str(self.path))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("PRAGMA user_version").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_CANTOPEN" or os.path.lexists(f"{self.path}-wal"):
                raise
        return sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None)

    def _identify(self, db: sqlite3.Connection) -> int:
        """The file's schema version, after checking that its tables are the ones pricesync's
        migrations make at that version. Any other SQLite file (other tables, or a user_version
        its tables disagree with) is refused before anything writes to it or switches it to WAL."""
        db.execute("BEGIN")  # one snapshot: another process may be migrating the file
        try:
            version: int = db.execute("PRAGMA user_version").fetchone()[0]
            tables = _schema(db)
        finally:
            if db.in_transaction:
                db.execute("COMMIT")
        if version > len(MIGRATIONS):
            raise HistoryError(
                f"{self.path} has schema version {version}, newer than this pricesync knows ({len(MIGRATIONS)})"
            )
        if tables != _expected_schema(tuple(MIGRATIONS[:version])):
            raise HistoryError(
                f"{self.path} is not a pricesync price history (its tables do not match schema version "
                f"{version}): refused, left as it is"
            )
        return version

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring the schema to len(MIGRATIONS), each step in its own transaction."""
        target = len(MIGRATIONS)
        while True:
            db.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version == target:
                    db.execute("COMMIT")
                    break
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
                db.execute("COMMIT")
                log.info("history %s migrated to schema version %d", self.path, version + 1)
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @staticmethod
    def _enable_wal(db: sqlite3.Connection) -> None:
        """Switch a new file to WAL (persistent: stored in the file). The switch needs an
        exclusive lock and SQLite answers "locked" at once, without its busy handler, while a
        second process opens the same new file: retry within the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._connect(write=True)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
            finally:
                db.close()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"cannot write {self.path}: {_reason(exc)}") from None

    def _read(self, sql: str, args: Sequence[object]) -> list[Row]:
        if not self._check_files():
            return []
        try:
            db = self._connect(write=False)
            try:
                return db.execute(sql, args).fetchall()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read {self.path}: {_reason(exc)}") from None


def _thin(db: sqlite3.Connection, at: str) -> int:
    """Within the caller's write transaction, and at most once per UTC day of `at`: changes of
    THINNED_KINDS older than DAILY_AFTER_DAYS keep only the last point of each entry and kind
    per day, older than WEEKLY_AFTER_DAYS per week, before the monthly cutoff per month. The
    kept point takes the bucket's first `old` (and its pct), so the chain old -> new stays
    unbroken and the sparkline's trend right;
    the newest point of an entry is always the last of its bucket and is never dropped. A week
    that spans two months is two buckets, so the monthly tier keeps each month's own last point
    whether thinned once or every day."""
    today = at[:10]
    seen = db.execute("SELECT value FROM meta WHERE key = ?", (_THINNED_ON,)).fetchone()
    if seen is not None and seen[0] >= today:
        return 0
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_THINNED_ON, today))
    # weeks wholly before the week of the last thinning's weekly cutoff are single points
    # already, and months before its monthly cutoff: only the span the cutoffs moved over is read
    monthly = _month_cutoff(today)
    since = ""
    if seen is not None:
        since = _monday_before(seen[0], WEEKLY_AFTER_DAYS)
        if _month_cutoff(seen[0]) != monthly:  # once a month: those weeks become months
            since = min(since, _month_cutoff(seen[0]))
    kinds = ", ".join(f":k{i}" for i in range(len(THINNED_KINDS)))
    db.execute(
        f"""CREATE TEMP TABLE thin_ranked AS
        SELECT entry_id, price_kind, run_id,
            ROW_NUMBER() OVER bucket AS from_last,
            LAST_VALUE(old) OVER (bucket ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
                AS first_old
        FROM (SELECT c.entry_id, c.price_kind, c.run_id, c.old,
                CASE WHEN r.at < :monthly THEN 'm' || substr(r.at, 1, 7)
                     WHEN r.at < date(:at, :weekly)  -- a week split where a month ends (see below)
                        THEN 'w' || date(r.at, '-6 days', 'weekday 1') || substr(r.at, 1, 7)
                     ELSE 'd' || date(r.at) END AS bucket_key
              FROM change c JOIN run r ON r.id = c.run_id
              WHERE c.price_kind IN ({kinds}) AND r.at < date(:at, :daily) AND r.at >= :since)
        WINDOW bucket AS (PARTITION BY entry_id, price_kind, bucket_key ORDER BY run_id DESC)""",
        {
            "at": at,
            "since": since,
            "monthly": monthly,
            "weekly": f"-{WEEKLY_AFTER_DAYS} days",
            "daily": f"-{DAILY_AFTER_DAYS} days",
            **{f"k{i}": kind for i, kind in enumerate(THINNED_KINDS)},
        },
    )
    try:
        dropped = db.execute(
            """DELETE FROM change WHERE (entry_id, price_kind, run_id) IN
               (SELECT entry_id, price_kind, run_id FROM thin_ranked WHERE from_last > 1)"""
        ).rowcount
        db.execute(
            """UPDATE change SET old = t.first_old,
                 pct = CASE WHEN t.first_old IS NULL OR new IS NULL OR CAST(t.first_old AS REAL) = 0 THEN NULL
                       ELSE (CAST(new AS REAL) - CAST(t.first_old AS REAL)) / CAST(t.first_old AS REAL) * 100 END
               FROM thin_ranked t
               WHERE t.from_last = 1 AND t.first_old IS NOT change.old AND change.entry_id = t.entry_id
                 AND change.price_kind = t.price_kind AND change.run_id = t.run_id"""
        )
    finally:
        db.execute("DROP TABLE temp.thin_ranked")
    if dropped:
        log.info("history: %d old %s point(s) thinned", dropped, "/".join(THINNED_KINDS))
    return dropped


def _monday_before(day: str, days: int) -> str:
    """The Monday of the week holding `day` minus `days` (YYYY-MM-DD)."""
    start = date.fromisoformat(day) - timedelta(days=days)
    return (start - timedelta(days=start.weekday())).isoformat()


def _month_cutoff(day: str) -> str:
    """The first day of the month MONTHLY_AFTER_MONTHS before the month holding `day`."""
    d = date.fromisoformat(day)
    year, month = divmod(d.year * 12 + d.month - 1 - MONTHLY_AFTER_MONTHS, 12)
    return date(year, month + 1, 1).isoformat()


def _reason(exc: Exception) -> str:
    if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return f"{exc} (another process held it for the {BUSY_TIMEOUT_S:g} s pricesync waits)"
    return str(exc)


def _schema(db: sqlite3.Connection) -> frozenset[tuple[str, str, tuple[str, ...]]]:
    """(type, name, columns) of every table and index, without SQLite's own."""
    rows = db.execute(r"SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'").fetchall()
    return frozenset(
        (kind, name, tuple(col for (col,) in db.execute("SELECT name FROM pragma_table_info(?)", (name,))))
        for kind, name in rows
    )


@functools.cache
def _expected_schema(migrations: tuple[tuple[str, ...], ...]) -> frozenset[tuple[str, str, tuple[str, ...]]]:
    """The schema these migrations make, built in memory."""
    db = sqlite3.connect(":memory:")
    try:
        for step in migrations:
            for statement in step:
                db.execute(statement)
        return _schema(db)
    finally:
        db.close()


def _glob_literal(text: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)


class HistoryRecorder:
    """The sync listener that records every run and its changes against the previous cache."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    def __call__(self, result: SyncResult, before: PriceCache | None, written: PriceCache | None) -> None:
        if result.status == "busy":
            return  # another sync held the lock: this one never ran
        changes = cache_changes(before, written)
        try:
            self.store.record(result, changes, utc_now())
        except HistoryError as exc:  # the engine logs it and the CLI prints it as a warning
            raise HistoryError(f"price history not recorded: {exc}") from None
        if changes:
            changed, added, removed = count_kinds(changes)
            log.info(
                "%s history: %d price(s) changed, %d added, %d removed since the last fetch",
                result.provider,
                changed,
                added,
                removed,
            )
