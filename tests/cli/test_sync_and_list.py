"""`pricesync` as a real subprocess: --json shape, exit codes, list, terminal vs piped output."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
from decimal import Decimal
from operator import itemgetter

import pytest
from filelock import FileLock
from pricesync.core import CSV_COLUMNS, build_engine
from pricesync.core.sync import sync_lock_path
from pricesync.tui.export import export_bytes
from pricesync.tui.rows import build_rows

from tests.conftest import CLI, US_EAST_1, cli_env, read_terminal

JSON_KEYS = {
    "provider",
    "mode",
    "status",
    "regions",
    "records",
    "added",
    "changed",
    "missing",
    "wrote_back",
    "duration_s",
    "error",
}
ESC = "\x1b"


def test_sync_json_has_the_agreed_keys(cli):
    p = cli("sync", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= JSON_KEYS
    assert out["provider"] == "aws" and out["mode"] == "public" and out["status"] == "updated"
    assert out["regions"] == ["eu-west-1", "us-east-1"] and out["records"] == 9
    assert (out["added"], out["changed"], out["missing"], out["wrote_back"], out["error"]) == (0, 9, 0, False, None)
    assert isinstance(out["duration_s"], float)
    assert p.stderr == ""


def test_unchanged_then_write_back(cli, settings):
    assert cli("sync").returncode == 0
    p = cli("sync", "--json")
    assert json.loads(p.stdout)["status"] == "unchanged" and p.returncode == 0
    p = cli("sync", "--write-back", "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 0 and out["status"] == "updated" and out["wrote_back"] is True


def test_plain_output_lists_changes(cli):
    p = cli("sync", "--write-back")
    assert p.returncode == 0
    assert "aws (public): updated; regions eu-west-1, us-east-1; 9 prices" in p.stdout
    assert "written back" in p.stdout
    assert "p4d.24xlarge/us-east-1/linux: never synced -> 32.7726" in p.stdout


def test_failed_sync_exits_1_with_json_error(cli):
    p = cli("sync", "--region", "ap-south-9", "--json")
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["status"] == "failed" and "ap-south-9 is not in the AWS price list index" in out["error"]


def test_busy_exits_3(cli, settings):
    with FileLock(sync_lock_path(settings.data_dir, "aws")):
        p = cli("sync", "--json")
        plain = cli("sync")
    assert p.returncode == 3 and plain.returncode == 3
    out = json.loads(p.stdout)
    assert set(out) >= JSON_KEYS and out["status"] == "failed" and "sync already running" in out["error"]
    assert plain.stderr.count("\n") == 1 and "sync already running for aws" in plain.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--region", "us-east-1", "--all-regions"], "not allowed with argument"),
        (["sync", "--provider", "oracle"], "invalid choice: 'oracle'"),
        (["sync", "--bogus"], "unrecognized arguments: --bogus"),
        (["list", "--sort", "speed"], "invalid choice: 'speed'"),
        (["list", "--min-vcpu", "many"], "invalid int value: 'many'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_usage_errors_exit_2_on_one_line(cli, args, message):
    p = cli(*args)
    assert p.returncode == 2
    assert p.stderr.startswith("pricesync: ") and p.stderr.count("\n") == 1, p.stderr
    assert message in p.stderr


# -- list -----------------------------------------------------------------------------------------


@pytest.fixture
def synced(cli):
    assert cli("sync", "--write-back").returncode == 0
    return cli


def listed(cli, *args: str) -> list[dict]:
    p = cli("list", "--json", *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_list_json_filters(synced):
    rows = listed(synced, "--region", "us-east-1", "--os", "linux", "--min-vcpu", "4")
    assert sorted(r["instance_type"] for r in rows) == ["m5.xlarge", "p4d.24xlarge"]
    assert {r["price_per_hour"] for r in rows} == {"0.1920000000", "32.7726000000"}
    p4d = next(r for r in rows if r["instance_type"] == "p4d.24xlarge")
    assert Decimal(p4d["price_per_month"]) == Decimal("32.7726") * 730
    assert [r["instance_type"] for r in listed(synced, "--filter", "C6G")] == ["c6g.large", "c6g.large"]
    assert {r["instance_type"] for r in listed(synced, "--min-memory", "16")} == {"m5.xlarge", "p4d.24xlarge"}
    assert {(r["instance_type"], r["os"]) for r in listed(synced, "--os", "RHEL")} == {("t3.micro", "rhel")}


def test_list_sort_and_max_price(synced):
    rows = listed(synced, "--sort", "price")
    got = [Decimal(r["price_per_hour"]) for r in rows]
    assert got == sorted(got) and len(rows) == 9
    cheap = listed(synced, "--max-price", "0.1", "--sort", "price")
    assert [r["price_per_hour"] for r in cheap] == ["0.0392000000", "0.0680000000", "0.0770000000", "0.0960000000"]
    by_vcpu = [r["vcpu"] for r in listed(synced, "--sort", "vcpu")]
    assert by_vcpu == sorted(by_vcpu) and by_vcpu[-1] == 96


def test_list_max_price_skips_never_synced(cli):
    assert listed(cli, "--max-price", "100") == []
    assert len(listed(cli)) == 9


def test_list_csv(synced):
    p = synced("list", "--csv", "--region", "eu-west-1", "--sort", "price")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["instance_type"] for r in rows] == ["c6g.large", "m5.large", "m5.xlarge"]
    assert rows[0]["price_per_hour"] == "0.077" and rows[0]["arch"] == "arm64"  # the exact decimal
    assert tuple(rows[0]) == CSV_COLUMNS and rows[0]["available"] == "true"


def test_csv_from_the_cli_and_the_dashboard_agree(synced, settings):
    """The same columns in the same order, the same encoding of every value."""
    cli_rows = list(csv.DictReader(io.StringIO(synced("list", "--csv").stdout)))
    engine = build_engine(settings)
    catalog = engine.catalog("aws")
    rows = build_rows(catalog, engine.pending("aws"))
    tui_rows = list(csv.DictReader(io.StringIO(export_bytes(rows, range(len(rows)), catalog.entries).decode())))
    key = itemgetter("instance_type", "region", "os")
    assert sorted(cli_rows, key=key) == sorted(tui_rows, key=key) and len(cli_rows) == 9


def test_list_table_when_piped_has_no_escape_codes(synced):
    p = synced("list")
    assert p.returncode == 0
    assert "aws catalog (9 of 9 entries, USD)" in p.stdout
    assert ESC not in p.stdout and ESC not in p.stderr


# -- terminal vs piped ------------------------------------------------------------------------------


def test_piped_sync_has_no_progress_escape_codes(cli):
    p = cli("sync", "--force")
    assert p.returncode == 0
    assert ESC not in p.stdout and ESC not in p.stderr
    assert p.stdout.startswith("aws (public): updated")


def test_terminal_gets_a_progress_bar_on_stderr_only(settings):
    """With stderr on a terminal the bar is drawn there; stdout (piped) stays plain text."""
    master, slave = pty.openpty()
    env = cli_env(settings) | {"TERM": "xterm-256color"}
    proc = subprocess.Popen([*CLI, "sync", "--force"], env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    err = read_terminal(master)
    assert proc.returncode == 0
    assert ESC.encode() in err and b"us-east-1" in err
    assert ESC.encode() not in out and out.startswith(b"aws (public): updated")


def list_on_a_terminal(settings, columns: int) -> str:
    """`pricesync list --region us-east-1` with stdout on a terminal `columns` wide."""
    master, slave = pty.openpty()
    env = cli_env(settings) | {"TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "24"}
    proc = subprocess.Popen([*CLI, "list", "--region", "us-east-1"], env=env, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    return read_terminal(master).decode().replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 60])
def test_a_narrow_terminal_drops_columns_and_never_cuts_a_price(synced, settings, columns):
    out = list_on_a_terminal(settings, columns)
    assert "…" not in out and all(len(line) <= columns for line in out.splitlines())
    assert "p4d.24xlarge" in out and "32.7726" in out and "23,923.998" in out  # whole, aligned on 3 decimals
    header = next(line for line in out.splitlines() if line.startswith("instance type"))
    assert "$/hour" in header and "$/month" in header and "synced" not in header


def test_a_terminal_too_narrow_for_a_table_gets_one_record_per_line(synced, settings):
    out = list_on_a_terminal(settings, 30)
    assert "…" not in out and "       $/hour: 32.7726" in out and "instance type: p4d.24xlarge" in out


def test_installed_script_runs(settings):
    script = os.path.join(os.path.dirname(CLI[0]), "pricesync")
    if not os.path.exists(script):
        pytest.skip("the pricesync console script is not installed next to this Python")
    p = subprocess.run(
        [script, "list", "--json"], env=cli_env(settings), capture_output=True, text=True, timeout=60, check=False
    )
    assert p.returncode == 0 and len(json.loads(p.stdout)) == len(US_EAST_1) + 3
