"""`pricesync status` as a real process: the table, --json, exit 1 when a provider is stale."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import UTC, datetime, timedelta

from pricesync.core.state import update_provider_state

from tests.conftest import CLI, cli_env


def _succeeded(settings, ago: timedelta) -> str:
    at = (datetime.now(UTC) - ago).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    update_provider_state(settings.data_dir, "aws", {"last_success": at, "source_version": "20251101000000\x1b[2J"})
    return at


def _max_age(settings, max_age: str) -> None:
    text = settings.config_path.read_text()
    assert "[sync]\n" in text  # the suite's config has one: add to it (TOML refuses a second)
    settings.config_path.write_text(text.replace("[sync]\n", f'[sync]\nmax_age = "{max_age}"\n', 1))


def test_status_json_and_exit_codes(settings, cli):
    at = _succeeded(settings, timedelta(hours=2))
    _max_age(settings, "36h")
    fresh = cli("status", "--json")
    assert fresh.returncode == 0, fresh.stderr
    aws = json.loads(fresh.stdout)["providers"]["aws"]
    assert aws["last_success"] == at and aws["stale"] is False and aws["level"] == "fresh"
    assert 7200 <= aws["age_s"] < 7200 + 60
    assert aws["source_version"] == "20251101000000\x1b[2J"  # JSON escapes it
    assert aws["next_run"].endswith(":00:00Z")
    assert set(aws) == {"last_success", "age_s", "source_version", "next_run", "stale", "level"}

    stale = cli("status", "--json", "--max-age", "90m")  # the command line wins over [sync] max_age
    assert stale.returncode == 1
    assert json.loads(stale.stdout)["providers"]["aws"]["stale"] is True


def test_status_table_is_neutralised_and_says_critical(settings, cli):
    _succeeded(settings, timedelta(days=3))
    _max_age(settings, "1d")
    out = cli("status")
    assert out.returncode == 1
    assert "AWS" in out.stdout and "yes (critical)" in out.stdout and "max_age 1d 00h" in out.stdout
    assert "\x1b" not in out.stdout and "20251101000000\\x1b[2J" in out.stdout


def test_status_never_synced_and_no_alarm(settings, cli):
    out = cli("status", "--json")
    assert out.returncode == 0  # no max_age: never stale
    assert json.loads(out.stdout)["providers"]["aws"] | {"next_run": None} == {
        "last_success": None,
        "age_s": None,
        "source_version": None,
        "next_run": None,
        "stale": False,
        "level": "fresh",
    }
    assert cli("status", "--max-age", "7d").returncode == 1  # never synced counts as stale


def test_status_refuses_a_bad_max_age(cli):
    out = cli("status", "--max-age", "soon")
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        == "pricesync: argument --max-age: 'soon' is not a duration (a whole number and a unit: 90s, 30m, 36h, 7d, 2w)"
    )


def test_the_daemon_logs_a_warning_when_prices_are_stale(settings, tmp_path):
    _succeeded(settings, timedelta(hours=5))
    _max_age(settings, "2h")
    proc = subprocess.Popen(
        [*CLI, "daemon"], env=cli_env(settings), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "prices are stale" in line:
                break
        assert (
            "WARNING" in seen[-1]
            and "AWS prices are stale: last successful sync 5h 00m ago (max_age 2h 00m)" in seen[-1]
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
