"""`pricesync sync --kinds`, the kinds in `sync --json` and `pricesync changes`, as a real subprocess
against the local price server."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EU_WEST_1, US_EAST_1, V2, aws_settings, offer_path, serve_version

KIND = "reserved-1yr-standard-no-upfront"


@pytest.fixture
def settings(data_dir, tmp_path, aws_server):
    """The test config, keeping one Reserved kind besides on-demand."""
    return aws_settings(tmp_path, data_dir, aws_server.url, [KIND])


def test_sync_json_reports_bytes_and_kind_changes(cli, aws_server):
    p = cli("sync", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    total = sum(len(aws_server.routes[offer_path(r)].body) for r in ("us-east-1", "eu-west-1"))
    assert 0 < out["bytes_downloaded"] <= total
    assert out["kinds_changed"] == out["records"]  # every entry gains its Reserved price: the catalog had none
    p = cli("sync", "--write-back")
    assert p.returncode == 0, p.stderr
    assert f"m5.large/us-east-1/linux {KIND}: never synced -> " in p.stdout


def test_kinds_sync_then_changes_show_the_kind(cli, aws_server):
    assert cli("sync", "--write-back").returncode == 0
    serve_version(aws_server, V2, US_EAST_1 | {("m5.large", "Linux"): "0.1200000000"}, EU_WEST_1)
    p = cli("sync", "--kinds", KIND, "--write-back", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["changed"], out["kinds_changed"]) == (0, 1)  # on-demand untouched by a --kinds sync
    rows = json.loads(cli("changes", "--json").stdout)
    assert [(r["instance_type"], r["price_kind"], r["kind"]) for r in rows] == [("m5.large", KIND, "changed")]
    p = cli("changes")
    assert KIND in p.stdout and "m5.large" in p.stdout
    assert json.loads(cli("changes", "--kind", "on-demand", "--json").stdout) == []
    p = cli("history", "m5.large", "--kind", KIND, "--region", "us-east-1")
    assert p.returncode == 0 and "effective $/hour" in p.stdout


def test_kinds_are_checked(cli):
    p = cli("sync", "--kinds", "reserved-1yr-no-upfront")
    assert p.returncode == 2 and "'reserved-1yr-no-upfront' is not a price kind" in p.stderr
    assert len(p.stderr.strip().splitlines()) <= 2  # argparse's usage line and the error
    assert cli("sync").returncode == 0
    p = cli("sync", "--kinds", "spot")
    assert p.returncode == 1 and "spot is not in [sync] price_kinds" in p.stderr
