"""The GCP Cloud Billing Catalog source against tests.fakes.gcpdata on 127.0.0.1: the price
arithmetic to the last digit, the trap SKUs, paging, faults, and the API key kept secret."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from pricesync.core.catalog import load_catalog
from pricesync.core.config import load_settings
from pricesync.core.errors import ConfigError
from pricesync.core.providers.base import FetchRequest
from pricesync.core.providers.gcp import money
from pricesync.core.providers.specs import bundled_specs
from pricesync.core.sources import make_provider
from pricesync.core.specs import Specs
from pricesync.core.sync import SyncEngine

from tests.conftest import GCP_KEY, GCP_REGIONS, assert_files_kept, data_snapshot, run_gcp_cli
from tests.fakes import gcpdata as g


@pytest.fixture
def routes(server):
    return g.serve_gcp(server, g.catalog_skus(g.AMERICAS, g.BELGIUM, scale={"Belgium": 1.1}), key=GCP_KEY, page_size=25)


def fetch(settings, regions=GCP_REGIONS):
    provider = make_provider(settings, "gcp")
    try:
        return provider.fetch(FetchRequest(None if regions is None else list(regions), {}))
    finally:
        provider.close()


def prices(result, region: str) -> dict[str, str]:
    return {r.instance_type: r.price_per_hour for r in result.regions[region].records}


def test_money_is_units_plus_nanos_exactly():
    assert money({"currencyCode": "USD", "units": "2", "nanos": 933908000}).price == Decimal("2.933908000")
    assert money({"currencyCode": "USD", "nanos": 4237000}).price == Decimal("0.004237000")  # units omitted
    assert money({"currencyCode": "USD", "units": "0"}).price == 0  # nanos omitted
    assert money({"currencyCode": "USD", "units": "-1", "nanos": 5}) is None
    assert money({"currencyCode": "USD", "units": "0", "nanos": 1.5}) is None
    assert money({"units": "0", "nanos": 5}) is None


def test_worked_examples_to_the_last_digit(gcp_settings, routes):
    us = prices(fetch(gcp_settings), "us-east1")
    # n2d-standard-8: 8 vCPU x N2D core 0.027502000 = 0.220016000
    #               + 32 GiB x N2D RAM 0.003686000 = 0.117952000  -> 0.337968000
    assert us["n2d-standard-8"] == "0.337968000"
    # n1-standard-1: 1 x 0.031611000 + 3.75 GiB x 0.004237000 (= 0.01588875000) -> 0.04749975000
    assert us["n1-standard-1"] == "0.04749975000"
    # e2-micro is billed 0.25 of an E2 vCPU: 0.25 x 0.021811000 (= 0.00545275000) + 1 GiB x 0.002923000
    assert us["e2-micro"] == "0.00837575000"
    # c2 rates come from "Compute optimized Core/Ram" SKUs: 4 x 0.033174000 + 16 x 0.004446000
    assert us["c2-standard-4"] == "0.203832000"
    # f1-micro and g1-small: their own flat SKUs
    assert (us["f1-micro"], us["g1-small"]) == ("0.007600000", "0.025700000")


def test_records_carry_the_processor_their_family_documents(gcp_settings, routes):
    specs = {r.instance_type: r.specs for r in fetch(gcp_settings).regions["us-east1"].records}
    assert specs["n2d-standard-8"] == Specs(processor="AMD EPYC Rome or Milan")
    assert specs["t2a-standard-4"] == Specs(processor="Ampere Altra (Arm)")
    assert specs["e2-micro"] is None and specs["n1-standard-1"] is None  # Google picks their platform


def test_every_price_is_vcpus_times_core_plus_gib_times_ram(gcp_settings, routes):
    result = fetch(gcp_settings)
    shared = {"e2-micro": Decimal("0.25"), "e2-small": Decimal("0.5"), "e2-medium": Decimal("1")}
    flat = {"f1-micro": Decimal("0.0076"), "g1-small": Decimal("0.0257")}
    for region, factor in (("us-east1", 1.0), ("europe-west1", 1.1)):
        records = result.regions[region].records
        assert len(records) == 59 and {r.currency for r in records} == {"USD"} and {r.os for r in records} == {"linux"}
        for r in records:
            if r.instance_type in flat:
                assert Decimal(r.price_per_hour) == flat[r.instance_type]
                continue
            core, ram = (Decimal(int(n * factor)) / 10**9 for n in g.RATES[r.family])
            vcpu = shared.get(r.instance_type, Decimal(r.vcpu))
            assert Decimal(r.price_per_hour) == vcpu * core + Decimal(str(r.memory_gib)) * ram, r


def test_trap_skus_are_skipped_and_counted(gcp_settings, routes):
    f = fetch(gcp_settings, ["us-east1"]).regions["us-east1"]
    n = len(g.RATES)  # families; each has the full set of traps
    assert f.skipped == {
        "spot": 2 * n + 1,
        "custom": 2 * n,
        "sole_tenancy": n,
        "commitment": n,
        "reserved": 2 * n,
        "other_sku": 2,
        "not_compute": 1,
    }


def test_conflicting_rates_leave_the_family_unpriced_in_that_region(gcp_settings, server):
    skus = g.catalog_skus(g.AMERICAS)
    skus.append(
        g.sku(
            "N2 Instance Core running in South Carolina", "CPU", "OnDemand", ("South Carolina", ["us-east1"]), 99999000
        )
    )
    g.serve_gcp(server, skus, key=GCP_KEY)
    result = fetch(gcp_settings, ["us-east1", "us-central1"])
    n2_types = sum(1 for spec in bundled_specs("gcp").values() if spec.family == "n2")
    assert not [r for r in result.regions["us-east1"].records if r.family == "n2"]
    assert result.regions["us-east1"].skipped["ambiguous_rate"] == n2_types
    assert len([r for r in result.regions["us-central1"].records if r.family == "n2"]) == n2_types


def test_pages_follow_next_page_token_with_the_key_in_a_header(gcp_settings, routes, server):
    fetch(gcp_settings)
    assert len(routes) > 3 and all(r.hits == 1 for r in routes)
    paths = [p for p, _ in server.requests]
    assert paths[0] == f"{g.PATH}?currencyCode=USD&pageSize=5000"
    assert paths[1:] == [f"{g.PATH}?currencyCode=USD&pageSize=5000&pageToken=tok{n}" for n in range(1, len(routes))]
    assert all(GCP_KEY not in p for p in paths)
    assert all({k.lower(): v for k, v in h.items()}["x-goog-api-key"] == GCP_KEY for _, h in server.requests)


def test_429_then_success(gcp_settings, routes):
    routes[2].fail_first, routes[2].fail_status, routes[2].retry_after = 1, 429, "1"
    assert prices(fetch(gcp_settings), "us-east1")["n2d-standard-8"] == "0.337968000"
    assert routes[2].hits == 2


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"status": 503}, "HTTP 503"),
        ({"truncate_at": 500}, "cut off"),
        ({"body": b'{"services": []}'}, "not a Cloud Billing SKU list"),
    ],
)
def test_a_page_failing_mid_way_writes_nothing(gcp_settings, routes, fault, message):
    engine = SyncEngine(gcp_settings, listeners=[])
    assert engine.sync("gcp", write_back=True).wrote_back
    before = data_snapshot(gcp_settings.data_dir)
    for name, value in fault.items():
        setattr(routes[3], name, value)
    result = engine.sync("gcp", write_back=True, force=True)
    assert result.status == "failed" and message in result.error and "\n" not in result.error
    assert_files_kept(before, gcp_settings.data_dir)


def test_region_no_sku_lists(gcp_settings, routes):
    result = SyncEngine(gcp_settings, listeners=[]).sync("gcp", regions=["mars-north1"])
    assert result.status == "failed" and "no Compute Engine SKU lists region mars-north1" in result.error


def test_all_regions_are_the_regions_the_skus_list(gcp_settings, routes):
    assert sorted(fetch(gcp_settings, None).regions) == ["europe-west1", "us-central1", "us-east1", "us-west1"]


def test_no_key_is_one_clear_line(gcp_settings):
    settings = replace(gcp_settings, gcp=replace(gcp_settings.gcp, api_key=""))
    with pytest.raises(ConfigError, match=r"^no GCP API key: set PRICESYNC_GCP_API_KEY or gcp.api_key"):
        make_provider(settings, "gcp")


def test_environment_key_wins_over_the_config(gcp_settings, routes, server, monkeypatch):
    monkeypatch.setenv("PRICESYNC_GCP_API_KEY", "from-env")
    result = SyncEngine(gcp_settings, listeners=[]).sync("gcp")
    assert result.status == "failed" and "HTTP 403" in result.error  # the server wants GCP_KEY
    assert {k.lower(): v for k, v in server.requests[0][1].items()}["x-goog-api-key"] == "from-env"


# -- the CLI, as a real subprocess; the key must never reach a file or a message ----------------


def keyless_settings(gcp_settings):
    """The same config without `api_key`: the key comes from the environment only."""
    text = gcp_settings.config_path.read_text().replace(f'api_key = "{GCP_KEY}"\n', "")
    gcp_settings.config_path.write_text(text)
    return load_settings(gcp_settings.config_path, gcp_settings.data_dir)


def assert_key_in_no_file(data_dir) -> None:
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "sync.log" for p in files) and any(p.name == "gcp_cache.json" for p in files)
    for p in files:
        assert GCP_KEY.encode() not in p.read_bytes(), p


def test_cli_sync_write_back_and_the_key_stays_secret(gcp_settings, routes, server):
    settings = keyless_settings(gcp_settings)
    p = run_gcp_cli(settings, "sync", "--provider", "gcp", "--write-back", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["provider"], out["status"], out["wrote_back"], out["missing"]) == ("gcp", "updated", True, 0)
    catalog = load_catalog(settings.data_dir / "gcp_catalog.json", "gcp")
    entry = next(e for e in catalog.entries if e.key == ("n2d-standard-8", "us-east1", "linux"))
    assert (entry.price_per_hour, entry.vcpu, entry.memory_gib) == ("0.337968000", 8, 32.0)
    assert all(e.price_per_hour is None for e in catalog.entries if e.region not in GCP_REGIONS)
    # a failing sync (the page after the first answers 403) must not leak the key either
    routes[1].status, routes[1].body = 403, b'{"error": {"code": 403, "message": "API key expired"}}'
    failed = run_gcp_cli(settings, "sync", "--provider", "gcp", "--force")
    assert failed.returncode == 1 and "HTTP 403" in failed.stderr
    for text in (p.stdout, p.stderr, failed.stdout, failed.stderr):
        assert GCP_KEY not in text
    assert all(GCP_KEY not in path for path, _ in server.requests)
    assert_key_in_no_file(settings.data_dir)


def test_cli_without_a_key_exits_1_with_one_line(gcp_settings):
    settings = keyless_settings(gcp_settings)
    p = run_gcp_cli(settings, "sync", "--provider", "gcp", key=None)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "no GCP API key: set PRICESYNC_GCP_API_KEY or gcp.api_key" in p.stderr


# -- spot and committed use ----------------------------------------------------------------------------------

SPOT_AND_CUD = frozenset({"spot", "reserved-1yr-standard-no-upfront", "reserved-3yr-standard-no-upfront"})


@pytest.fixture
def kind_routes(server):
    skus = g.catalog_skus(g.AMERICAS, g.BELGIUM)
    for location in (g.AMERICAS, g.BELGIUM):
        for family, (core, ram) in g.RATES.items():
            skus += g.commitment_skus(family, location, core, ram)
    skus.append(g.spend_based_sku(g.AMERICAS))
    return g.serve_gcp(server, skus, key=GCP_KEY, page_size=25)


def fetch_kinds(settings, kinds=SPOT_AND_CUD):
    provider = make_provider(settings, "gcp")
    try:
        return provider.fetch(FetchRequest(["us-east1"], {}, kinds=kinds)).regions["us-east1"]
    finally:
        provider.close()


def nanos(n: int) -> Decimal:
    return Decimal(n) / 10**9


def test_spot_and_commitments_are_computed_as_on_demand_is(gcp_settings, kind_routes):
    f = fetch_kinds(gcp_settings)
    by_type = {r.instance_type: r for r in f.records}
    n2d = by_type["n2d-standard-8"]
    core, ram = g.RATES["n2d"]
    assert n2d.price_per_hour == "0.337968000"  # on-demand as before
    expected = {
        "spot": 8 * nanos(core // 3) + 32 * nanos(ram // 3),
        "reserved-1yr-standard-no-upfront": 8 * nanos(core * 6 // 10) + 32 * nanos(ram * 6 // 10),
        "reserved-3yr-standard-no-upfront": 8 * nanos(core * 45 // 100) + 32 * nanos(ram * 45 // 100),
    }
    assert {k: Decimal(p.hourly) for k, p in n2d.prices.items()} == expected
    assert {p.upfront for p in n2d.prices.values()} == {"0"}
    assert n2d.prices["spot"].to_json() == {  # 8 x 0.009167333 + 32 x 0.001228666, to the last digit
        "hourly": "0.112655976",
        "upfront": "0",
        "effective_hourly": "0.1126559760",
    }
    # e2-micro: 0.25 of an E2 vCPU, for spot too
    e2core, e2ram = g.RATES["e2"]
    assert Decimal(by_type["e2-micro"].prices["spot"].hourly) == Decimal("0.25") * nanos(e2core // 3) + nanos(
        e2ram // 3
    )
    # N1 under the real catalog's series-less commitment names
    n1core, n1ram = g.RATES["n1"]
    assert Decimal(by_type["n1-standard-1"].prices["reserved-3yr-standard-no-upfront"].hourly) == nanos(
        n1core * 45 // 100
    ) + Decimal("3.75") * nanos(n1ram * 45 // 100)
    # f1-micro has a flat spot SKU; g1-small has none: absent, never zero
    assert by_type["f1-micro"].prices["spot"].hourly == "0.003500000"
    assert "spot" not in by_type["g1-small"].prices
    assert f.skipped["commitment"] == 1  # the spend-based commitment


def test_kinds_not_wanted_are_skipped_as_before(gcp_settings, kind_routes):
    f = fetch_kinds(gcp_settings, kinds=frozenset({"spot"}))
    assert {k for r in f.records for k in r.prices} == {"spot"}
    assert f.skipped["commitment"] == 4 * len(g.RATES) + 1  # 1-year Cpu and Ram, 3-year Cpu and Ram; spend-based
    f = fetch_kinds(gcp_settings, kinds=frozenset())
    assert not any(r.prices for r in f.records)


def test_spot_only_sync_keeps_on_demand_and_commitments(gcp_settings, server, kind_routes):
    engine = SyncEngine(gcp_settings)
    assert engine.sync("gcp", kinds=SPOT_AND_CUD | {"on-demand"}).status == "updated"
    before = {r.key: r for r in engine.cache("gcp").records}
    skus = g.catalog_skus(g.AMERICAS, g.BELGIUM, scale={"Americas": 1.5})  # every rate changed, spot included
    g.serve_gcp(server, skus, key=GCP_KEY, page_size=25)
    result = engine.sync("gcp", kinds=frozenset({"spot"}))
    assert result.status == "updated", result.error
    after = {r.key: r for r in engine.cache("gcp").records}
    n2d = ("n2d-standard-8", "us-east1", "linux")
    assert after[n2d].price_per_hour == before[n2d].price_per_hour  # on-demand not taken
    assert (
        after[n2d].prices["reserved-1yr-standard-no-upfront"] == before[n2d].prices["reserved-1yr-standard-no-upfront"]
    )
    assert Decimal(after[n2d].prices["spot"].hourly) > Decimal(before[n2d].prices["spot"].hourly)
