"""`pricesync schedule show|install` as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "pricesync.core.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_show_json_lists_utc_times(tmp_path):
    r = run("schedule", "show", "--json", "--count", "4", "--cron", "0 6 * * 0", "--data-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    times = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in json.loads(r.stdout)]
    assert len(times) == 4
    assert all(t.utcoffset().total_seconds() == 0 and t.weekday() == 6 and t.hour == 6 for t in times)
    assert times == sorted(times) and times[0] > datetime.now(UTC)


def test_show_prints_utc_and_the_schedule_zone_across_dst(tmp_path):
    # New York leaves DST on the first Sunday of November and enters it in March: within 130 days
    r = run(
        "schedule",
        "show",
        "--cron",
        "0 9 * * *",
        "--timezone",
        "America/New_York",
        "--count",
        "130",
        "--data-dir",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Schedule: daily at 09:00 America/New_York (cron '0 9 * * *', zone America/New_York)"
    rows = [line.split() for line in lines[1:]]
    assert {row[4] for row in rows} == {"09:00"}  # always 09:00 local
    assert {row[1] for row in rows} == {"13:00", "14:00"}  # UTC moves with DST
    assert {row[5] for row in rows} == {"EST", "EDT"}


def test_bad_cron_is_one_line_exit_2(tmp_path):
    r = run("schedule", "show", "--cron", "0 2 * *", "--data-dir", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "need 5 fields" in r.stderr


def test_install_systemd_prints_a_persistent_timer(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[schedule]\ncron = "30 4 * * mon-fri"\ntimezone = "Europe/Berlin"\n')
    r = run("schedule", "install", "--systemd", "--config", str(cfg), "--data-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 04:30:00 Europe/Berlin" in r.stdout
    assert "Persistent=true" in r.stdout
    assert f"sync --write-back --config {cfg} --data-dir {tmp_path}" in r.stdout


def test_install_systemd_write_puts_units_in_the_unit_dir(tmp_path):
    units = tmp_path / "units"
    r = run(
        "schedule", "install", "--systemd", "--user", "--write", "--unit-dir", str(units), "--data-dir", str(tmp_path)
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in units.iterdir()) == ["pricesync-sync.service", "pricesync-sync.timer"]
    assert "OnCalendar=*-*-* 02:00:00 UTC" in (units / "pricesync-sync.timer").read_text()
    assert "systemctl --user daemon-reload" in r.stdout
    assert oct((units / "pricesync-sync.timer").stat().st_mode & 0o777) == "0o644"


def test_install_cron_prints_a_crontab_line_with_its_zone(tmp_path):
    r = run("schedule", "install", "--cron", "--data-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    tz, line = r.stdout.splitlines()
    assert tz == "CRON_TZ=UTC"
    assert line.startswith("0 2 * * * ") and "sync --write-back" in line
