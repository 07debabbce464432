"""Start-up: `--version`, a data dir that is a file refused at once by every command, the
dashboard and the daemon, and usage errors as one line with exit 2 (no traceback)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pricesync.core import version

from tests.conftest import cli_env

TUI = [sys.executable, "-m", "pricesync.tui.app"]


def test_version(cli):
    p = cli("--version")
    assert p.returncode == 0 and p.stdout == f"pricesync {version()}\n" and version() != "unknown"


@pytest.mark.parametrize(
    "args",
    [("sync",), ("daemon",), ("list",), ("changes",), ("schedule", "show")],
)
def test_a_data_dir_that_is_a_file_is_one_line_at_start(cli, settings, tmp_path, args):
    blocker = tmp_path / "data-file"
    blocker.write_text("x")
    p = cli(*args, "--data-dir", str(blocker), timeout=30)
    assert p.returncode in (1, 2) and p.stdout == ""
    assert p.stderr == f"pricesync: data dir {blocker} is a file, not a directory\n"


def test_the_dashboard_checks_the_data_dir_before_it_starts(settings, tmp_path):
    blocker = tmp_path / "data-file"
    blocker.write_text("x")
    p = subprocess.run(
        [*TUI, "--data-dir", str(blocker)], env=cli_env(settings), capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 2 and p.stderr == f"pricesync-tui: data dir {blocker} is a file, not a directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("changes", "--limit", "-1"), "argument --limit: '-1' is not a whole number >= 0"),
        (("list", "--max-price", "abc"), "argument --max-price: 'abc' is not a number"),
    ],
)
def test_bad_arguments_are_usage_errors(cli, args, message):
    p = cli(*args)
    assert p.returncode == 2 and p.stderr == f"pricesync: {message}\n" and p.stdout == ""


def test_the_settings_options_also_go_before_the_command(cli, settings, tmp_path):
    """`pricesync --config F --data-dir D list` as `pricesync list --config F --data-dir D`; given
    on both sides, the one after the command wins."""
    blocker = tmp_path / "data-file"
    blocker.write_text("x")
    p = cli("--data-dir", str(blocker), "list")
    assert p.returncode == 1 and p.stderr == f"pricesync: data dir {blocker} is a file, not a directory\n"
    assert cli("--data-dir", str(blocker), "list", "--data-dir", str(settings.data_dir)).returncode == 0
    missing = tmp_path / "missing.toml"
    p = cli("--config", str(missing), "list")
    assert p.returncode == 2 and p.stderr == f"pricesync: config file {missing} does not exist\n"
