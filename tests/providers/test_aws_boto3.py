"""The AWS Pricing API source (--boto3): real boto3 against tests.fakes.pricingapi on 127.0.0.1
(endpoint_url), dummy credentials from the environment, never the user's AWS files."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from pricesync.core import kinds
from pricesync.core.config import load_settings
from pricesync.core.errors import ConfigError
from pricesync.core.models import KindPrice, kind_prices_problem, prices_json
from pricesync.core.providers.aws_boto3 import AwsBoto3Provider
from pricesync.core.providers.aws_public import AwsPublicProvider
from pricesync.core.providers.base import FetchRequest
from pricesync.core.sources import make_provider
from pricesync.core.sync import SyncEngine

from tests.conftest import CLI, EU_WEST_1, M5_US, US_EAST_1, assert_files_kept, cli_env, data_snapshot
from tests.fakes import offerdata, reserveddata
from tests.fakes import savingsplandata as sp
from tests.fakes.priceserver import header
from tests.fakes.pricingapi import price_list_items, serve_pricing_api

REGIONS = {"us-east-1": US_EAST_1, "eu-west-1": EU_WEST_1}
AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_PRICING",
)


VERSION = "20251101000000"


def offers(regions=REGIONS) -> dict[str, dict]:
    """Offer files with every trap of tests.fakes.offerdata, plus one that passes every GetProducts
    filter with a price above zero: a Capacity Block SKU priced per hour."""
    out = {}
    for region, prices in regions.items():
        offer = offerdata.region_offer(region, prices, version=VERSION)
        cb = offerdata.product(
            "CBPRICED" + region.upper().replace("-", "")[:8],
            "m5.xlarge",
            region,
            operation="RunInstances:CB",
            marketoption="CapacityBlock",
        )
        # first, so that it would win over the real m5.xlarge SKU if it were not skipped
        offer["products"] = {cb["sku"]: cb, **offer["products"]}
        offer["terms"]["OnDemand"] = {
            cb["sku"]: offerdata.on_demand(cb["sku"], "4.5000000000"),
            **offer["terms"]["OnDemand"],
        }
        out[region] = offer
    return out


def pricing_items(regions=REGIONS) -> list[dict]:
    """The same products as `offers`, as GetProducts items."""
    return [i for offer in offers(regions).values() for i in price_list_items(offer)]


def serve_offer_files(server) -> None:
    """`offers` as the public Bulk API serves them: a region index and one file per region."""
    server.set(
        "/offers/v1.0/aws/AmazonEC2/current/region_index.json",
        offerdata.dump(offerdata.region_index(dict.fromkeys(REGIONS, VERSION))),
    )
    for region, offer in offers().items():
        server.set(f"/offers/v1.0/aws/AmazonEC2/{VERSION}/{region}/index.json", offerdata.dump(offer))


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Isolated credential chain: dummy keys in the environment, empty AWS files, no IMDS."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    return monkeypatch


@pytest.fixture
def boto_settings(data_dir, tmp_path, server):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[aws]\nmode = "boto3"\nendpoint_url = "{server.url}"\nendpoint = "{server.url}"\n'
        "[http]\nretries = 2\nbackoff_s = 0.01\ntimeout_s = 5\n"
        "[sync]\nprice_kinds = []\n"  # on-demand only: the default's spot is fetched from AWS's own hosts
    )
    return load_settings(cfg, data_dir)


def fetch(provider, regions=("us-east-1", "eu-west-1")):
    try:
        return provider.fetch(FetchRequest(list(regions), {}))
    finally:
        provider.close()


def records(result) -> list:
    return sorted((r for f in result.regions.values() for r in f.records), key=lambda r: r.key)


def test_selects_exactly_the_public_sources_records(aws_env, server, boto_settings):
    serve_offer_files(server)
    serve_pricing_api(server, pricing_items())
    public = records(fetch(make_provider(boto_settings, "aws", "public")))
    boto = records(fetch(make_provider(boto_settings, "aws", "boto3")))
    assert boto == public
    assert len(boto) == len(US_EAST_1) + len(EU_WEST_1)
    # Capacity Block SKUs ($0.00 or priced) pass every GetProducts filter; select_product drops them
    assert {r.price_per_hour for r in boto if r.instance_type == "p4d.24xlarge"} == {"32.7726000000"}
    assert {r.price_per_hour for r in boto if r.key == ("m5.xlarge", "us-east-1", "linux")} == {"0.1920000000"}
    # the richer specs from the same attributes (records compare them too)
    p4d = next(r for r in boto if r.instance_type == "p4d.24xlarge")
    assert p4d.specs is not None and (p4d.specs.network_gbps, p4d.specs.storage_type) == (400, "ssd")


def test_pages_filters_versions_and_skips(aws_env, server, boto_settings):
    api = serve_pricing_api(server, pricing_items(), page_size=2)
    provider = make_provider(boto_settings, "aws")
    assert isinstance(provider.inner, AwsBoto3Provider)  # either mode is wrapped for spot (aws_spot.WithSpot)
    seen = []
    request = FetchRequest(["us-east-1"], {}, progress=lambda region, done, total, n: seen.append((region, done, n)))
    result = provider.fetch(request)
    provider.close()
    f = result.regions["us-east-1"]
    assert {(r.instance_type, r.os): r.price_per_hour for r in f.records} == {
        (t, os.lower()): p for (t, os), p in US_EAST_1.items()
    }
    assert f.version.version == "20251101000000" and f.publication_date == "2025-11-01T00:00:00Z"
    # the Capacity Block SKUs (4 twins at $0, one priced) pass the filters and are skipped, counted
    assert f.skipped == {"not_on_demand_market": 5}
    tokens = [c.get("NextToken") for c in api.calls]
    assert tokens.count(None) == 4 and len(api.calls) > 4  # one listing per OS, several pages each
    for call in api.calls:
        filters = {f["Field"]: f["Value"] for f in call["Filters"]}
        types = {f["Field"]: f["Type"] for f in call["Filters"]}
        assert call["ServiceCode"] == "AmazonEC2"
        assert set(types.values()) == {"TERM_MATCH", "CONTAINS"} and types["productFamily"] == "CONTAINS"
        assert filters["regionCode"] == "us-east-1" and filters["tenancy"] == "Shared"
        assert filters["capacitystatus"] == "Used" and filters["preInstalledSw"] == "NA"
        assert filters["licenseModel"] == "No License required"
        assert filters["productFamily"] == "Compute Instance"  # contained in both families, bare metal too
    assert sorted({f["Value"] for c in api.calls for f in c["Filters"] if f["Field"] == "operatingSystem"}) == [
        "Linux",
        "RHEL",
        "SUSE",
        "Windows",
    ]
    assert seen and seen[-1][0] == "us-east-1" and seen[-1][2] == len(US_EAST_1)


def test_bare_metal_passes_the_filters_and_the_selection(aws_env, server, boto_settings):
    """GetProducts' TERM_MATCH takes one productFamily; the bare-metal family must not be filtered out."""
    metal = {("i3en.metal", "Linux"): "10.8480000000", ("c7i.metal-24xl", "Windows"): "8.7000000000"}
    regions = {"us-east-1": US_EAST_1 | metal}
    serve_pricing_api(server, pricing_items(regions))
    result = fetch(make_provider(boto_settings, "aws", "boto3"), ["us-east-1"])
    got = {(r.instance_type, r.os): r for r in result.regions["us-east-1"].records}
    assert got[("i3en.metal", "linux")].price_per_hour == "10.8480000000"
    assert got[("c7i.metal-24xl", "windows")].price_per_hour == "8.7000000000"
    assert (got[("i3en.metal", "linux")].vcpu, got[("i3en.metal", "linux")].memory_gib) == (96, 768.0)
    assert len(got) == len(US_EAST_1) + len(metal)


@pytest.mark.parametrize("statuses", [[400], [429], [400, 429]])
def test_throttling_then_success(aws_env, server, boto_settings, statuses):
    api = serve_pricing_api(server, pricing_items(), throttle=list(statuses))
    result = fetch(make_provider(boto_settings, "aws"), ["eu-west-1"])
    assert len(result.regions["eu-west-1"].records) == len(EU_WEST_1)
    assert api.throttle == []  # every throttled answer was retried by botocore
    assert server.hits("/") == len(api.calls) + len(statuses)


def test_throttled_for_good_fails_with_one_line(aws_env, server, boto_settings):
    serve_pricing_api(server, pricing_items(), throttle=[400] * 10)
    result = SyncEngine(boto_settings, listeners=[]).sync("aws", regions=["eu-west-1"])
    assert result.status == "failed" and "ThrottlingException" in result.error and "\n" not in result.error


def test_page_failing_mid_way_writes_nothing(aws_env, server, boto_settings):
    api = serve_pricing_api(server, pricing_items(), page_size=2)
    engine = SyncEngine(boto_settings, listeners=[])
    assert engine.sync("aws", write_back=True).status == "updated"
    before = data_snapshot(boto_settings.data_dir)
    api.calls.clear()
    api.fail_at_call = 3
    result = engine.sync("aws", write_back=True, force=True)
    assert result.status == "failed" and "InternalErrorException" in result.error
    assert_files_kept(before, boto_settings.data_dir)


def test_no_credentials_says_use_public(aws_env, server, boto_settings):
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    serve_pricing_api(server, pricing_items())
    before = data_snapshot(boto_settings.data_dir)
    result = SyncEngine(boto_settings, listeners=[]).sync("aws", write_back=True)
    assert result.status == "failed" and "no AWS credentials" in result.error and "--public" in result.error
    assert server.hits("/") == 0
    assert_files_kept(before, boto_settings.data_dir)


def test_unknown_profile_is_a_config_error(aws_env, boto_settings):
    from dataclasses import replace

    settings = replace(boto_settings, aws=replace(boto_settings.aws, profile="nosuchprofile"))
    with pytest.raises(ConfigError, match="AWS profile 'nosuchprofile'"):
        make_provider(settings, "aws")


def test_region_the_api_does_not_know(aws_env, server, boto_settings):
    serve_pricing_api(server, pricing_items())
    result = SyncEngine(boto_settings, listeners=[]).sync("aws", regions=["ap-south-9"])
    assert result.status == "failed" and "no EC2 products for region 'ap-south-9'" in result.error


def test_all_regions_lists_real_region_codes_only(aws_env, server, boto_settings):
    serve_pricing_api(server, pricing_items())
    provider = make_provider(boto_settings, "aws")
    result = provider.fetch(FetchRequest(None, {}))
    provider.close()
    # the fixture's Local Zone products (us-east-1-mia-1, ...) are no region of their own
    assert sorted(result.regions) == ["eu-west-1", "us-east-1"]


def test_public_mode_still_the_default_without_config(boto_settings):
    from dataclasses import replace

    settings = replace(boto_settings, aws=replace(boto_settings.aws, mode="public"))
    provider = make_provider(settings, "aws")
    assert isinstance(provider.inner, AwsPublicProvider)
    provider.close()


# -- the CLI, as a real subprocess ---------------------------------------------------------------


def run_cli(settings, env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(settings) | env_extra
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def aws_env_vars(tmp_path, credentials: bool) -> dict:
    empty = tmp_path / "aws-empty-cli"
    empty.write_text("")
    env = {
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if credentials:
        env |= {"AWS_ACCESS_KEY_ID": "AKIDTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "test-secret"}
    return env


def test_cli_boto3_sync_write_back(aws_env, server, boto_settings, tmp_path):
    serve_pricing_api(server, pricing_items())
    p = run_cli(
        boto_settings, aws_env_vars(tmp_path, True), "sync", "--provider", "aws", "--boto3", "--write-back", "--json"
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["mode"], out["status"], out["records"], out["wrote_back"]) == ("boto3", "updated", 9, True)
    listed = run_cli(boto_settings, {}, "list", "--json", "--region", "us-east-1", "--filter", "p4d")
    assert [e["price_per_hour"] for e in json.loads(listed.stdout)] == ["32.7726000000"]


def test_cli_boto3_without_credentials_exits_1_suggesting_public(server, boto_settings, tmp_path, monkeypatch):
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    serve_pricing_api(server, pricing_items())
    p = run_cli(boto_settings, aws_env_vars(tmp_path, False), "sync", "--boto3")
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "no AWS credentials" in p.stderr and "--public" in p.stderr


def test_cli_boto3_applies_to_aws_only(boto_settings):
    p = run_cli(boto_settings, {}, "sync", "--provider", "azure", "--boto3")
    assert p.returncode == 2 and "apply to --provider aws only" in p.stderr


# -- issue 11, item 7: Reserved terms from the same items; Savings Plans from the public files ---------

RESERVED = frozenset(kinds.RESERVED)


def reserved_items(regions=REGIONS) -> list[dict]:
    """`pricing_items` whose every SKU carries its twelve Reserved terms (tests.fakes.reserveddata)."""
    items = pricing_items(regions)
    for item in items:
        on_demand = item["terms"].get("OnDemand")
        if on_demand:
            ((term,),) = [list(on_demand.values())]
            ((price,),) = [[d["pricePerUnit"]["USD"] for d in term["priceDimensions"].values()]]
            item["terms"]["Reserved"] = reserveddata.terms(item["product"]["sku"], price)
    return items


def fetch_kinds(provider, wanted, regions=("us-east-1",)):
    try:
        return provider.fetch(FetchRequest(list(regions), {}, kinds=wanted))
    finally:
        provider.close()


def by_key(result) -> dict:
    return {r.key: r for f in result.regions.values() for r in f.records}


def test_reserved_terms_come_from_the_same_items(aws_env, server, boto_settings):
    serve_pricing_api(server, reserved_items())
    got = by_key(fetch_kinds(make_provider(boto_settings, "aws", "boto3"), RESERVED))
    for (itype, os_name), price in US_EAST_1.items():
        rec = got[itype, "us-east-1", os_name.lower()]
        assert list(rec.prices) == list(kinds.RESERVED)  # all twelve, in the documented order
        assert {k: (p.hourly, p.upfront) for k, p in rec.prices.items()} == reserveddata.prices(price)
    m5 = got[M5_US].prices
    # hourly + upfront / (8760 x years), half-even to 10 places; All Upfront's 0 hourly is a price
    assert m5["reserved-1yr-standard-partial-upfront"] == KindPrice("0.0297600000", "255", "0.0588695890")
    assert m5["reserved-3yr-convertible-all-upfront"] == KindPrice("0.0000000000", "1211", "0.0460806697")
    assert m5["reserved-1yr-convertible-no-upfront"] == KindPrice("0.0691200000", "0", "0.0691200000")


def test_only_the_wanted_reserved_kinds_are_kept(aws_env, server, boto_settings):
    serve_pricing_api(server, reserved_items())
    wanted = frozenset({"reserved-3yr-standard-all-upfront", "reserved-1yr-convertible-partial-upfront"})
    got = by_key(fetch_kinds(make_provider(boto_settings, "aws", "boto3"), wanted))
    assert set(got[M5_US].prices) == wanted
    got = by_key(fetch_kinds(make_provider(boto_settings, "aws", "boto3"), frozenset()))
    assert all(r.prices == {} for r in got.values())


def test_a_bad_reserved_term_is_skipped_with_a_reason_never_zero(aws_env, server, boto_settings):
    items = reserved_items()
    m5 = next(
        i
        for i in items
        if i["product"]["attributes"]["regionCode"] == "us-east-1"
        and i["product"]["attributes"]["instanceType"] == "m5.large"
        and i["product"]["attributes"]["operatingSystem"] == "Linux"
        and "OnDemand" in i["terms"]
        and i["product"]["attributes"]["tenancy"] == "Shared"
        and i["product"]["attributes"]["licenseModel"] == "No License required"
        and i["product"]["attributes"]["operation"] == "RunInstances"
        and i["product"]["attributes"]["capacitystatus"] == "Used"
    )
    by_kind = {reserveddata.kind(*t["termAttributes"].values()): t for t in m5["terms"]["Reserved"].values()}
    partial = by_kind["reserved-1yr-standard-partial-upfront"]
    partial["priceDimensions"] = {k: d for k, d in partial["priceDimensions"].items() if d["unit"] == "Hrs"}
    for d in by_kind["reserved-3yr-standard-no-upfront"]["priceDimensions"].values():
        d["pricePerUnit"] = {"EUR": "0.0384000000"}
    by_kind["reserved-1yr-convertible-all-upfront"]["termAttributes"]["OfferingClass"] = "flexible"
    serve_pricing_api(server, items)
    result = fetch_kinds(make_provider(boto_settings, "aws", "boto3"), RESERVED)
    prices = by_key(result)[M5_US].prices
    assert len(prices) == 9
    assert "reserved-1yr-convertible-all-upfront" not in prices
    assert "reserved-1yr-standard-partial-upfront" not in prices
    assert "reserved-3yr-standard-no-upfront" not in prices
    skipped = result.regions["us-east-1"].skipped
    assert skipped["reserved_fee_mismatch"] == skipped["reserved_other_currency"] == 1
    assert skipped["other_reserved_term"] == 1


def test_savings_plans_come_from_the_public_files_without_credentials(aws_env, server, boto_settings):
    serve_pricing_api(server, reserved_items())
    sp.serve(server, {r: (sp.SP1, offer) for r, offer in offers().items()})
    wanted = RESERVED | frozenset(kinds.SAVINGS_PLAN)
    result = fetch_kinds(make_provider(boto_settings, "aws", "boto3"), wanted, ("us-east-1", "eu-west-1"))
    got = by_key(result)
    for region, prices in REGIONS.items():
        for (itype, os_name), price in prices.items():
            rec = got[itype, region, os_name.lower()]
            assert {k: p.hourly for k, p in rec.prices.items() if k.startswith("savings-plan")} == sp.expected(price)
            assert len(rec.prices) == 24
    assert result.regions["us-east-1"].version.savings_plans.version.startswith(sp.SP1 + " ")
    public = [h for p, h in server.requests if p.startswith(("/savingsPlan/", "/offers/"))]
    assert public and all(header(h, "Authorization") is None for h in public)


def test_savings_plans_failing_leave_the_reserved_and_on_demand_prices(aws_env, server, boto_settings, caplog):
    serve_pricing_api(server, reserved_items())
    wanted = RESERVED | frozenset(kinds.SAVINGS_PLAN)
    with caplog.at_level(logging.WARNING, logger="pricesync.aws"):
        got = by_key(fetch_kinds(make_provider(boto_settings, "aws", "boto3"), wanted))
    assert set(got[M5_US].prices) == RESERVED
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("Savings Plans rates not added to any region: HTTP 404 Not Found from ")


def test_a_large_upfront_fee_is_kept_and_the_catalog_takes_it(aws_env, server, boto_settings):
    serve_pricing_api(server, reserved_items())
    got = by_key(fetch_kinds(make_provider(boto_settings, "aws", "boto3"), RESERVED))
    p4d = got["p4d.24xlarge", "us-east-1", "linux"].prices
    fee = p4d["reserved-3yr-standard-all-upfront"].upfront
    assert fee == reserveddata.prices("32.7726000000")["reserved-3yr-standard-all-upfront"][1] == "330725"
    assert len(p4d) == 12
    assert kind_prices_problem(prices_json(p4d)) == ""
    too_big = p4d["reserved-3yr-standard-all-upfront"].to_json() | {"upfront": "99999999999"}
    assert kind_prices_problem({"reserved-3yr-standard-all-upfront": too_big})
