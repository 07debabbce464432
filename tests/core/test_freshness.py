"""The staleness alarm ([sync] max_age): levels, the scheduler's check (a warning and the webhooks'
`stale` event once per episode, remembered in state.json), and the `new` event for instance
families and regions never seen before."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from pricesync.core import (
    Freshness,
    PriceSyncScheduler,
    SyncResult,
    Webhook,
    build_engine,
    level_of,
    load_settings,
    notify,
    provider_freshness,
    state,
)
from pricesync.core.durations import parse_duration
from pricesync.core.errors import ConfigError
from pricesync.core.state import provider_state, update_provider_state
from pricesync.core.sync import SyncEngine

from tests.conftest import EU_V2, US_V2, V2, hook_url, receiver, serve_version, with_webhooks

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_delivery_left_behind():
    yield
    assert notify.wait_for_deliveries(timeout_s=60) == 0


def with_max_age(settings, max_age: str):
    text = settings.config_path.read_text()  # the suite's config has a [sync]: add to it
    settings.config_path.write_text(text.replace("[sync]\n", f'[sync]\nmax_age = "{max_age}"\n', 1))
    return load_settings(settings.config_path, settings.data_dir)


def succeeded(settings, ago: timedelta, now: datetime = NOW) -> None:
    update_provider_state(settings.data_dir, "aws", {"last_success": (now - ago).isoformat()})


@pytest.mark.parametrize(
    "text, span",
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("36h", timedelta(hours=36)),
        ("7d", timedelta(7)),
    ],
)
def test_durations(text, span):
    assert parse_duration(text) == span


@pytest.mark.parametrize("bad", ["36", "h", "1.5h", "-1h", "0d", "36x", "1y", "9999999999d"])
def test_a_bad_max_age_is_one_line_naming_the_key(settings, bad):
    with pytest.raises(ConfigError, match=r"config\.toml: sync\.max_age: ") as exc:
        with_max_age(settings, bad)
    assert "\n" not in str(exc.value)


def test_levels_yellow_past_max_age_red_past_twice_it():
    day = timedelta(days=1)
    assert level_of(NOW - timedelta(hours=23), day, NOW) == "fresh"
    assert level_of(NOW - timedelta(hours=25), day, NOW) == "stale"
    assert level_of(NOW - timedelta(hours=49), day, NOW) == "critical"
    assert level_of(None, day, NOW) == "critical"  # never synced
    assert level_of(None, None, NOW) == level_of(NOW - 100 * day, None, NOW) == "fresh"  # no alarm set


def test_freshness_reports_state_and_the_next_scheduled_run(settings):
    settings = with_max_age(settings, "36h")
    update_provider_state(
        settings.data_dir, "aws", {"last_success": "2026-11-27T12:00:00Z", "source_version": "20251101000000"}
    )
    f = provider_freshness(settings, "aws", NOW)
    assert f.to_json() == {
        "last_success": "2026-11-27T12:00:00Z",
        "age_s": 48 * 3600,
        "source_version": "20251101000000",
        "next_run": "2026-11-30T02:00:00Z",
        "stale": True,
        "level": "stale",
    }


def test_the_stale_event_fires_once_per_episode(settings, aws_server, caplog):
    got = receiver(aws_server)
    settings = with_max_age(with_webhooks(settings, {"url": hook_url(aws_server)}), "1h")
    now = datetime.now(UTC)
    succeeded(settings, timedelta(hours=3), now)
    daemon = PriceSyncScheduler(settings, SyncEngine(settings), enabled=False)
    tui = PriceSyncScheduler(settings, SyncEngine(settings), enabled=False)  # another process, same data dir
    with caplog.at_level(logging.WARNING, "pricesync"):
        assert [f.provider for f in daemon.check_staleness()] == ["aws"]
        assert [f.provider for f in tui.check_staleness()] == ["aws"]
        daemon.check_staleness()
        notify.wait_for_deliveries()
    assert len(got) == 1
    body = json.loads(got[0][1])
    assert body["event"] == "pricesync.stale"
    assert (body["provider"], body["level"], body["max_age_s"]) == ("aws", "critical", 3600)
    assert 3 * 3600 - 5 <= body["age_s"] <= 3 * 3600 + 60
    assert caplog.text.count("AWS prices are stale: last successful sync 3h 00m ago (max_age 1h 00m)") == 1
    assert provider_state(settings.data_dir, "aws")["stale_alert"]["episode"].endswith("Z")

    succeeded(settings, timedelta(minutes=10), now)  # a sync succeeded: the episode is over
    assert daemon.check_staleness() == []
    succeeded(settings, timedelta(hours=2), now)  # and stale again: a new episode
    daemon.check_staleness()
    notify.wait_for_deliveries()
    assert [json.loads(b)["event"] for _, b in got] == ["pricesync.stale"] * 2


def test_without_max_age_nothing_is_checked(settings, aws_server):
    got = receiver(aws_server)
    settings = with_webhooks(settings, {"url": hook_url(aws_server)})
    succeeded(settings, timedelta(days=300), datetime.now(UTC))
    assert PriceSyncScheduler(settings, SyncEngine(settings), enabled=False).check_staleness() == []
    notify.wait_for_deliveries()
    assert got == []


def test_a_webhook_can_leave_out_events(settings, aws_server):
    got = receiver(aws_server)
    settings = with_max_age(with_webhooks(settings, {"url": hook_url(aws_server), "events": ["new"]}), "1h")
    succeeded(settings, timedelta(hours=3), datetime.now(UTC))
    PriceSyncScheduler(settings, SyncEngine(settings), enabled=False).check_staleness()
    notify.wait_for_deliveries()
    assert got == []


def test_a_bad_events_list_is_refused(settings):
    with pytest.raises(ConfigError, match=r"events must be a list of prices_changed, stale, new"):
        with_webhooks(settings, {"url": "https://hooks.example/x", "events": ["stale", "prices"]})


def test_the_new_event_names_families_and_regions_never_seen(settings, aws_server, caplog):
    got = receiver(aws_server)
    settings = with_webhooks(settings, {"url": hook_url(aws_server), "events": ["new"]})
    engine = build_engine(settings)
    assert engine.sync("aws").status == "updated"  # the baseline: the catalog and this fetch
    notify.wait_for_deliveries()
    assert got == []
    serve_version(aws_server, V2, US_V2, EU_V2)  # V2 lists x1e.32xlarge, a family new to the catalog
    with caplog.at_level(logging.INFO, "pricesync"):
        assert engine.sync("aws").status == "updated"
        notify.wait_for_deliveries()
    assert [json.loads(b) | {"sent_at": None} for _, b in got] == [
        {
            "event": "pricesync.new",
            "provider": "aws",
            "source_version": V2,
            "families": ["x1e"],
            "regions": [],
            "sent_at": None,
        }
    ]
    assert "aws lists new families: x1e; new regions: none" in caplog.text
    assert engine.sync("aws", force=True).status == "updated"  # the same list again: nothing new
    notify.wait_for_deliveries()
    assert len(got) == 1


def test_a_check_that_finds_the_episode_announced_leaves_state_json_alone(settings, monkeypatch):
    settings = with_max_age(settings, "1h")
    succeeded(settings, timedelta(hours=3), datetime.now(UTC))
    scheduler = PriceSyncScheduler(settings, SyncEngine(settings), enabled=False)
    scheduler.check_staleness()
    writes = []
    monkeypatch.setattr(state, "atomic_write_json", lambda *args: writes.append(args))
    scheduler.check_staleness()
    assert writes == []  # not rewritten every minute


def test_the_slack_format_of_the_new_events_is_one_escaped_line():
    hook = Webhook("https://hooks.example/x", format="slack")
    f = freshness_of(None)
    text = json.loads(notify.render(hook, notify.stale_payload(f), 0))["text"]
    assert text == "*pricesync*: aws prices are critical: never synced (max_age 3600 s)"
    result = SyncResult(provider="aws", mode="public", status="updated", source_version="v")
    text = json.loads(notify.render(hook, notify.new_payload(result, ["<!here>"], ["eu-south-3"]), 0))["text"]
    assert text == "*pricesync*: aws lists new families &lt;!here&gt;; regions eu-south-3"


def freshness_of(last_success):
    return Freshness("aws", last_success, None, None, timedelta(hours=1), NOW)
