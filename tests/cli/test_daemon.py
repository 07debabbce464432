"""`pricesync daemon` as a real process: start line, survives a failing run, exits 0 on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from pricesync.core.state import update_provider_state

from tests.conftest import OFFER


def wait_for_line(proc, needle: str, lines: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} not seen; stderr so far:\n{''.join(lines)}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_logs_start_survives_a_failing_run_and_stops_cleanly(settings, server, tmp_path, sig):
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(settings.config_path.read_text() + "\n[schedule]\ncatch_up_delay_s = 0.2\n")
    # the last success is days old, so the daemon catches up at once; the source is failing
    update_provider_state(
        settings.data_dir,
        "aws",
        {"last_success": (datetime.now(UTC) - timedelta(days=3)).isoformat().replace("+00:00", "Z")},
    )
    server.routes[OFFER].status = 500
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pricesync.core.cli",
            "daemon",
            "--config",
            str(cfg),
            "--data-dir",
            str(settings.data_dir),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    try:
        wait_for_line(proc, "Scheduler started. AWS price sync scheduled daily at 02:00 UTC.", lines)
        wait_for_line(proc, "catch-up run failed", lines)
        time.sleep(0.5)
        assert proc.poll() is None, "the daemon died after a failing run"
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = proc.stderr.read()
    assert "Scheduler stopped." in rest
    assert "HTTP 500" in (settings.data_dir / "sync.log").read_text()
