"""The price history: runs and changes against the previous cache, across real syncs; schema
migrations; two processes writing at once."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest
from pricesync.core import build_engine, history
from pricesync.core.cache import PriceCache
from pricesync.core.history import CacheChange, HistoryError, HistoryStore, cache_changes
from pricesync.core.models import PriceRecord, SyncResult

from tests.conftest import EU_V2, M5_US, US_V2, US_V3, V2, V3, serve_version


@pytest.fixture
def engine(settings):
    return build_engine(settings)


@pytest.fixture
def store(settings):
    return HistoryStore(settings.data_dir)


def moved(rows) -> dict:
    return {r.key: (r.old, r.new) for r in rows}


def test_history_across_syncs_stores_only_changes(engine, store, aws_server):
    first = engine.sync("aws")
    assert first.status == "updated", first.error
    assert store.changes() == []  # the first fetch of a region is the baseline
    assert engine.sync("aws", force=True).status == "updated"  # same data downloaded again
    assert store.changes() == []
    assert engine.sync("aws").status == "unchanged"

    serve_version(aws_server, V2, US_V2, EU_V2)
    assert engine.sync("aws").status == "updated"
    rows = store.changes()
    assert moved(rows) == {
        M5_US: ("0.0960000000", "0.1000000000"),
        ("p4d.24xlarge", "us-east-1", "linux"): ("32.7726000000", "29.4953400000"),
        ("c6g.large", "eu-west-1", "linux"): ("0.0770000000", "0.0731500000"),
        ("x1e.32xlarge", "us-east-1", "linux"): (None, "26.6880000000"),
        ("t3.micro", "us-east-1", "rhel"): ("0.0392000000", None),
    }
    kinds = {r.key: (r.kind, None if r.pct is None else round(r.pct, 2)) for r in rows}
    assert kinds[M5_US] == ("changed", 4.17) and kinds[("c6g.large", "eu-west-1", "linux")] == ("changed", -5.0)
    assert kinds[("x1e.32xlarge", "us-east-1", "linux")] == ("added", None)
    assert kinds[("t3.micro", "us-east-1", "rhel")] == ("removed", None)
    assert {r.source_version for r in rows} == {V2}

    serve_version(aws_server, V3, US_V3, EU_V2)
    assert engine.sync("aws", write_back=True).wrote_back
    newest = store.changes()
    assert [moved(newest[:1])] == [{M5_US: ("0.1000000000", "0.1050000000")}] and len(newest) == 6
    assert [(r.old, r.new, r.source_version) for r in store.entry_history(M5_US)] == [
        ("0.0960000000", "0.1000000000", V2),
        ("0.1000000000", "0.1050000000", V3),
    ]
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT count(*) FROM change").fetchone() == (6,)

    runs = store.runs("aws")
    assert [r.status for r in runs] == ["updated", "updated", "unchanged", "updated", "updated"]
    assert [(r.changed, r.added, r.removed) for r in runs] == [(1, 0, 0), (3, 1, 1), (0, 0, 0), (0, 0, 0), (0, 0, 0)]
    assert runs[0].wrote_back and not runs[1].wrote_back
    assert runs[0].source_version == V3 and runs[0].regions == ("eu-west-1", "us-east-1")
    assert store.last_run("aws") == runs[0]
    assert store.last_run("aws", with_changes=True) == runs[0]
    assert store.last_run("gcp") is None


def test_filters(engine, store, aws_server):
    engine.sync("aws")
    serve_version(aws_server, V2, US_V2, EU_V2)
    engine.sync("aws")
    assert {r.key for r in store.changes(region="eu-west-1")} == {("c6g.large", "eu-west-1", "linux")}
    assert {r.key for r in store.changes(instance="m5")} == {M5_US}  # a family
    assert {r.key for r in store.changes(instance="*.24xlarge")} == {("p4d.24xlarge", "us-east-1", "linux")}
    assert {r.key for r in store.changes(os="rhel")} == {("t3.micro", "us-east-1", "rhel")}
    assert store.changes(provider="azure") == []
    assert len(store.changes(limit=2)) == 2
    at = store.last_run("aws").at
    assert len(store.changes(since=at)) == 5 and store.changes(since="2999-01-01") == []
    assert len(store.changes(run_id=store.last_run("aws").id)) == 5


def test_failed_runs_are_recorded_with_their_error_busy_ones_are_not(engine, store):
    failed = engine.sync("aws", regions=["ap-south-9"])
    assert failed.status == "failed"
    # "busy": another sync held the lock and nothing was attempted
    history.HistoryRecorder(store)(SyncResult(provider="aws", mode="public", status="busy"), None, None)
    assert engine.sync("aws").status == "updated"
    runs = store.runs()
    assert [r.status for r in runs] == ["updated", "failed"]
    assert runs[1].error == failed.error and "ap-south-9" in runs[1].error
    assert store.changes(run_id=runs[1].id) == []


def _cache(prices: dict, regions=("us-east-1",)) -> PriceCache:
    records = tuple(PriceRecord(t, r, o, p, "USD") for (t, r, o), p in prices.items())
    return PriceCache("aws", "public", "t", "v", {r: {} for r in regions}, records)


def test_cache_changes_compares_decimals_and_skips_new_regions():
    before = _cache({("a", "us-east-1", "linux"): "0.10"})
    after = _cache(
        {("a", "us-east-1", "linux"): "0.1000", ("b", "eu-west-1", "linux"): "1"}, ("us-east-1", "eu-west-1")
    )
    assert cache_changes(before, after) == []  # same price, other spelling; eu-west-1 is a baseline
    assert cache_changes(None, after) == [] and cache_changes(before, None) == []


def test_database_is_wal_with_a_schema_version(engine, store):
    engine.sync("aws")
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS),)


def test_reading_never_creates_the_file(store):
    assert store.changes() == [] and store.runs() == [] and store.last_run("aws") is None
    assert not store.path.exists()


# -- migrations ---------------------------------------------------------------------------------


def _record_one(store: HistoryStore) -> None:
    result = SyncResult(provider="aws", mode="public", status="updated", regions=("us-east-1",), source_version=V2)
    store.record(result, [CacheChange(M5_US, "0.0960000000", "0.1000000000")], "2025-12-01T02:00:00Z")


def test_migration_from_v1_keeps_the_data(tmp_path, monkeypatch):
    _record_one(HistoryStore(tmp_path))
    v2 = ("ALTER TABLE run ADD COLUMN note TEXT", "UPDATE run SET note = 'migrated'")
    monkeypatch.setattr(history, "MIGRATIONS", [*history.MIGRATIONS, v2])
    store = HistoryStore(tmp_path)
    assert moved(store.changes()) == {M5_US: ("0.0960000000", "0.1000000000")}
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS),)
        assert db.execute("SELECT note FROM run").fetchall() == [("migrated",)]


def test_failed_migration_rolls_back_whole(tmp_path, monkeypatch):
    _record_one(HistoryStore(tmp_path))
    broken = ("ALTER TABLE run ADD COLUMN note TEXT", "THIS IS NOT SQL")
    monkeypatch.setattr(history, "MIGRATIONS", [*history.MIGRATIONS, broken])
    with pytest.raises(HistoryError, match=r"cannot read .*history.sqlite3"):
        HistoryStore(tmp_path).changes()
    with sqlite3.connect(tmp_path / history.FILENAME) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS) - 1,)
        assert "note" not in [row[1] for row in db.execute("PRAGMA table_info(run)")]


def test_history_from_before_price_kinds_upgrades_in_place(tmp_path, monkeypatch):
    """A history.sqlite3 written before kinds (schema 1) keeps its rows, as on-demand changes,
    and then takes changes of other kinds for the same entry and run."""
    with monkeypatch.context() as before_kinds:
        before_kinds.setattr(history, "MIGRATIONS", history.MIGRATIONS[:1])
        store = HistoryStore(tmp_path)
        result = SyncResult(provider="aws", mode="public", status="updated", regions=("us-east-1",))
        with store._write() as db:  # what the old code wrote: no price_kind column
            run = db.execute(
                "INSERT INTO run (provider, at, mode, status, regions, records, changed, added, removed, wrote_back, "
                "duration_s) VALUES ('aws', '2025-12-01T02:00:00Z', 'public', 'updated', '[]', 1, 1, 0, 0, 0, 1)"
            ).lastrowid
            db.execute("INSERT INTO entry (provider, instance_type, region, os) VALUES ('aws', ?, ?, ?)", M5_US)
            db.execute("INSERT INTO change VALUES (?, 1, '0.0960000000', '0.1000000000', 4.17)", (run,))
    store = HistoryStore(tmp_path)
    ((row,),) = [store.changes()]
    assert (row.key, row.old, row.new, row.price_kind) == (M5_US, "0.0960000000", "0.1000000000", "on-demand")
    ri = "reserved-1yr-standard-no-upfront"
    store.record(
        result,
        [
            CacheChange(M5_US, "0.1", "0.2"),
            CacheChange(M5_US, "0.06", "0.07", ri),
            CacheChange(M5_US, None, "0.05", "spot"),
        ],
        "2025-12-02T02:00:00Z",
    )
    assert [(r.price_kind, r.old, r.new) for r in store.changes(run_id=2)] == [
        ("on-demand", "0.1", "0.2"),
        (ri, "0.06", "0.07"),
        ("spot", None, "0.05"),
    ]
    assert [r.new for r in store.entry_history(M5_US)] == ["0.1000000000", "0.2"]  # on-demand only
    assert [r.new for r in store.entry_history(M5_US, price_kind=ri)] == ["0.07"]
    assert [r.price_kind for r in store.changes(price_kind="spot")] == ["spot"]
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS),)


def test_newer_schema_is_refused(tmp_path):
    _record_one(HistoryStore(tmp_path))
    with sqlite3.connect(tmp_path / history.FILENAME) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryError, match="schema version 99, newer than this pricesync knows"):
        HistoryStore(tmp_path).runs()


def test_corrupt_history_does_not_fail_the_sync(engine, store, caplog):
    store.path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, "pricesync"):
        result = engine.sync("aws")
    assert result.status == "updated", result.error
    assert "price history not recorded: cannot write" in caplog.text
    assert result.warnings == (f"aws: price history not recorded: cannot write {store.path}: file is not a database",)
    with pytest.raises(HistoryError, match="cannot read"):
        store.changes()


# -- two processes ------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pricesync.core.history import CacheChange, HistoryStore
    from pricesync.core.models import SyncResult

    store, name = HistoryStore(Path(sys.argv[1])), sys.argv[2]
    for i in range(int(sys.argv[3])):
        result = SyncResult(provider="aws", mode="public", status="updated", source_version=f"{name}-{i}")
        changes = [
            CacheChange((f"{name}.{i}", "us-east-1", "linux"), "1.0", "1.1"),
            CacheChange(("m5.large", "us-east-1", "linux"), str(i), str(i + 1)),
        ]
        store.record(result, changes, f"2025-12-01T00:00:{i % 60:02d}Z")
        store.runs(limit=1)
""")


def test_two_processes_write_at_once(tmp_path):
    n = 150
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name, str(n)], stderr=subprocess.PIPE, text=True)
        for name in ("daemon", "tui")
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    store = HistoryStore(tmp_path)
    assert len(store.runs(limit=None)) == 2 * n
    assert len(store.changes()) == 4 * n
    assert len(store.entry_history(M5_US)) == 2 * n


# -- downsampling old spot points ------------------------------------------------------------------

SPOT_RESULT = SyncResult(provider="aws", mode="public", status="updated", regions=("us-east-1",))


def _hour(day: int, hour: int) -> str:
    return f"2025-03-{day:02d}T{hour:02d}:00:00Z"


def _record_hourly_spot(store, days=(1, 2)) -> None:
    """Spot moves every hour of these days (price = 0.1 + day + hour/100), on-demand too."""
    price = "0.1"
    for d in days:
        for h in range(24):
            new = f"{d}.{h:02d}"
            changes = [CacheChange(M5_US, price, new, "spot"), CacheChange(M5_US, price, new)]
            store.record(SPOT_RESULT, changes, _hour(d, h))
            price = new


def test_thinning_keeps_the_last_spot_point_of_each_day_and_other_kinds(tmp_path):
    store = HistoryStore(tmp_path)
    _record_hourly_spot(store)
    assert len(store.entry_history(M5_US, price_kind="spot")) == 48  # not yet old: nothing thinned
    store.record(SPOT_RESULT, [CacheChange(M5_US, "2.23", "3.00", "spot")], "2025-03-10T00:00:00Z")
    spot = store.entry_history(M5_US, price_kind="spot")
    assert [(r.at, r.old, r.new) for r in spot] == [
        (_hour(1, 23), "0.1", "1.23"),  # the day's last point, with the day's first old
        (_hour(2, 23), "1.23", "2.23"),
        ("2025-03-10T00:00:00Z", "2.23", "3.00"),  # the newest price stays
    ]
    assert [round(r.pct, 1) for r in spot[:2]] == [1130.0, 81.3]
    assert len(store.entry_history(M5_US)) == 48  # on-demand is never thinned


@pytest.mark.parametrize("daily", [False, True], ids=["once", "every-day"])
def test_thinning_weekly_after_the_daily_window(tmp_path, daily):
    """Thinned once, or every day (each thinning scans only what may have changed since the
    last), the result is the same."""
    store = HistoryStore(tmp_path)
    _record_hourly_spot(store, days=(3, 4, 10))  # Mon 3, Tue 4 and Mon 10 March 2025
    if daily:
        for d in range(140):
            store.thin(f"{date(2025, 3, 11) + timedelta(days=d)}T00:00:00Z")
    store.thin("2025-07-28T00:00:00Z")  # more than WEEKLY_AFTER_DAYS later
    assert [(r.at, r.old, r.new) for r in store.entry_history(M5_US, price_kind="spot")] == [
        (_hour(4, 23), "0.1", "4.23"),
        (_hour(10, 23), "4.23", "10.23"),
    ]


@pytest.mark.parametrize("daily", [False, True], ids=["once", "every-day"])
def test_thinning_monthly_before_the_monthly_cutoff(tmp_path, daily):
    """Older than the first day of the month MONTHLY_AFTER_MONTHS back: one point per calendar
    month, the same whether thinned once or every day as the cutoffs move."""
    store = HistoryStore(tmp_path)
    _record_hourly_spot(store, days=(3, 4, 31))  # March 2025
    store.record(SPOT_RESULT, [CacheChange(M5_US, "31.23", "40.00", "spot")], "2025-04-01T05:00:00Z")
    store.record(SPOT_RESULT, [CacheChange(M5_US, "40.00", "41.00", "spot")], "2025-04-02T05:00:00Z")
    store.record(SPOT_RESULT, [CacheChange(M5_US, "41.00", "42.00", "spot")], "2025-05-02T05:00:00Z")
    if daily:
        for d in range(440):
            store.thin(f"{date(2025, 4, 3) + timedelta(days=d)}T00:00:00Z")
    store.thin("2026-06-15T00:00:00Z")  # the monthly cutoff: 2025-06-01
    assert [(r.at, r.old, r.new) for r in store.entry_history(M5_US, price_kind="spot")] == [
        (_hour(31, 23), "0.1", "31.23"),  # March's last point, with March's first old
        ("2025-04-02T05:00:00Z", "31.23", "41.00"),
        ("2025-05-02T05:00:00Z", "41.00", "42.00"),  # the newest price stays
    ]


def test_thinning_is_idempotent_and_once_a_day(tmp_path):
    store = HistoryStore(tmp_path)
    _record_hourly_spot(store)
    assert store.thin("2025-03-20T00:00:00Z") == 46
    before = store.changes()
    assert store.thin("2025-03-20T23:00:00Z") == 0  # same day: not even looked at
    assert store.thin("2025-03-21T00:00:00Z") == 0
    assert store.changes() == before


def test_thinning_waits_out_a_locked_database_and_loses_nothing(tmp_path, monkeypatch):
    store = HistoryStore(tmp_path)
    _record_hourly_spot(store)
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(HistoryError, match="database is locked"):
        store.record(SPOT_RESULT, [CacheChange(M5_US, "2.23", "3.00", "spot")], "2025-03-10T00:00:00Z")
    other.execute("ROLLBACK")
    other.close()
    assert len(store.entry_history(M5_US, price_kind="spot")) == 48  # rolled back whole
    store.record(SPOT_RESULT, [CacheChange(M5_US, "2.23", "3.00", "spot")], "2025-03-10T00:00:00Z")
    assert len(store.entry_history(M5_US, price_kind="spot")) == 3  # the next sync thins


def test_history_from_before_thinning_upgrades_and_thins(tmp_path, monkeypatch):
    with monkeypatch.context() as before_thinning:
        before_thinning.setattr(history, "MIGRATIONS", history.MIGRATIONS[:2])
        before_thinning.setattr(history, "_thin", lambda db, at: 0)
        _record_hourly_spot(HistoryStore(tmp_path))
    store = HistoryStore(tmp_path)
    assert store.thin("2025-03-20T00:00:00Z") == 46
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)


def test_thinning_never_touches_a_foreign_file(tmp_path):
    path = tmp_path / history.FILENAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE change (run_id, entry_id, price_kind, old, new, pct)")
        db.execute("INSERT INTO change VALUES (1, 1, 'spot', '0.1', '0.2', 100)")
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="not a pricesync price history"):
        HistoryStore(tmp_path).thin("2025-03-20T00:00:00Z")
    assert path.read_bytes() == before
