"""The Azure Retail Prices source against tests.fakes.azuredata on 127.0.0.1: traps, paging, faults."""

from __future__ import annotations

import json
import subprocess
import threading
from decimal import Decimal
from importlib import resources

import pytest
from pricesync.core.catalog import bundled_catalog_file, load_catalog
from pricesync.core.config import load_settings
from pricesync.core.providers.base import FetchRequest
from pricesync.core.providers.specs import bundled_specs
from pricesync.core.sources import make_provider
from pricesync.core.specs import Specs
from pricesync.core.sync import SyncEngine

from tests.conftest import CLI, WITH_SPOT, assert_files_kept, cli_env, data_snapshot
from tests.fakes import azuredata as az

REGIONS = ("eastus", "westeurope")
UNKNOWN = "Standard_ZZ4s_v9"  # a size the bundled catalog does not have
LONG = "0.123456789012345678"  # more digits than a float keeps


def bundled(region: str) -> list[tuple[str, str, str]]:
    """(size, os, family) of every bundled Azure catalog entry in `region`."""
    with resources.as_file(bundled_catalog_file("azure")) as path:
        entries = load_catalog(path, "azure").entries
    return sorted({(e.instance_type, e.os, e.family) for e in entries if e.region == region})


def fixture_items(region: str) -> tuple[list[dict], dict[tuple[str, str, str], str]]:
    """Price items for every bundled size and OS in `region`, the traps around each Linux
    price (before it for every other size), a storage item and an unknown size.
    Returns the items and the catalog prices they must give."""
    items: list[dict] = [az.storage_item(region)]
    expected: dict[tuple[str, str, str], str] = {}
    for i, (size, os_, family) in enumerate(bundled(region)):
        price = (
            LONG
            if (size, os_) == ("Standard_D2s_v5", "linux")
            else f"{Decimal(i + 1) * Decimal('0.0137') + Decimal(len(region)) / 1000}"
        )
        # the API spells some sizes in another case than the catalog does
        sku = "Standard_E2S_V5" if size == "Standard_E2s_v5" else size
        real = az.item(sku, region, price, series=family, windows=os_ == "windows")
        traps = az.traps(sku, region, price, series=family) if os_ == "linux" else []
        items += [*traps, real] if i % 2 else [real, *traps]
        expected[(size, region, os_)] = price
    items.append(az.item(UNKNOWN, region, "0.4410", series="ZZsv9"))
    expected[(UNKNOWN, region, "linux")] = "0.4410"
    return items, expected


@pytest.fixture
def azure_settings(tmp_path, server):
    data = tmp_path / "data"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f"[sync]\nprice_kinds = {json.dumps(list(WITH_SPOT))}\n"
        f'[azure]\nenabled = true\nregions = {json.dumps(list(REGIONS))}\nendpoint = "{server.url}{az.PATH}"\n'
        "[http]\nretries = 2\nbackoff_s = 0.01\ntimeout_s = 5\n"
    )
    return load_settings(cfg, data)


@pytest.fixture
def served(server):
    """{region: expected prices}, with the routes of every page as `.routes`."""
    items, expected = {}, {}
    for region in REGIONS:
        items[region], expected[region] = fixture_items(region)
    routes = az.serve_azure(server, items, page_size=50)
    return expected, routes


def fetch(settings, regions=REGIONS):
    provider = make_provider(settings, "azure")
    try:
        return provider.fetch(FetchRequest(None if regions is None else list(regions), {}))
    finally:
        provider.close()


def test_pay_as_you_go_prices_only_with_bundled_specs(azure_settings, served):
    expected, _ = served
    result = fetch(azure_settings, ["eastus"])
    f = result.regions["eastus"]
    assert {r.key: r.price_per_hour for r in f.records} == expected["eastus"]
    assert {r.currency for r in f.records} == {"USD"}
    n_linux = sum(1 for _, os_, _ in bundled("eastus") if os_ == "linux")
    assert f.skipped == {
        "spot": 2 * n_linux,
        "low_priority": n_linux,
        "devtest": n_linux,
        "reservation": n_linux,
        "duplicate": n_linux,
        "zero_price": n_linux,
        "other_service": 1,
    }
    by_key = {r.key: r for r in f.records}
    d2 = by_key[("Standard_D2s_v5", "eastus", "linux")]
    assert (d2.price_per_hour, d2.vcpu, d2.memory_gib, d2.family, d2.arch) == (LONG, 2, 8.0, "Dsv5", "x86_64")
    assert by_key[("Standard_D2s_v5", "eastus", "windows")].price_per_hour != LONG  # Windows from the product name
    assert ("Standard_E2s_v5", "eastus", "linux") in by_key  # the catalog's spelling, not the API's
    assert by_key[("Standard_D4ps_v5", "eastus", "linux")].arch == "arm64"
    assert by_key[("Standard_NC4as_T4_v3", "eastus", "linux")].gpu == 1
    # the richer specs the size name documents: a = AMD, p = Arm (v5: Ampere Altra), d = a temp disk
    assert by_key[("Standard_D4ps_v5", "eastus", "linux")].specs == Specs(processor="Ampere Altra (Arm)")
    assert by_key[("Standard_NC4as_T4_v3", "eastus", "linux")].specs == Specs(processor="AMD")
    assert by_key[("Standard_D2ds_v5", "eastus", "linux")].specs == Specs(storage="local temporary disk")
    assert d2.specs is None  # an Intel size: the name says nothing of its processor


def test_unknown_size_is_added_with_unknown_specs(azure_settings, served):
    """... but with what its name tells (ZZ4s_v9: no a, p or d: nothing)."""
    rec = next(
        r for r in fetch(azure_settings, ["westeurope"]).regions["westeurope"].records if r.instance_type == UNKNOWN
    )
    assert UNKNOWN.lower() not in bundled_specs("azure")
    assert (rec.vcpu, rec.memory_gib, rec.gpu, rec.arch, rec.family) == (None, None, None, None, "ZZsv9")
    assert rec.specs is None


def test_pages_follow_next_page_link_on_the_configured_endpoint(azure_settings, served, server):
    _, routes = served
    fetch(azure_settings, ["eastus"])
    pages = sum(1 for region, _ in routes if region == "eastus")
    assert pages > 3
    paths = [p for p, _ in server.requests]
    assert len(paths) == pages  # every NextPageLink (https://prices.azure.com:443/...) fetched from 127.0.0.1
    first = paths[0]
    assert "currencyCode=%27USD%27" in first
    assert (
        "%24filter=serviceName+eq+%27Virtual+Machines%27+and+priceType+eq+%27Consumption%27+and+armRegionName+eq+%27eastus%27"
        in first
    )
    assert [p.rsplit("$skip=", 1)[-1] for p in paths[1:]] == [str(50 * n) for n in range(1, pages)]
    assert all(routes[("eastus", n)].hits == 1 for n in range(pages))


def test_progress_counts_the_bytes_of_every_page(azure_settings, served):
    _, routes = served
    seen = []
    provider = make_provider(azure_settings, "azure")
    provider.fetch(FetchRequest(["eastus"], {}, progress=lambda *event: seen.append(event)))
    provider.close()
    assert {region for region, *_ in seen} == {"eastus"}
    done = [n for _, n, _, _ in seen]
    assert done == sorted(done) and done[-1] == sum(
        len(r.body) for (region, _), r in routes.items() if region == "eastus"
    )
    counts = [n for *_, n in seen]
    assert counts == sorted(counts) and counts[-1] > 0


def test_cancel_stops_between_pages_and_writes_nothing(azure_settings, served):
    _, routes = served
    engine = SyncEngine(azure_settings, listeners=[])
    assert engine.sync("azure").status == "updated"
    before = data_snapshot(azure_settings.data_dir)
    cancel = threading.Event()
    result = engine.sync("azure", write_back=True, cancel=cancel, progress=lambda *event: cancel.set())
    assert result.status == "failed" and "cancelled" in result.error
    assert routes[("eastus", 1)].hits == 1  # the first sync's; the cancelled one stopped after page 0
    assert_files_kept(before, azure_settings.data_dir)


def test_429_with_retry_after_then_success(azure_settings, served):
    expected, routes = served
    page = routes[("eastus", 2)]
    page.fail_first, page.fail_status, page.retry_after = 1, 429, "1"
    f = fetch(azure_settings, ["eastus"]).regions["eastus"]
    assert {r.key: r.price_per_hour for r in f.records} == expected["eastus"]
    assert page.hits == 2


def test_a_page_that_repeats_is_refused(azure_settings, served, server):
    _, routes = served
    routes[("eastus", 2)].body = routes[("eastus", 1)].body  # its NextPageLink points back to page 2
    with pytest.raises(Exception, match="paging loops"):
        fetch(azure_settings, ["eastus"])


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"truncate_at": 300}, "cut off"),
        ({"body": b"<html><body>Service Unavailable</body></html>", "content_type": "text/html"}, "returned HTML"),
        ({"body": b'{"value": []}'}, "not an Azure Retail Prices page"),
    ],
)
def test_a_page_failing_mid_way_writes_nothing(azure_settings, served, fault, message):
    _, routes = served
    engine = SyncEngine(azure_settings, listeners=[])
    first = engine.sync("azure", write_back=True)
    assert first.status == "updated" and first.wrote_back, first.error
    before = data_snapshot(azure_settings.data_dir)
    assert {"azure_catalog.json", "azure_cache.json", "state.json"} <= set(before)
    for name, value in fault.items():
        setattr(routes[("westeurope", 3)], name, value)
    result = engine.sync("azure", write_back=True, force=True)
    assert result.status == "failed" and message in result.error and "\n" not in result.error
    assert_files_kept(before, azure_settings.data_dir)


def test_region_the_api_does_not_list(azure_settings, served):
    result = SyncEngine(azure_settings, listeners=[]).sync("azure", regions=["marsnorth"])
    assert result.status == "failed"
    assert result.error == "the Azure Retail Prices API lists no Virtual Machines prices for region 'marsnorth'"


def test_all_regions_is_one_listing_grouped_by_region(azure_settings, served, server):
    expected, _ = served
    result = fetch(azure_settings, None)
    assert sorted(result.regions) == sorted(REGIONS)
    for region in REGIONS:
        assert {r.key: r.price_per_hour for r in result.regions[region].records} == expected[region]
    assert "armRegionName" not in server.requests[0][0]


def test_cli_sync_write_back_and_list(azure_settings, served):
    expected, _ = served
    env = cli_env(azure_settings)
    p = subprocess.run(
        [*CLI, "sync", "--provider", "azure", "--write-back", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["provider"], out["mode"], out["status"], out["wrote_back"]) == ("azure", "api", "updated", True)
    assert (out["added"], out["missing"], out["regions"]) == (2, 0, sorted(REGIONS))  # the unknown size, per region
    catalog = load_catalog(azure_settings.data_dir / "azure_catalog.json", "azure")
    prices = {e.key: e.price_per_hour for e in catalog.entries if e.region in REGIONS}
    assert prices == {k: v for region in REGIONS for k, v in expected[region].items()}
    assert all(e.price_per_hour is None for e in catalog.entries if e.region not in REGIONS)
    listed = subprocess.run(
        [*CLI, "list", "--provider", "azure", "--region", "eastus", "--filter", "ZZ4s", "--csv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    header, row = listed.stdout.splitlines()
    entry = dict(zip(header.split(","), row.split(","), strict=True))
    assert (entry["instance_type"], entry["family"], entry["price_per_hour"], entry["available"]) == (
        UNKNOWN,
        "ZZsv9",
        "0.441",  # the exact decimal every CSV carries
        "true",
    )
    assert entry["vcpu"] == entry["memory_gib"] == entry["gpu"] == entry["arch"] == ""  # unknown, not invented
    table = subprocess.run(
        [*CLI, "list", "--provider", "azure", "--region", "eastus", "--filter", "ZZ4s"],
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert UNKNOWN in table.stdout and "?" in table.stdout  # unknown specs shown as such


# -- the other kinds: spot, reservations, savings plans -------------------------------------------------------

ALL_KINDS = frozenset(
    {
        "spot",
        "reserved-1yr-standard-all-upfront",
        "reserved-3yr-standard-all-upfront",
        "savings-plan-compute-1yr-no-upfront",
        "savings-plan-compute-3yr-no-upfront",
    }
)
D2 = "Standard_D2s_v5"


def kind_items(region: str = "eastus") -> list[dict]:
    """D2s v5 in `region` with every kind around it, the traps of the real listing included."""
    return [
        az.item(D2, region, "0.096", savingsPlan=az.savings_plan("0.0762", "0.0533")),
        az.item(D2, region, "0.188", windows=True, savingsPlan=az.savings_plan("0.1682", "0.1453")),
        az.item(D2, region, "0.0192", suffix=" Spot"),
        az.item(D2, region, "0.0826", suffix=" Spot", windows=True),
        az.item(D2, region, "0.0123", suffix=" Spot", price_type="DevTestConsumption"),  # not a price here
        az.item(D2, region, "0.0240", suffix=" Low Priority"),  # not spot
        az.reservation(D2, region, "504.7", "1 Year"),  # the TERM total, "1 Hour" notwithstanding
        az.reservation(D2, region, "973", "3 Years"),
        az.reservation(D2, region, "600", "5 Years"),  # a term without a kind
        az.reservation("Standard_D4s_v5", region, "1009", "1 Year"),  # no pay-as-you-go price for it
    ]


def fetch_kinds(settings, kinds=ALL_KINDS, region="eastus"):
    provider = make_provider(settings, "azure")
    try:
        return provider.fetch(FetchRequest([region], {}, kinds=kinds)).regions[region]
    finally:
        provider.close()


def test_every_kind_joined_to_the_pay_as_you_go_price(azure_settings, server):
    az.serve_azure(server, {"eastus": kind_items()})
    f = fetch_kinds(azure_settings)
    by_key = {r.key: r for r in f.records}
    linux = {k: p.to_json() for k, p in by_key[(D2, "eastus", "linux")].prices.items()}
    assert by_key[(D2, "eastus", "linux")].price_per_hour == "0.096"
    assert linux == {
        "savings-plan-compute-1yr-no-upfront": {"hourly": "0.0762", "upfront": "0", "effective_hourly": "0.0762000000"},
        "savings-plan-compute-3yr-no-upfront": {"hourly": "0.0533", "upfront": "0", "effective_hourly": "0.0533000000"},
        "spot": {"hourly": "0.0192", "upfront": "0", "effective_hourly": "0.0192000000"},
        # upfront = the total, hourly 0, effective = total / (8760 x years)
        "reserved-1yr-standard-all-upfront": {"hourly": "0", "upfront": "504.7", "effective_hourly": "0.0576141553"},
        "reserved-3yr-standard-all-upfront": {"hourly": "0", "upfront": "973", "effective_hourly": "0.0370243531"},
    }
    windows = by_key[(D2, "eastus", "windows")].prices
    # Windows stays its own os for every kind: its own spot and plans, no Linux reservation
    assert windows["spot"].hourly == "0.0826"
    assert windows["savings-plan-compute-1yr-no-upfront"].hourly == "0.1682"
    assert not any(k.startswith("reserved-") for k in windows)
    assert f.skipped["devtest"] == 1 and f.skipped["low_priority"] == 1
    assert f.skipped["other_term"] == 1 and f.skipped["no_pay_as_you_go_price"] == 1
    assert ("Standard_D4s_v5", "eastus", "linux") not in by_key  # a reservation makes no row


def test_only_the_wanted_kinds(azure_settings, server):
    az.serve_azure(server, {"eastus": kind_items()})
    f = fetch_kinds(azure_settings, kinds=frozenset({"spot"}))
    rec = next(r for r in f.records if r.key == (D2, "eastus", "linux"))
    assert set(rec.prices) == {"spot"}
    assert f.skipped["reservation"] == 3 and f.skipped["other_term"] == 1
    f = fetch_kinds(azure_settings, kinds=frozenset())
    assert all(not r.prices for r in f.records)


def test_query_asks_for_savings_plans_and_reservations(azure_settings, server):
    az.serve_azure(server, {"eastus": kind_items()})
    fetch_kinds(azure_settings)
    first = server.requests[0][0]
    assert "api-version=2023-01-01-preview" in first
    assert "priceType+eq+%27Reservation%27" in first
    server.requests.clear()
    fetch_kinds(azure_settings, kinds=frozenset({"spot"}))
    assert "Reservation" not in server.requests[0][0]  # none wanted: the query as before


@pytest.mark.parametrize(
    "total, reason",
    [("0", "zero_price"), ("1e15", "absurd_price"), ("-5", "bad_price"), ("263000000", "absurd_price")],
)
def test_a_bad_reservation_total_is_skipped(azure_settings, server, total, reason):
    items = [az.item(D2, "eastus", "0.096"), az.reservation(D2, "eastus", total, "1 Year")]
    az.serve_azure(server, {"eastus": items})
    f = fetch_kinds(azure_settings)
    assert not f.records[0].prices and f.skipped[reason] == 1


def test_spot_only_sync_keeps_the_cached_prices(azure_settings, server):
    az.serve_azure(server, {"eastus": kind_items(), "westeurope": kind_items("westeurope")})
    engine = SyncEngine(azure_settings)
    assert engine.sync("azure", kinds=ALL_KINDS | {"on-demand"}).status == "updated"
    items = kind_items()
    items[0] = az.item(D2, "eastus", "0.5", savingsPlan=az.savings_plan("0.4", "0.3"))  # must not be taken
    items[2] = az.item(D2, "eastus", "0.0211", suffix=" Spot")
    az.serve_azure(server, {"eastus": items, "westeurope": kind_items("westeurope")})
    result = engine.sync("azure", kinds=frozenset({"spot"}))
    assert result.status == "updated", result.error
    rec = next(r for r in engine.cache("azure").records if r.key == (D2, "eastus", "linux"))
    assert rec.price_per_hour == "0.096"
    assert rec.prices["spot"].hourly == "0.0211"
    assert rec.prices["savings-plan-compute-1yr-no-upfront"].hourly == "0.0762"
    assert rec.prices["reserved-3yr-standard-all-upfront"].upfront == "973"
