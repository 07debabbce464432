"""pricesync.core's front door, as the CLI, the dashboard and a host app use it: the engine
with its default listeners, the snapshot of a provider, the cheap check, the write-back of a
confirmed snapshot, and the scheduler's "busy" event. Real files, the real local price server."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pricesync.core import (
    HistoryStore,
    PriceSyncScheduler,
    ProviderState,
    SchedulerEvent,
    Snapshot,
    SyncEngine,
    build_engine,
    load_settings,
)

from tests.conftest import EU_WEST_1, US_EAST_1

WAIT_S = 20.0  # a bound on waits for threads, not a timing assertion


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_config(settings, tmp_path, text: str):
    cfg = tmp_path / "front.toml"
    cfg.write_text(text)
    return load_settings(cfg, settings.data_dir)


# -- the engine and its listeners ----------------------------------------------------------------


def test_build_engine_records_the_history_and_a_bare_engine_runs_no_listener(settings):
    assert SyncEngine(settings).listeners == []
    assert build_engine(settings, listeners=()).sync("aws").status == "updated"
    assert HistoryStore(settings.data_dir).runs() == []  # no listener: nothing recorded
    assert build_engine(settings).sync("aws", force=True).status == "updated"
    assert [r.status for r in HistoryStore(settings.data_dir).runs()] == ["updated"]


# -- the snapshot --------------------------------------------------------------------------------


def test_a_snapshot_holds_the_catalog_the_cache_the_pending_diff_and_the_state(settings):
    engine = build_engine(settings)
    before = engine.snapshot("aws")
    assert isinstance(before, Snapshot) and before.provider == "aws"
    assert before.catalog_path == settings.data_dir / "aws_catalog.json"
    assert len(before.catalog.entries) == len(US_EAST_1) + len(EU_WEST_1)
    assert before.cache is None and before.diff is None and not before.pending
    assert before.state == ProviderState() and before.next_run is None
    assert before.error is None and before.problems == () and before.blocker is None
    engine.sync("aws")
    after = engine.snapshot("aws")
    assert after.pending and len(after.diff.changed) == len(US_EAST_1) + len(EU_WEST_1)
    assert after.state.last_status == "updated" and after.state.source_version == "20251101000000"
    assert after.cache.fingerprint == hashlib.sha256((settings.data_dir / "aws_cache.json").read_bytes()).hexdigest()


def test_a_snapshot_never_raises_for_bad_files(settings):
    (settings.data_dir / "aws_cache.json").write_text("{}")
    (settings.data_dir / "state.json").write_text(json.dumps({"providers": {"aws": {"last_success": 5}}}))
    snap = build_engine(settings).snapshot("aws")
    assert snap.catalog is not None and snap.cache is None
    assert len(snap.problems) == 1 and "price cache" in snap.problems[0]
    assert snap.state.last_success is None  # a value of the wrong type reads as None
    (settings.data_dir / "aws_catalog.json").write_text("{not json")
    broken = build_engine(settings).snapshot("aws")
    assert broken.catalog is None and "is not valid JSON" in broken.error


def test_a_snapshot_taken_with_a_scheduler_has_its_next_run(settings):
    when = datetime(2099, 1, 1, 2, 0, tzinfo=UTC)
    engine = build_engine(settings)
    scheduler = PriceSyncScheduler(settings, engine, enabled=True, trigger=DateTrigger(when))
    scheduler.start()
    try:
        assert engine.snapshot("aws", scheduler).next_run == when
        assert engine.snapshot("azure", scheduler).next_run is None  # the schedule does not sync Azure
    finally:
        scheduler.shutdown()


# -- the cheap check -----------------------------------------------------------------------------


def test_check_says_why_a_provider_cannot_sync_without_building_a_client(settings, tmp_path, monkeypatch):
    def no_client(*args, **kwargs):
        raise AssertionError("check built an HTTP client")

    monkeypatch.setattr(httpx.Client, "__init__", no_client)
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)
    engine = build_engine(settings)
    assert engine.check("aws") is None and engine.check("azure") is None
    assert engine.check("gcp").startswith("no GCP API key")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    boto = build_engine(with_config(settings, tmp_path, '[aws]\nmode = "boto3"\nprofile = "nope"\n'))
    assert boto.check("aws") == "AWS profile 'nope' (aws.profile) is not in the AWS config files"
    assert boto.snapshot("aws").blocker == boto.check("aws")


# -- write-back of the snapshot the operator confirmed ---------------------------------------------


def test_write_back_applies_the_confirmed_snapshot(settings):
    engine = build_engine(settings)
    engine.sync("aws")
    snap = engine.snapshot("aws")
    result = engine.write_back(snap)
    assert result.status == "updated" and result.wrote_back
    assert result.changed == len(snap.diff.changed) and result.added == len(snap.diff.added)
    assert not engine.snapshot("aws").pending


def test_write_back_refuses_when_the_cache_changed_since_the_snapshot(settings, aws_server):
    engine = build_engine(settings)
    engine.sync("aws")
    confirmed = engine.snapshot("aws")  # what the operator saw and said yes to
    aws_server.routes["/offers/v1.0/aws/AmazonEC2/20251101000000/us-east-1/index.json"].body = aws_server.routes[
        "/offers/v1.0/aws/AmazonEC2/20251101000000/us-east-1/index.json"
    ].body.replace(b"0.0960000000", b"0.0990000000")
    assert engine.sync("aws", force=True).status == "updated"  # a sync ran meanwhile: new prices
    catalog = digest(settings.data_dir / "aws_catalog.json")
    refused = engine.write_back(confirmed)
    assert refused.status == "failed" and not refused.wrote_back
    assert "price cache changed since the prices were shown" in refused.error and "\n" not in refused.error
    assert digest(settings.data_dir / "aws_catalog.json") == catalog
    assert engine.snapshot("aws").state.last_status == "updated"  # not recorded as a failed sync
    assert engine.write_back(engine.snapshot("aws")).wrote_back  # a fresh snapshot writes back


# -- the scheduler's "busy" event ------------------------------------------------------------------


class Blocking(SyncEngine):
    """An engine whose sync holds until the test lets it go."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.entered = threading.Event()
        self.release = threading.Event()

    def sync(self, provider, **kwargs):
        self.entered.set()
        self.release.wait(WAIT_S)
        return super().sync(provider, **kwargs)


class Events:
    """The scheduler's events, collected from its threads; waits with a bound."""

    def __init__(self, scheduler: PriceSyncScheduler) -> None:
        self.items: list[SchedulerEvent] = []
        self.cond = threading.Condition()
        scheduler.add_listener(self.add)

    def add(self, event: SchedulerEvent) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def first(self, kind: str) -> SchedulerEvent:
        deadline = time.monotonic() + WAIT_S
        with self.cond:
            while not any(e.kind == kind for e in self.items):
                assert self.cond.wait(max(0.0, deadline - time.monotonic())), [e.kind for e in self.items]
            return next(e for e in self.items if e.kind == kind)


def busy_event(settings, trigger, before_start=lambda scheduler: None) -> SchedulerEvent:
    """The first "busy" event of a scheduler whose runs hold the run lock until the test ends."""
    engine = Blocking(settings)
    scheduler = PriceSyncScheduler(settings, engine, enabled=True, trigger=trigger)
    events = Events(scheduler)
    before_start(scheduler)
    scheduler.start()
    try:
        assert engine.entered.wait(WAIT_S)
        return events.first("busy")
    finally:
        engine.release.set()
        scheduler.shutdown(wait_s=WAIT_S)


def test_a_run_that_finds_the_run_lock_held_is_a_busy_event(settings):
    # a manual run and a scheduled one overlap: whichever starts second is skipped
    soon = DateTrigger(datetime.now(UTC) + timedelta(seconds=0.5))
    busy = busy_event(settings, soon, before_start=lambda scheduler: scheduler.run_now())
    assert busy.run.status == "busy" and busy.run.error == "sync already running"
    assert busy.run.trigger in ("manual", "schedule")


def test_the_schedule_firing_while_its_last_run_goes_on_is_a_busy_event(settings):
    busy = busy_event(settings, IntervalTrigger(seconds=0.2, timezone=UTC))
    assert busy.run.status == "busy" and busy.run.trigger == "schedule"
