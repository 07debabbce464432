"""Issue 11, item 6: AWS Savings Plans rates from the public bulk files
(core.providers.aws_savings_plans), parsed on their own and through the public AWS source
against the fake price server on 127.0.0.1."""

from __future__ import annotations

import io
import logging

import pytest
from pricesync.core.errors import SourceError
from pricesync.core.kinds import SAVINGS_PLAN
from pricesync.core.providers.aws_offer import parse_offer
from pricesync.core.providers.aws_public import AwsPublicProvider
from pricesync.core.providers.aws_savings_plans import parse_savings_plans
from pricesync.core.providers.base import FetchRequest, RegionVersion

from tests.conftest import EU_WEST_1, INDEX, US_EAST_1, V1, V2, serve_aws
from tests.fakes import offerdata
from tests.fakes import savingsplandata as sp
from tests.fakes.priceserver import PriceServer

REGION = "us-east-1"
ALL_SP = frozenset(SAVINGS_PLAN)
CHUNKS = [7, 4096, None]  # None: the whole file in one read
M5_WINDOWS = "0.1880000000"


def reader(data: bytes, chunk: int | None):
    buf = io.BytesIO(data)
    if chunk is None:
        return buf.read
    return lambda n: buf.read(min(n, chunk) if n > 0 else n)


def offer_with_byol() -> dict:
    return sp.with_windows_byol(offerdata.region_offer(REGION, US_EAST_1), REGION)


def selected(offer: dict):
    records, _ = parse_offer(reader(offerdata.dump(offer), None), REGION)
    return {r.sku: r for r in records}


def parse_rates(offer: dict, kinds=ALL_SP, chunk: int | None = None, rates: dict | bytes | None = None):
    data = rates if isinstance(rates, bytes) else offerdata.dump(rates or sp.rates_file(REGION, offer))
    records = selected(offer)
    prices, skipped = parse_savings_plans(reader(data, chunk), REGION, records, kinds)
    by_key = {(records[s].instance_type, records[s].os): p for s, p in prices.items()}
    return by_key, skipped


def expected_all(on_demand: dict) -> dict:
    """(instance type, catalog os) -> kind -> rate, for the fixture's on-demand prices."""
    return {(t, os_name.lower()): sp.expected(price) for (t, os_name), price in on_demand.items()}


def hourly(prices: dict) -> dict[str, str]:
    return {kind: p.hourly for kind, p in prices.items()}


# -- the parser -------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", CHUNKS)
def test_compute_and_ec2_instance_plans_rate_the_same_sku_apart(chunk):
    prices, _ = parse_rates(offer_with_byol(), chunk=chunk)
    got = hourly(prices["m5.large", "linux"])
    assert got == sp.expected("0.0960000000")
    assert got["savings-plan-compute-1yr-no-upfront"] == "0.0691"
    assert got["savings-plan-ec2-instance-1yr-no-upfront"] == "0.0614"
    assert list(got) == list(SAVINGS_PLAN)  # every kind, in the documented order


def test_every_selected_sku_gets_its_own_rates():
    prices, _ = parse_rates(offer_with_byol())
    assert {k: hourly(v) for k, v in prices.items()} == expected_all(US_EAST_1)


def test_a_rate_is_hourly_with_no_upfront_part():
    prices, _ = parse_rates(offer_with_byol())
    p = prices["m5.large", "linux"]["savings-plan-compute-3yr-all-upfront"]
    assert (p.hourly, p.upfront, p.effective_hourly) == ("0.0442", "0", "0.0442000000")


def test_unused_fargate_lambda_dedicated_and_host_rates_are_ignored():
    _, skipped = parse_rates(offer_with_byol())
    assert skipped["not_ec2"] > 0  # Fargate, Lambda
    assert skipped["not_instance_hour"] > 0  # UnusedBox (same SKU as the instance hour), Dedicated, Host
    prices, _ = parse_rates(offer_with_byol())
    assert all(p.hourly != "9.9990" for by_kind in prices.values() for p in by_kind.values())


def test_a_windows_byol_skus_rates_are_not_joined():
    offer = offer_with_byol()
    rates = sp.rates_file(REGION, offer)
    assert any(r["discountedSku"] == "WINBYOL000000001" for t in rates["terms"]["savingsPlan"] for r in t["rates"])
    prices, skipped = parse_rates(offer, rates=rates)
    # the licence-included Windows SKU has its own rates; the BYOL SKU's (cheaper) are nowhere
    assert hourly(prices["m5.large", "windows"]) == sp.expected(M5_WINDOWS)
    assert skipped["sku_not_selected"] > 0


def test_only_the_wanted_kinds_are_kept():
    wanted = frozenset({"savings-plan-compute-1yr-no-upfront", "savings-plan-ec2-instance-3yr-all-upfront"})
    prices, _ = parse_rates(offer_with_byol(), kinds=wanted)
    assert set(prices["m5.large", "linux"]) == wanted
    assert parse_rates(offer_with_byol(), kinds=frozenset())[0] == {}


def test_products_after_terms_give_the_same_rates():
    offer = offer_with_byol()
    rates = sp.rates_file(REGION, offer)
    swapped = {"version": rates["version"], "terms": rates["terms"], "products": rates["products"]}
    assert parse_rates(offer, rates=swapped, chunk=4096)[0] == parse_rates(offer)[0]


def test_two_prices_for_one_plan_and_sku_are_dropped_not_guessed():
    offer = offer_with_byol()
    rates = sp.rates_file(REGION, offer)
    m5 = next(s for s, r in selected(offer).items() if (r.instance_type, r.os) == ("m5.large", "linux"))
    term = next(t for t in rates["terms"]["savingsPlan"] if t["sku"] == sp.plan_sku("compute", "1yr", "no"))
    twin = next(r for r in term["rates"] if r["discountedSku"] == m5 and "BoxUsage" in r["discountedUsageType"])
    term["rates"].append(dict(twin, discountedRate={"price": "0.0100", "currency": "USD"}))
    prices, skipped = parse_rates(offer, rates=rates)
    assert "savings-plan-compute-1yr-no-upfront" not in prices["m5.large", "linux"]
    assert len(prices["m5.large", "linux"]) == 11
    assert skipped["ambiguous_rate"] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"discountedRate": {"price": "0.0691", "currency": "EUR"}}, "bad_currency"),
        ({"discountedRate": {"price": "0", "currency": "USD"}}, "zero_price"),
        ({"discountedRate": {"price": "1e-3", "currency": "USD"}}, "bad_price"),
        ({"discountedUsageType": "BoxUsage:m5.xlarge"}, "other_instance_type"),
        ({"rateCode": "NODOT"}, "bad_rate"),
    ],
)
def test_a_bad_rate_is_skipped_with_a_reason(change, reason):
    offer = offer_with_byol()
    rates = sp.rates_file(REGION, offer)
    m5 = next(s for s, r in selected(offer).items() if (r.instance_type, r.os) == ("m5.large", "linux"))
    plan = sp.plan_sku("compute", "1yr", "no")
    for t in rates["terms"]["savingsPlan"]:
        for r in t["rates"]:
            if t["sku"] == plan and r["discountedSku"] == m5 and "BoxUsage" in r["discountedUsageType"]:
                r.update(change)
    prices, skipped = parse_rates(offer, rates=rates)
    assert "savings-plan-compute-1yr-no-upfront" not in prices["m5.large", "linux"]
    assert skipped[reason] == 1


@pytest.mark.parametrize("chunk", [7, None])
def test_cut_off_file_is_a_source_error(chunk):
    data = offerdata.dump(sp.rates_file(REGION, offer_with_byol()))
    with pytest.raises(SourceError, match=r"^Savings Plans file for us-east-1 is cut off \(within bytes"):
        parse_rates(offer_with_byol(), rates=data[: len(data) // 2], chunk=chunk)


@pytest.mark.parametrize("body", [b"[]", b'{"terms": {"savingsPlan": []}}', b'{"products": {"a": 1}}'])
def test_not_a_savings_plans_file_is_a_source_error(body):
    with pytest.raises(SourceError, match=r"^Savings Plans file for us-east-1 (has no 'products'|has an unexpected)"):
        parse_rates(offer_with_byol(), rates=body)


# -- through the public AWS source ------------------------------------------------------------------


def serve_both(server: PriceServer, version: str = V1, sp_version: str = sp.SP1, us: dict = US_EAST_1) -> None:
    serve_aws(server, {"us-east-1": (version, us), "eu-west-1": (version, EU_WEST_1)}, index_etag=f'"{version}"')
    sp.serve(
        server,
        {
            "us-east-1": (sp_version, offerdata.region_offer("us-east-1", us, version=version)),
            "eu-west-1": (sp_version, offerdata.region_offer("eu-west-1", EU_WEST_1, version=version)),
        },
        index_etag=f'"{sp_version}"',
    )


def fetch(server: PriceServer, regions=("us-east-1", "eu-west-1"), kinds=ALL_SP, known=None, index=None):
    provider = AwsPublicProvider(server.url)
    try:
        return provider.fetch(FetchRequest(list(regions), known or {}, index, kinds=kinds))
    finally:
        provider.close()


def prices_of(result, region: str) -> dict:
    return {(r.instance_type, r.os): hourly(r.prices) for r in result.regions[region].records}


def again(server: PriceServer, result, **kw):
    """A second fetch that knows what `result` fetched (as the engine passes it from state.json)."""
    known = {r: f.version for r, f in result.regions.items()}
    return fetch(server, known=known, index=result.index_validators, **kw)


def test_records_carry_their_savings_plans_kinds(server):
    serve_both(server)
    result = fetch(server)
    assert prices_of(result, "us-east-1") == expected_all(US_EAST_1)
    assert prices_of(result, "eu-west-1") == expected_all(EU_WEST_1)
    offer_only = fetch(server, regions=("us-east-1",), kinds=frozenset()).regions["us-east-1"].downloaded_bytes
    rates_file = len(server.routes[sp.sp_path("us-east-1")].body)
    assert result.regions["us-east-1"].downloaded_bytes == offer_only + rates_file  # reported in --json
    version = result.regions["us-east-1"].version
    assert version.version == V1 and version.savings_plans.version.startswith(sp.SP1 + " kinds:")
    assert result.index_validators.savings_plans.etag == f'"{sp.SP1}"'
    assert server.hits("/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/20251101120000/us-west-2-den-1/index.json") == 0


def test_no_savings_plans_kind_wanted_reads_no_savings_plans_file(server):
    serve_both(server)
    result = fetch(server, kinds=frozenset({"reserved-1yr-standard-no-upfront"}))
    # Reserved from the offer, no Savings Plans kind
    assert not any(k.startswith("savings-plan") for r in result.regions["us-east-1"].records for k in r.prices)
    assert result.regions["us-east-1"].version.savings_plans is None
    assert server.hits(sp.SERVICE_INDEX) == server.hits(sp.SP_INDEX) == 0


def test_an_unchanged_sync_costs_two_304s_and_the_service_index(server):
    serve_both(server)
    first = fetch(server)
    server.requests.clear()
    second = again(server, first)
    assert second.unchanged
    assert {r: f.version for r, f in second.regions.items()} == {r: f.version for r, f in first.regions.items()}
    assert [p for p, _ in server.requests] == [sp.SERVICE_INDEX, sp.SP_INDEX, INDEX]
    assert second.index_validators == first.index_validators


def test_new_savings_plans_version_refetches_the_region(server):
    serve_both(server)
    first = fetch(server)
    serve_both(server, sp_version=sp.SP2)
    second = again(server, first)
    assert not second.unchanged
    assert second.regions["us-east-1"].version.savings_plans.version.startswith(sp.SP2 + " ")
    assert prices_of(second, "us-east-1") == prices_of(first, "us-east-1")


def test_a_new_offer_version_under_an_unchanged_savings_plans_index_still_gets_its_rates(server):
    serve_both(server)
    first = fetch(server)
    us_v2 = US_EAST_1 | {("m5.large", "Linux"): "0.1000000000"}
    serve_aws(server, {"us-east-1": (V2, us_v2), "eu-west-1": (V1, EU_WEST_1)}, index_etag='"v2"')
    # the Savings Plans index is unchanged (304) and names the same rates files
    second = again(server, first)
    assert second.regions["eu-west-1"].records is None
    assert prices_of(second, "us-east-1")["m5.large", "linux"] == sp.expected("0.0960000000")


def test_wanting_savings_plans_after_a_sync_without_them_refetches(server):
    serve_both(server)
    first = fetch(server, kinds=frozenset())
    second = again(server, first)
    assert prices_of(second, "us-east-1") == expected_all(US_EAST_1)
    third = again(server, second, kinds=frozenset())  # and back: the kinds go
    assert all(r.prices == {} for r in third.regions["us-east-1"].records)


def test_other_savings_plans_kinds_wanted_refetch_and_the_same_ones_do_not(server):
    serve_both(server)
    one = frozenset({"savings-plan-compute-1yr-no-upfront"})
    first = fetch(server, kinds=one)
    assert {k for r in first.regions["us-east-1"].records for k in r.prices} == one
    assert again(server, first, kinds=one).unchanged
    second = again(server, first)
    assert prices_of(second, "us-east-1") == expected_all(US_EAST_1)


def test_a_region_whose_rates_file_fails_keeps_its_on_demand_prices(server, caplog):
    serve_both(server)
    server.set(sp.sp_path("us-east-1"), b'{"message": "boom"}', status=500)
    with caplog.at_level(logging.WARNING, logger="pricesync.aws"):
        result = fetch(server)
    us = result.regions["us-east-1"]
    assert {(r.instance_type, r.os): r.price_per_hour for r in us.records} == {
        (t, os_name.lower()): price for (t, os_name), price in US_EAST_1.items()
    }
    assert all(r.prices == {} for r in us.records)  # absent, never zero
    assert us.version.savings_plans is None  # so the next sync tries again
    assert prices_of(result, "eu-west-1") == expected_all(EU_WEST_1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert result.warnings == warnings  # for the sync's own warnings (--json, stderr)
    assert warnings[0].startswith("us-east-1: Savings Plans rates not added (on-demand prices kept): HTTP 500")
    assert again(server, result).regions["us-east-1"].records is not None


def test_a_failing_savings_plans_index_is_one_warning_and_on_demand_lands(server, caplog):
    serve_both(server)
    server.set(sp.SERVICE_INDEX, b"<html>down</html>")
    with caplog.at_level(logging.WARNING, logger="pricesync.aws"):
        result = fetch(server)
    assert all(r.prices == {} for f in result.regions.values() for r in f.records)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    url = server.url + sp.SERVICE_INDEX
    assert warnings == [f"Savings Plans rates not added to any region: {url} returned HTML (an error page?), not JSON"]
    assert result.warnings == warnings


def test_a_region_the_index_does_not_list_has_no_rates_and_is_not_refetched(server):
    serve_both(server)
    server.set(sp.SP_INDEX, offerdata.dump(sp.region_index({"eu-west-1": sp.SP1})), etag='"eu-only"')
    first = fetch(server)
    assert all(r.prices == {} for r in first.regions["us-east-1"].records)
    assert first.regions["us-east-1"].version.savings_plans.version.startswith("none ")
    assert again(server, first).unchanged


@pytest.mark.parametrize("where", ["index", "service"])
def test_a_url_on_another_origin_is_refused(server, caplog, where):
    serve_both(server)
    if where == "index":
        index = sp.region_index({"us-east-1": sp.SP1})
        index["regions"][1]["versionUrl"] = "http://169.254.169.254/latest/meta-data/"
        server.set(sp.SP_INDEX, offerdata.dump(index))
    else:
        server.set(sp.SERVICE_INDEX, offerdata.dump(sp.service_index("//169.254.169.254/region_index.json")))
    with caplog.at_level(logging.WARNING, logger="pricesync.aws"):
        result = fetch(server, regions=("us-east-1",))
    # Reserved from the offer, no Savings Plans kind
    assert not any(k.startswith("savings-plan") for r in result.regions["us-east-1"].records for k in r.prices)
    assert [p for p, _ in server.requests if "169.254" in p] == []
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "on another origin (http://169.254.169.254/" in warning and warning.endswith("; refused")


def test_a_redirect_to_another_origin_is_not_followed(server, caplog):
    serve_both(server)
    server.set(sp.sp_path("us-east-1"), b"", status=302, headers={"Location": "http://169.254.169.254/x.json"})
    with caplog.at_level(logging.WARNING, logger="pricesync.aws"):
        result = fetch(server, regions=("us-east-1",))
    # Reserved from the offer, no Savings Plans kind
    assert not any(k.startswith("savings-plan") for r in result.regions["us-east-1"].records for k in r.prices)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.endswith("redirects to http://169.254.169.254/x.json, another origin: not followed")


def test_under_a_mirror_path_prefix(server):
    serve_both(server)
    for path, route in list(server.routes.items()):
        server.routes["/mirror" + path] = route
    provider = AwsPublicProvider(server.url + "/mirror")
    try:
        result = provider.fetch(FetchRequest(["us-east-1"], {}, kinds=ALL_SP))
    finally:
        provider.close()
    assert prices_of(result, "us-east-1") == expected_all(US_EAST_1)
    assert all(p.startswith("/mirror/") for p, _ in server.requests)


def test_region_version_keeps_its_savings_plans_part_through_state_json():
    v = RegionVersion("20251101000000", '"e"', None, RegionVersion("20251101120000"))
    assert RegionVersion.from_json(v.to_json()) == v
    assert RegionVersion.from_json({"version": "1", "savings_plans": "x"}) == RegionVersion("1")
    nested = {"version": "1", "savings_plans": {"version": "2", "savings_plans": {"version": "3"}}}
    assert RegionVersion.from_json(nested) == RegionVersion("1", savings_plans=RegionVersion("2"))
