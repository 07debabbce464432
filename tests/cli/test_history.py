"""`pricesync changes` and `pricesync history` as real subprocesses over real syncs."""

from __future__ import annotations

import json

import pytest
from pricesync.core.history import HistoryStore

from tests.conftest import EU_V2, US_V2, US_V3, V2, V3, serve_version

OD = "on-demand"


@pytest.fixture
def synced(cli, settings, aws_server):
    """Three syncs through the CLI: the baseline, then two versions that move prices."""
    assert cli("sync").returncode == 0
    serve_version(aws_server, V2, US_V2, EU_V2)
    assert cli("sync").returncode == 0
    serve_version(aws_server, V3, US_V3, EU_V2)
    assert cli("sync", "--write-back").returncode == 0
    return HistoryStore(settings.data_dir)


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_changes_newest_first(cli, synced):
    p = cli("changes")
    assert p.returncode == 0, p.stderr
    rows = lines(p.stdout)
    assert rows[0][:3] == ["price", "changes,", "newest"]
    assert rows[1] == [
        "when",
        "(UTC)",
        "instance",
        "type",
        "price",
        "old",
        "$/hour",
        "new",
        "$/hour",
        "change",
        "region",
        "os",
        "provider",
        "source",
    ]
    body = [r[2:] for r in rows[3:]]  # without the date and time; prices aligned on 5 decimals (0.07315)
    assert body[0] == ["m5.large", OD, "0.10000", "0.10500", "+5.0%", "us-east-1", "linux", "aws", V3]
    assert ["c6g.large", OD, "0.07700", "0.07315", "-5.0%", "eu-west-1", "linux", "aws", V2] in body
    assert ["x1e.32xlarge", OD, "new", "26.68800", "us-east-1", "linux", "aws", V2] in body
    assert ["t3.micro", OD, "0.03920", "gone", "us-east-1", "rhel", "aws", V2] in body
    assert len(body) == 6


def test_changes_filters_and_json(cli, synced):
    out = json.loads(cli("changes", "--instance", "m5", "--json").stdout)
    assert [(r["old"], r["new"], r["kind"], r["source_version"]) for r in out] == [
        ("0.1000000000", "0.1050000000", "changed", V3),
        ("0.0960000000", "0.1000000000", "changed", V2),
    ]
    assert set(out[0]) == {
        "run_id",
        "at",
        "provider",
        "instance_type",
        "region",
        "os",
        "old",
        "new",
        "pct",
        "source_version",
        "kind",
        "price_kind",
    }
    assert [r["instance_type"] for r in json.loads(cli("changes", "--region", "eu-west-1", "--json").stdout)] == [
        "c6g.large"
    ]
    assert len(json.loads(cli("changes", "--since", "7d", "--json").stdout)) == 6
    assert json.loads(cli("changes", "--since", "2999-01-01", "--json").stdout) == []
    assert json.loads(cli("changes", "--provider", "gcp", "--json").stdout) == []
    p = cli("changes", "--limit", "2")
    assert len(lines(p.stdout)) == 3 + 2 + 1 and "more changes than 2" in p.stdout
    assert "no price changes recorded that match" in cli("changes", "--os", "suse").stdout


def test_bad_since_is_a_usage_error(cli):
    p = cli("changes", "--since", "last tuesday")
    assert p.returncode == 2
    assert p.stderr == (
        "pricesync: argument --since: 'last tuesday' is neither like 7d, 12h, 2w nor a date such as 2025-11-01\n"
    )


def test_empty_history(cli, settings):
    p = cli("changes")
    assert p.returncode == 0 and p.stdout == "no price changes recorded yet\n"
    assert not (settings.data_dir / "history.sqlite3").exists()
    p = cli("history", "m5.large")
    assert p.returncode == 0 and p.stdout.startswith("no price changes recorded for m5.large (aws)")


def test_history_of_one_entry(cli, synced):
    p = cli("history", "m5.large", "--region", "us-east-1")
    assert p.returncode == 0, p.stderr
    rows = lines(p.stdout)
    assert rows[0] == ["aws", "m5.large", "us-east-1", "linux"]
    assert rows[3][0] == "before" and rows[3][-1] == "0.0960"
    assert rows[4][2:] == ["0.1000", "+4.2%", V2]
    assert rows[5][2:] == ["0.1050", "+5.0%", V3]
    assert len(rows) == 6

    out = json.loads(cli("history", "t3.micro", "--os", "RHEL", "--json").stdout)
    assert [(e["region"], e["os"], [(c["old"], c["new"]) for c in e["changes"]]) for e in out] == [
        ("us-east-1", "rhel", [("0.0392000000", None)])
    ]
    assert "(no longer listed)" in cli("history", "t3.micro").stdout


def test_corrupt_history_is_one_line(cli, settings):
    (settings.data_dir / "history.sqlite3").write_bytes(b"not sqlite" * 50)
    p = cli("changes")
    assert p.returncode == 1
    assert p.stderr.startswith("pricesync: cannot read ") and "history.sqlite3: file is not a database" in p.stderr
    assert len(p.stderr.splitlines()) == 1
