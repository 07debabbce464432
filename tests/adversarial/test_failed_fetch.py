"""A failed fetch changes nothing (issue 9, items 4, 14 and 15): a region without usable prices,
too many prices gone, or another currency is judged before anything is written. The cache, the
stored versions and validators, the catalog, the history's price changes and the webhooks stay
as they were; state.json records the attempt and its error; `--json` reports what was fetched;
a later sync of the same version against a fixed source is not skipped as "unchanged". `--force`
overrides the empty and missing rules, never the currency rule. Each through the real CLI."""

from __future__ import annotations

import json

import pytest
from pricesync.core.history import HistoryStore
from pricesync.core.state import provider_state

from tests.conftest import (
    EU_WEST_1,
    GCP_KEY,
    US_EAST_1,
    V2,
    assert_files_kept,
    data_snapshot,
    hook_url,
    offer_path,
    receiver,
    run_gcp_cli,
    serve_aws,
    serve_cny,
    with_webhooks,
)
from tests.fakes import gcpdata as g

EU_V2 = EU_WEST_1 | {("m5.large", "Linux"): "0.1100000000"}
NO_PRICES = "no prices fetched for eu-west-1"
US_HALF_GONE = {k: v for k, v in US_EAST_1.items() if k[0] not in ("m5.xlarge", "t3.micro")}  # 2 of 6 gone


@pytest.fixture
def hooked(settings, aws_server):
    """A webhook on the price server; returns what it receives."""
    got = receiver(aws_server)
    with_webhooks(settings, {"url": hook_url(aws_server)})
    return got


def baseline(cli, write_back: bool) -> None:
    p = cli("sync", *(["--write-back"] if write_back else []))
    assert p.returncode == 0, p.stderr


def sync_json(cli, *args: str):
    p = cli("sync", "--json", *args)
    return p, json.loads(p.stdout)


def assert_nothing_changed(settings, before: dict, hooked: list, runs: int) -> None:
    assert_files_kept(before, settings.data_dir)  # catalog, cache, state versions and validators
    history = HistoryStore(settings.data_dir)
    assert history.changes() == []  # no "removed" rows
    assert hooked == []  # no webhook
    assert len(history.runs(limit=None)) == runs + 1 and history.runs()[0].status == "failed"


WB = pytest.mark.parametrize("write_back", [False, True], ids=["fetch", "write-back"])


@WB
def test_a_region_without_usable_prices_changes_nothing(cli, settings, aws_server, hooked, write_back):
    baseline(cli, write_back)
    before, runs = data_snapshot(settings.data_dir), len(HistoryStore(settings.data_dir).runs(limit=None))
    serve_aws(aws_server, {"us-east-1": (V2, US_EAST_1), "eu-west-1": (V2, {})}, index_etag='"idx-2"')
    p, out = sync_json(cli, *(["--write-back"] if write_back else []))
    assert p.returncode == 1 and out["status"] == "failed" and not out["wrote_back"]
    assert out["error"] == f"sanity guard: fetch refused, nothing written: {NO_PRICES} (--force overrides)"
    # what was fetched, not `records: 0, regions: []`
    assert out["regions"] == ["eu-west-1", "us-east-1"] and out["records"] == len(US_EAST_1)
    assert out["source_version"] == V2
    assert_nothing_changed(settings, before, hooked, runs)
    state = provider_state(settings.data_dir, "aws")
    assert state["last_status"] == "failed" and state["last_error"] == out["error"]

    # the source is fixed at the same version: downloaded again, not skipped as "unchanged"
    serve_aws(aws_server, {"us-east-1": (V2, US_EAST_1), "eu-west-1": (V2, EU_V2)}, index_etag='"idx-2"')
    hits = aws_server.hits(offer_path("eu-west-1", V2))
    p, out = sync_json(cli, *(["--write-back"] if write_back else []))
    assert p.returncode == 0 and out["status"] == "updated", p.stdout
    assert aws_server.hits(offer_path("eu-west-1", V2)) == hits + 1
    changes = HistoryStore(settings.data_dir).changes()
    assert [(r.key, r.old, r.new) for r in changes] == [
        (("m5.large", "eu-west-1", "linux"), "0.1070000000", "0.1100000000")
    ]
    assert len(hooked) == 1


@WB
def test_too_many_prices_gone_changes_nothing_unless_forced(cli, settings, aws_server, hooked, write_back):
    baseline(cli, write_back)
    before, runs = data_snapshot(settings.data_dir), len(HistoryStore(settings.data_dir).runs(limit=None))
    serve_aws(aws_server, {"us-east-1": (V2, US_HALF_GONE), "eu-west-1": (V2, EU_WEST_1)}, index_etag='"idx-2"')
    args = ["--write-back"] if write_back else []
    p, out = sync_json(cli, *args)
    assert p.returncode == 1 and out["status"] == "failed"
    assert "us-east-1: 2 of 6 prices of the last fetch (33%) are gone (limit 20%)" in out["error"]
    if write_back:
        assert "us-east-1: 2 of 6 entries (33%) would be marked unavailable (limit 20%)" in out["error"]
    assert out["error"].endswith("(--force overrides)") and out["records"] == len(US_HALF_GONE) + len(EU_WEST_1)
    assert_nothing_changed(settings, before, hooked, runs)

    p = cli("sync", "--force", *args)
    assert p.returncode == 0, p.stderr
    warnings = p.stderr.splitlines()
    assert warnings and all(
        w.startswith("pricesync: warning: aws: forced past the sanity guard: us-east-1: 2 of 6 ") for w in warnings
    )
    assert {r.kind for r in HistoryStore(settings.data_dir).changes()} == {"removed"}
    assert len(hooked) == 1


def test_a_write_back_refused_after_a_good_fetch_is_not_a_failed_sync(cli, settings, aws_server):
    """The fetch passes its rules (no earlier fetch to compare with) but writing it back would
    mark a third of a region unavailable: the prices are cached, state.json says the write-back
    was refused, the catalog is kept, and the CLI says exactly that, with exit code 4."""
    baseline(cli, write_back=True)
    catalog = (settings.data_dir / "aws_catalog.json").read_bytes()
    (settings.data_dir / "aws_cache.json").unlink()  # nothing to compare the fetch with
    serve_aws(aws_server, {"us-east-1": (V2, US_HALF_GONE), "eu-west-1": (V2, EU_WEST_1)}, index_etag='"idx-2"')
    p, out = sync_json(cli, "--write-back")
    assert p.returncode == 4, p.stderr
    assert out["status"] == "updated" and out["wrote_back"] is False and out["error"] is None
    assert out["write_back_refused"] == (
        "sanity guard: write-back refused, catalog kept: "
        "us-east-1: 2 of 6 entries (33%) would be marked unavailable (limit 20%) (--force overrides)"
    )
    assert (settings.data_dir / "aws_catalog.json").read_bytes() == catalog
    cached = json.loads((settings.data_dir / "aws_cache.json").read_text())["records"]
    assert len(cached) == len(US_HALF_GONE) + len(EU_WEST_1)
    state = provider_state(settings.data_dir, "aws")
    assert state["last_status"] == "updated" and state.get("last_error") is None
    assert state["write_back"] == "refused" and state["write_back_error"] == out["write_back_refused"]

    p = cli("sync", "--write-back")  # the same version again: fetched, unchanged, refused again
    assert p.returncode == 4
    assert "catalog untouched" in p.stdout and "FAILED" not in p.stdout + p.stderr
    assert p.stderr == f"pricesync: aws write-back refused: {out['write_back_refused']}\n"

    p = cli("sync", "--write-back", "--force")  # forced: written, and the refusal is cleared
    assert p.returncode == 0 and "written back" in p.stdout, p.stderr
    assert provider_state(settings.data_dir, "aws")["write_back"] == "updated"
    assert (settings.data_dir / "aws_catalog.json").read_bytes() != catalog


@pytest.mark.parametrize("args", [(), ("--force",), ("--force", "--write-back")])
def test_aws_china_prices_in_cny_are_refused_whatever_the_flags(cli, settings, aws_server, hooked, args):
    baseline(cli, write_back=True)
    before, runs = data_snapshot(settings.data_dir), len(HistoryStore(settings.data_dir).runs(limit=None))
    serve_cny(aws_server)  # eu-west-1's file priced in CNY, as a China region's is
    p = cli("sync", *args)
    assert p.returncode == 1
    assert p.stderr == (
        "pricesync: aws sync failed: sanity guard: fetch refused, nothing written: "
        "eu-west-1 is priced in CNY, not the catalog's USD (nothing overrides this)\n"
    )
    assert_nothing_changed(settings, before, hooked, runs)


def test_all_regions_leaves_a_region_in_another_currency_out(cli, settings, aws_server):
    """A mirror listing a China region beside the others: `--all-regions` syncs the others and
    says which region it left out; the CNY prices reach no file."""
    serve_cny(aws_server)
    p = cli("sync", "--all-regions", "--write-back", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["regions"] == ["us-east-1"] and out["wrote_back"]
    assert out["warnings"] == [
        "aws: eu-west-1 is priced in CNY, not the catalog's USD: left out (a catalog holds one currency)"
    ]
    assert "eu-west-1" not in json.loads((settings.data_dir / "aws_cache.json").read_text())["regions"]
    assert cli("sync", "--region", "eu-west-1").returncode == 1  # asked for by name: refused


def test_a_gcp_fetch_in_another_currency_never_reaches_the_usd_catalog(gcp_settings, server):
    skus = g.catalog_skus(g.AMERICAS, g.BELGIUM)
    g.serve_gcp(server, skus, key=GCP_KEY, page_size=50)
    assert run_gcp_cli(gcp_settings, "sync", "--provider", "gcp", "--write-back").returncode == 0
    before = data_snapshot(gcp_settings.data_dir)
    for sku in skus:
        for rate in sku["pricingInfo"][0]["pricingExpression"]["tieredRates"]:
            rate["unitPrice"]["currencyCode"] = "IDR"
    g.serve_gcp(server, skus, key=GCP_KEY, page_size=50)
    p = run_gcp_cli(gcp_settings, "sync", "--provider", "gcp", "--write-back", "--force")
    assert p.returncode == 1
    assert (
        "europe-west1 is priced in IDR, not the catalog's USD; us-east1 is priced in IDR, not the catalog's USD "
        "(nothing overrides this)"
    ) in p.stderr
    assert p.stderr.count("\n") == 1
    assert_files_kept(before, gcp_settings.data_dir)
