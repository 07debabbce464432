"""The richer specs end to end: a sync against the 127.0.0.1 price server (offer fixtures with
the attributes in their real shapes) writes them into the catalog; `list` filters on them, prints
them (--specs, --json, --csv) and the dashboard selects the same rows."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess

import pytest
from pricesync.core import build_engine, parse_query
from pricesync.tui.rowindex import RowIndex, View
from pricesync.tui.rows import build_rows

from tests.conftest import CLI, cli_env, read_terminal


@pytest.fixture
def synced(cli):
    assert cli("sync", "--write-back").returncode == 0
    return cli


def catalog_specs(settings) -> dict[tuple[str, str, str], dict]:
    doc = json.loads((settings.data_dir / "aws_catalog.json").read_text())
    return {(e["instance_type"], e["region"], e["os"]): e.get("specs") for e in doc["entries"]}


def test_a_sync_writes_the_offers_specs_into_the_catalog(synced, settings):
    specs = catalog_specs(settings)
    assert specs[("m5.large", "us-east-1", "linux")] == {
        "current_generation": True,
        "processor": "Intel Xeon Platinum 8175",
        "processor_features": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
        "clock": "3.1 GHz",
        "clock_ghz": 3.1,
        "network": "Up to 10 Gigabit",
        "network_gbps": 10.0,
        "storage": "EBS only",
        "storage_gb": 0.0,
        "storage_type": "ebs-only",
    }
    p4d = specs[("p4d.24xlarge", "us-east-1", "linux")]
    assert (p4d["network_gbps"], p4d["storage_gb"], p4d["storage_type"], p4d["clock_ghz"]) == (400, 8000, "ssd", 3)
    assert specs[("t3.micro", "us-east-1", "rhel")]["clock"] == "Up to 3.1 GHz"


def test_a_catalog_without_specs_gets_them_from_a_sync_that_changes_no_price(synced, settings):
    """An older catalog (no specs) and prices that have not moved: the specs still reach it."""
    path = settings.data_dir / "aws_catalog.json"
    doc = json.loads(path.read_text())
    for e in doc["entries"]:
        e.pop("specs")
    path.write_text(json.dumps(doc))
    assert set(catalog_specs(settings).values()) == {None}
    p = synced("sync", "--write-back")
    assert p.returncode == 0, p.stderr
    assert None not in catalog_specs(settings).values()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("net>=25", {"p4d.24xlarge"}),
        ("cpu:graviton*", {"c6g.large"}),
        ("cpu>=4", {"m5.xlarge", "p4d.24xlarge"}),  # a number: still vCPUs
        ("storage:ssd", {"p4d.24xlarge"}),
        ("disk>=1000 gen:current", {"p4d.24xlarge"}),
        ("clock>3 processor:*xeon*", {"m5.large", "m5.xlarge"}),
        ("storage:ebs* cpu!=*intel*", {"c6g.large"}),
    ],
)
def test_list_where_spec_terms(synced, where, expected):
    p = synced("list", "--json", "--where", where)
    assert p.returncode == 0, p.stderr
    assert {r["instance_type"] for r in json.loads(p.stdout)} == expected


def test_list_json_and_csv_carry_the_specs(synced):
    rows = json.loads(synced("list", "--json", "--where", "c6g region:us-east-1").stdout)
    assert rows[0]["specs"]["processor"] == "AWS Graviton2 Processor" and "processor_features" not in rows[0]["specs"]
    table = list(csv.DictReader(io.StringIO(synced("list", "--csv", "--where", "p4d").stdout)))
    assert table[0]["network_gbps"] == "400" and table[0]["storage_type"] == "ssd"
    assert table[0]["current_generation"] == "true" and table[0]["clock_ghz"] == "3"
    assert list(table[0])[:15][-1] == "pending_change_pct"  # the older columns first, in their order


def test_list_specs_columns(synced):
    p = synced("list", "--specs", "--where", "p4d")
    header = p.stdout.splitlines()[1].split()
    assert header[-5:] == ["gen", "GHz", "network", "storage", "processor"]
    assert "4x 100 Gigabit" in p.stdout and "8 x 1000 SSD" in p.stdout


def test_list_specs_at_80_columns_keeps_the_prices(synced, settings):
    """On an 80-column terminal the spec columns go before the prices do."""
    master, slave = pty.openpty()
    env = cli_env(settings) | {"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    proc = subprocess.Popen([*CLI, "list", "--specs"], env=env, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    lines = read_terminal(master).decode().replace("\r\n", "\n").splitlines()
    header = lines[1]
    assert header.startswith("instance type") and "$/hour" in header and "$/month" in header
    assert "gen" in header and "processor" not in header
    assert max(map(len, lines[1:])) <= 80


@pytest.mark.parametrize(
    "where",
    ["net>=25", "net<=10", "cpu:graviton*", "cpu:*xeon*", "storage:nvme*,ssd", "disk=0", "gen:current clock>=3"],
)
def test_the_dashboard_selects_the_same_rows_on_specs(synced, settings, where):
    catalog = build_engine(settings).catalog("aws")
    query = parse_query(where)
    rows = build_rows(catalog)
    shown = {rows.keys[r] for r in RowIndex(rows).select(View(query))}
    assert shown == {e.key for e in catalog.entries if query.matches(e)}
