"""Embedding the scheduler in a host app (pricesync.core.start_scheduler), and the runnable
Flask example (examples/flask_app.py) through Flask's test client: its start-up log line, a
manual sync through its endpoint against the local price server, shutdown (and atexit)."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from pricesync.core import ConfigError, HistoryStore, start_scheduler

from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0  # a bound on waits for the sync, not a timing assertion


def load_example():
    spec = importlib.util.spec_from_file_location("flask_app", ROOT / "examples" / "flask_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def flask_app(settings, monkeypatch, caplog):
    """The example app, bound to the test's config and data dir the way an operator binds it."""
    caplog.set_level(logging.INFO, logger="pricesync")
    for name, value in cli_env(settings).items():
        monkeypatch.setenv(name, value)
    app = load_example().create_app()
    yield app
    app.extensions["pricesync"].shutdown()


def test_the_example_starts_the_schedule_with_the_app(flask_app, caplog):
    started = [r.getMessage() for r in caplog.get_records("setup")]  # the fixture made the app
    assert "Scheduler started. AWS price sync scheduled daily at 02:00 UTC." in started
    status = flask_app.test_client().get("/prices/status").get_json()
    assert status["schedule"] == "daily at 02:00 UTC" and status["next_run"].endswith("T02:00:00Z")
    assert status["last_run"] is None and status["running"] is False


def test_a_manual_sync_through_the_example_endpoint(flask_app, settings):
    client = flask_app.test_client()
    assert client.post("/prices/sync").status_code == 202
    deadline = time.monotonic() + WAIT_S
    while (last := client.get("/prices/status").get_json()["last_run"]) is None or last["status"] == "running":
        assert time.monotonic() < deadline, f"the sync did not finish: {last}"
        time.sleep(0.05)
    assert last["trigger"] == "manual" and last["status"] == "updated" and last["error"] is None
    (result,) = last["results"]
    assert result["provider"] == "aws" and result["records"] == 9 and not result["wrote_back"]
    assert (settings.data_dir / "aws_cache.json").exists()
    assert HistoryStore(settings.data_dir).runs()[0].status == "updated"  # the default listeners ran


def test_shutdown_stops_the_schedule_once(flask_app, caplog):
    scheduler = flask_app.extensions["pricesync"]
    scheduler.shutdown()
    assert scheduler.next_run_time is None and caplog.messages.count("Scheduler stopped.") == 1
    scheduler.shutdown()  # atexit's call, after the host app's own: nothing more
    assert caplog.messages.count("Scheduler stopped.") == 1


def test_the_scheduler_stops_at_interpreter_exit(settings):
    code = "import pricesync.core; pricesync.core.start_scheduler(cron_hour=2, cron_minute=0)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env(settings), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    log = (settings.data_dir / "sync.log").read_text()
    assert "Scheduler started. AWS price sync scheduled daily at 02:00 UTC." in log
    assert log.rstrip().endswith("Scheduler stopped.")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron_hour": 25}, "cron '0 25 \\* \\* \\*'"),
        ({"cron": "0 2 * * *", "cron_hour": 2}, "not both"),
        ({"cron_hour": "2"}, "cron_hour must be a whole number"),
        ({"providers": ["oracle"]}, "unknown provider"),
    ],
)
def test_bad_arguments_are_one_line_config_errors(settings, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        start_scheduler(settings=settings, **kwargs)


def test_arguments_replace_the_configured_schedule(settings):
    scheduler = start_scheduler(settings=settings, cron="30 4 * * 1", write_back=True, providers=["aws", "azure"])
    try:
        assert scheduler.describe() == "every Monday at 04:30 UTC"
        assert scheduler.write_back is True and scheduler.providers == ["aws", "azure"]
        assert scheduler.next_run_time.astimezone(UTC).strftime("%a %H:%M") == "Mon 04:30"
    finally:
        scheduler.shutdown()
