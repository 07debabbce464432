"""PriceSyncScheduler with real APScheduler and a real local price server; no hour-long sleeps:
triggers that fire within a second, or catch-up runs due at once."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pricesync.core import build_engine
from pricesync.core.config import load_settings
from pricesync.core.cronspec import parse_cron
from pricesync.core.errors import ConfigError
from pricesync.core.scheduler import SPOT_JOB_ID, PriceSyncScheduler
from pricesync.core.state import provider_state, update_provider_state
from pricesync.core.sync import SyncEngine

from tests.conftest import OFFER
from tests.fakes import spotdata


def dir_digest(path):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.iterdir())
        if p.is_file() and not p.name.endswith(".lock")
    }


class Events:
    """Collects scheduler events from its threads; waits with a bound."""

    def __init__(self, scheduler: PriceSyncScheduler) -> None:
        self.items = []
        self.cond = threading.Condition()
        scheduler.add_listener(self.on_event)

    def on_event(self, event) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def wait_for(self, pred, timeout=15.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.items):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; events so far: {[(e.kind, e.run and e.run.status) for e in self.items]}"
                self.cond.wait(left)

    def kinds(self):
        return [e.kind for e in self.items]


def settings_with(settings, tmp_path, extra: str):
    cfg = tmp_path / "sched.toml"
    cfg.write_text(settings.config_path.read_text() + "\n" + extra)
    return load_settings(cfg, settings.data_dir)


@pytest.fixture
def make_scheduler():
    made = []

    def make(settings, engine=None, **kwargs):
        s = PriceSyncScheduler(settings, engine or build_engine(settings), **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.shutdown(wait_s=5)


def test_startup_line_names_the_schedule_in_words(settings, caplog, make_scheduler):
    caplog.set_level(logging.INFO, logger="pricesync")
    sched = make_scheduler(settings)
    sched.start()
    assert "Scheduler started. AWS price sync scheduled daily at 02:00 UTC." in caplog.messages
    nxt = sched.next_run_time
    assert nxt is not None and nxt.tzinfo is not None
    assert (nxt.hour, nxt.minute) == (2, 0) and nxt.utcoffset() == timedelta(0)


def test_disabled_schedule_does_not_schedule_but_runs_on_demand(settings, tmp_path, caplog, make_scheduler):
    caplog.set_level(logging.INFO, logger="pricesync")
    sched = make_scheduler(settings_with(settings, tmp_path, "[schedule]\nenabled = false\n"))
    events = Events(sched)
    sched.start()
    assert sched.next_run_time is None
    assert any("Scheduler disabled" in m for m in caplog.messages)
    assert sched.run_now()
    events.wait_for(lambda ev: any(e.kind == "finished" for e in ev))
    assert sched.last_run.status == "updated"


@pytest.mark.parametrize(
    "dow, weekdays",
    [
        ("sun", {6}),
        ("0", {6}),
        ("7", {6}),
        ("1-5", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("5-7", {4, 5, 6}),
        ("*/2", {6, 1, 3, 5}),
    ],
)
def test_day_of_week_follows_crontab_not_apscheduler(dow, weekdays):
    spec = parse_cron(f"0 6 * * {dow}", "UTC")
    times = spec.next_fire_times(21, datetime(2026, 11, 29, 7, tzinfo=UTC))
    assert {t.weekday() for t in times} == weekdays  # Python: Monday = 0, Sunday = 6
    if dow == "0":  # the trap: APScheduler's own parser reads 0 as Monday
        aps = CronTrigger.from_crontab("0 6 * * 0", timezone=UTC).get_next_fire_time(
            None, datetime(2026, 11, 29, 7, tzinfo=UTC)
        )
        assert aps.weekday() == 0


def test_trigger_uses_the_schedule_zone_not_the_machine_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        spec = parse_cron("0 2 * * *", "UTC")
        t = spec.trigger().get_next_fire_time(None, datetime(2026, 11, 29, 3, tzinfo=UTC))
        assert t.astimezone(UTC) == datetime(2026, 11, 30, 2, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_non_utc_zone_across_dst_change():
    spec = parse_cron("30 1 * * *", "Europe/Berlin")
    times = spec.next_fire_times(3, datetime(2027, 3, 26, 12, tzinfo=UTC))
    utc = [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times]
    # CET (+1) until 2027-03-28 02:00, then CEST (+2): 01:30 local moves from 00:30 to 23:30 UTC
    assert utc == ["03-27 00:30", "03-28 00:30", "03-28 23:30"]


@pytest.mark.parametrize("expr", ["0 2 * *", "61 2 * * *", "0 2 * * funday", "0 2 1 * mon", "0 2 * * 5-1"])
def test_bad_cron_is_a_clear_config_error(expr):
    with pytest.raises(ConfigError, match="cron"):
        parse_cron(expr)


def test_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        parse_cron("0 2 * * *", "Mars/Olympus")


def test_failing_run_keeps_scheduler_alive_and_next_run_intact(settings, server, make_scheduler):
    server.routes[OFFER].status = 500  # every scheduled run fails
    sched = make_scheduler(settings, trigger=IntervalTrigger(seconds=0.4, timezone=UTC))
    events = Events(sched)
    sched.start()
    events.wait_for(lambda ev: sum(e.kind == "failed" for e in ev) >= 2)
    assert sched.next_run_time is not None
    assert sched.last_run.status == "failed" and "HTTP 500" in sched.last_run.error
    state = provider_state(settings.data_dir, "aws")
    assert state["last_run"]["status"] == "failed"
    server.routes[OFFER].status = 200  # the source recovers; the schedule carries on
    events.wait_for(lambda ev: any(e.kind == "finished" for e in ev))


def test_exception_in_a_run_is_logged_with_traceback_and_never_escapes(settings, make_scheduler):
    class Exploding(SyncEngine):
        def sync(self, *a, **k):
            raise RuntimeError("boom")

    sched = make_scheduler(settings, Exploding(settings), trigger=IntervalTrigger(seconds=0.3, timezone=UTC))
    events = Events(sched)
    from pricesync.core.logs import setup_logging

    setup_logging(settings.data_dir)
    sched.start()
    events.wait_for(lambda ev: sum(e.kind == "failed" for e in ev) >= 2)
    log = (settings.data_dir / "sync.log").read_text()
    assert "Traceback" in log and "RuntimeError: boom" in log
    assert sched.next_run_time is not None


def _succeeded_at(settings, when: datetime):
    update_provider_state(settings.data_dir, "aws", {"last_success": when.isoformat().replace("+00:00", "Z")})


def test_catch_up_runs_once_after_a_missed_run(settings, tmp_path, make_scheduler):
    settings = settings_with(settings, tmp_path, "[schedule]\ncatch_up_delay_s = 0.1\n")
    _succeeded_at(settings, datetime.now(UTC) - timedelta(days=3))
    sched = make_scheduler(settings)
    events = Events(sched)
    sched.start()
    events.wait_for(lambda ev: any(e.kind == "finished" for e in ev))
    time.sleep(0.5)
    runs = [e.run.trigger for e in events.items if e.kind == "finished"]
    assert runs == ["catch-up"]


def test_no_catch_up_when_the_last_success_is_recent(settings, tmp_path, make_scheduler, server):
    settings = settings_with(settings, tmp_path, "[schedule]\ncatch_up_delay_s = 0\n")
    _succeeded_at(settings, datetime.now(UTC))
    sched = make_scheduler(settings)
    events = Events(sched)
    sched.start()
    time.sleep(0.6)
    assert events.items == [] and server.requests == []


def test_no_catch_up_when_disabled_in_config(settings, tmp_path, make_scheduler, server):
    s = settings_with(settings, tmp_path, "[schedule]\ncatch_up = false\ncatch_up_delay_s = 0\n")
    _succeeded_at(s, datetime.now(UTC) - timedelta(days=3))
    sched = make_scheduler(s)
    sched.start()
    time.sleep(0.6)
    assert server.requests == []


def test_overlapping_run_now_and_scheduled_run_make_one_sync(settings, server, make_scheduler, caplog):
    caplog.set_level(logging.INFO, logger="pricesync")
    server.routes[OFFER].chunk_delay_s = 0.3  # the download takes a while
    server.routes[OFFER].body += b" " * 65536 * 4
    sched = make_scheduler(settings, trigger=IntervalTrigger(seconds=0.25, timezone=UTC))
    events = Events(sched)
    sched.start()
    events.wait_for(lambda ev: any(e.kind == "started" for e in ev))
    assert sched.running
    assert sched.run_now() is False
    events.wait_for(lambda ev: any(e.kind in ("finished", "failed") for e in ev))
    sched.pause()
    assert server.hits(OFFER) == 1
    assert any("sync already running" in m for m in caplog.messages)


def test_shutdown_during_a_slow_sync_returns_quickly_and_leaves_files_intact(settings, server, make_scheduler):
    server.routes[OFFER].chunk_delay_s = 2.0
    server.routes[OFFER].body += b" " * 65536 * 10
    before = dir_digest(settings.data_dir)
    sched = make_scheduler(settings, trigger=IntervalTrigger(hours=1, timezone=UTC))
    events = Events(sched)
    sched.start()
    sched.run_now()
    events.wait_for(lambda ev: any(e.kind == "started" for e in ev))
    deadline = time.monotonic() + 10
    while server.hits(OFFER) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    sched.shutdown()
    assert time.monotonic() - started < 8.0  # not the whole 20 s download: "within ~2 s", with slack for a loaded box
    # the catalog and cache are untouched; the run's own records (state, log, history) may change
    own = {"state.json", "sync.log"} | {f"history.sqlite3{end}" for end in ("", "-wal", "-shm", "-journal")}
    after = dir_digest(settings.data_dir)
    assert {k: v for k, v in after.items() if k not in own} == {k: v for k, v in before.items() if k not in own}
    assert not any(p.name.endswith(".tmp") for p in settings.data_dir.iterdir())
    json.loads((settings.data_dir / "aws_catalog.json").read_text())


# -- the spot schedule ---------------------------------------------------------------------------------------


def spot_scheduled(settings, aws_server, tmp_path, cron: str = "17 * * * *"):
    """`settings` with spot kept, its feeds served and `[schedule] spot = cron`."""
    spotdata.serve_spot(aws_server)
    cfg = tmp_path / "spot-sched.toml"
    cfg.write_text(
        '[sync]\nprice_kinds = ["spot"]\n'  # spot is opted into
        f'[aws]\nendpoint = "{aws_server.url}"\n{spotdata.spot_config(aws_server.url)}'
        f'[schedule]\nspot = "{cron}"\n[http]\nretries = 1\nbackoff_s = 0.01\ntimeout_s = 5\n'
    )
    return load_settings(cfg, settings.data_dir)


def test_spot_schedule_is_a_second_job_with_its_own_next_run(settings, aws_server, tmp_path, caplog, make_scheduler):
    caplog.set_level(logging.INFO, logger="pricesync")
    sched = make_scheduler(spot_scheduled(settings, aws_server, tmp_path))
    events = Events(sched)
    sched.start()
    assert f"Spot prices sync scheduled {sched.describe_spot()}." in caplog.messages
    spot, full = sched.next_spot_run_time, sched.next_run_time
    assert spot is not None and spot.minute == 17 and spot.utcoffset() == timedelta(0)
    assert (full.hour, full.minute) == (2, 0)  # the daily sync is untouched
    sched.pause()
    assert sched.next_spot_run_time is None
    sched.resume()
    assert sched.next_spot_run_time == spot
    assert sched.run_now()  # an event carries both next runs, for the TUI's next-run line
    events.wait_for(lambda ev: any(e.kind == "finished" for e in ev))
    assert events.items[-1].next_spot_run_time == spot


def test_spot_job_syncs_spot_only(settings, aws_server, tmp_path, make_scheduler):
    settings = spot_scheduled(settings, aws_server, tmp_path)
    engine = build_engine(settings)
    assert engine.sync("aws", kinds=frozenset({"on-demand", "spot"})).status == "updated"
    offers = aws_server.hits(OFFER)
    spotdata.serve_spot(aws_server, etags=('"spot-2"', '"advisor-2"'))
    sched = make_scheduler(settings, engine)
    events = Events(sched)
    sched.start()
    sched._aps.modify_job(SPOT_JOB_ID, next_run_time=datetime.now(UTC))  # fire the real job now
    events.wait_for(lambda ev: any(e.kind in ("finished", "failed") for e in ev))
    run = sched.last_run
    assert (run.trigger, run.status) == ("spot", "updated"), run.error
    assert aws_server.hits(OFFER) == offers  # no offer file: spot only
    assert aws_server.hits(spotdata.PRICE_PATH) == 2


def test_no_spot_schedule_by_default(settings, make_scheduler):
    sched = make_scheduler(settings)
    sched.start()
    assert sched.describe_spot() is None and sched.next_spot_run_time is None
    assert [job.id for job in sched._aps.get_jobs()] == ["price-sync"]


def test_a_bad_spot_cron_is_a_config_error(settings, tmp_path):
    with pytest.raises(ConfigError, match=r"schedule\.spot"):
        settings_with(settings, tmp_path, '[schedule]\nspot = "61 * * * *"\n')
