"""SyncEngine against the real local price server: cache, version skip, write-back, sanity guard."""

from __future__ import annotations

import json
import re

import pytest
from pricesync.core import build_engine, natural_key
from pricesync.core.cache import load_cache
from pricesync.core.catalog import load_catalog
from pricesync.core.state import provider_state

from tests.conftest import EU_WEST_1, INDEX, US_EAST_1, V1, V2, offer_path, serve_aws, serve_cny
from tests.fakes.priceserver import header


@pytest.fixture
def engine(settings):
    return build_engine(settings)


def catalog_bytes(settings) -> bytes:
    return (settings.data_dir / "aws_catalog.json").read_bytes()


def prices(settings) -> dict:
    cat = load_catalog(settings.data_dir / "aws_catalog.json", "aws")
    return {e.key: (e.price_per_hour, e.available) for e in cat.entries}


# -- fetch into the cache -----------------------------------------------------------------------


def test_sync_without_write_back_writes_cache_and_leaves_catalog(engine, settings):
    before = catalog_bytes(settings)
    result = engine.sync("aws")
    assert result.status == "updated", result.error
    assert result.regions == ("eu-west-1", "us-east-1")
    assert result.records == len(US_EAST_1) + len(EU_WEST_1)
    assert result.changed == result.records and not result.wrote_back
    assert catalog_bytes(settings) == before
    cache = load_cache(settings.data_dir, "aws")
    assert {r.key: r.price_per_hour for r in cache.records}[("p4d.24xlarge", "us-east-1", "linux")] == "32.7726000000"
    assert cache.source_version == V1 and set(cache.regions) == {"us-east-1", "eu-west-1"}
    raw = json.loads((settings.data_dir / "aws_cache.json").read_text())
    assert raw["provider"] == "aws" and raw["fetched_at"]
    assert engine.pending("aws").changed and not engine.pending("aws").missing


def test_second_sync_is_unchanged_with_one_conditional_request(engine, aws_server):
    assert engine.sync("aws").status == "updated"
    seen = len(aws_server.requests)
    result = engine.sync("aws")
    assert result.status == "unchanged" and result.records == len(US_EAST_1) + len(EU_WEST_1)
    new = aws_server.requests[seen:]
    assert [path for path, _ in new] == [INDEX]
    assert header(new[0][1], "If-None-Match") == '"idx-1"'


def test_unchanged_sync_with_write_back_applies_the_cache(engine, settings, aws_server):
    engine.sync("aws")
    seen = len(aws_server.requests)
    result = engine.sync("aws", write_back=True)
    assert result.status == "updated" and result.wrote_back, result.error
    assert [path for path, _ in aws_server.requests[seen:]] == [INDEX]
    assert prices(settings)[("m5.large", "us-east-1", "linux")] == ("0.0960000000", True)


def test_new_version_in_one_region_downloads_only_that_region(engine, aws_server):
    engine.sync("aws")
    changed = EU_WEST_1 | {("m5.large", "Linux"): "0.1100000000"}
    serve_aws(aws_server, {"us-east-1": (V1, US_EAST_1), "eu-west-1": (V2, changed)}, index_etag='"idx-2"')
    seen = len(aws_server.requests)
    result = engine.sync("aws")
    assert result.status == "updated"
    assert [path for path, _ in aws_server.requests[seen:]] == [INDEX, offer_path("eu-west-1", V2)]
    cache = engine.cache("aws")
    by_key = {r.key: r.price_per_hour for r in cache.records}
    assert by_key[("m5.large", "eu-west-1", "linux")] == "0.1100000000"
    assert by_key[("m5.large", "us-east-1", "linux")] == "0.0960000000"  # carried over
    assert cache.regions["eu-west-1"]["version"] == V2 and cache.regions["us-east-1"]["version"] == V1
    assert provider_state(engine.data, "aws")["regions"]["eu-west-1"]["version"] == V2


def test_force_downloads_everything_again(engine, aws_server):
    engine.sync("aws")
    seen = len(aws_server.requests)
    result = engine.sync("aws", force=True)
    assert result.status == "updated"
    new = aws_server.requests[seen:]
    assert sorted(path for path, _ in new) == sorted([INDEX, offer_path("eu-west-1"), offer_path("us-east-1")])
    assert header(new[0][1], "If-None-Match") is None


def test_regions_argument_limits_the_fetch(engine, aws_server):
    result = engine.sync("aws", regions=["eu-west-1"])
    assert result.regions == ("eu-west-1",)
    assert aws_server.hits(offer_path("us-east-1")) == 0


def test_progress_reports_bytes_and_records(engine):
    seen = []
    engine.sync("aws", regions=["us-east-1"], progress=lambda *a: seen.append(a))
    region, done, total, records = seen[-1]
    assert (region, records) == ("us-east-1", len(US_EAST_1))
    assert 0 < done <= total  # the parse stops once the terms it needs have ended (attributesList is never read)


# -- write-back ---------------------------------------------------------------------------------


def test_write_back_merges_changed_added_missing(engine, settings, aws_server):
    assert engine.sync("aws", write_back=True).wrote_back
    entries_before = len(load_catalog(settings.data_dir / "aws_catalog.json").entries)
    v2 = dict(US_EAST_1)
    v2[("m5.large", "Linux")] = "0.1000000000"  # changed
    v2[("x1e.32xlarge", "Linux")] = "26.6880000000"  # new type
    del v2[("t3.micro", "RHEL")]  # missing: 1 of 6 us-east-1 entries, under the 20% guard
    serve_aws(aws_server, {"us-east-1": (V2, v2), "eu-west-1": (V1, EU_WEST_1)}, index_etag='"idx-2"')
    result = engine.sync("aws", write_back=True)
    assert result.status == "updated" and result.wrote_back, result.error
    assert (result.added, result.changed, result.missing) == (1, 1, 1)
    (change,) = result.changes
    assert (change.key, change.old, change.new) == (("m5.large", "us-east-1", "linux"), "0.0960000000", "0.1000000000")
    after = prices(settings)
    assert len(after) == entries_before + 1
    assert after[("m5.large", "us-east-1", "linux")] == ("0.1000000000", True)
    assert after[("x1e.32xlarge", "us-east-1", "linux")] == ("26.6880000000", True)
    assert after[("t3.micro", "us-east-1", "rhel")] == ("0.0392000000", False)  # kept, marked
    x1e = next(
        e for e in load_catalog(settings.data_dir / "aws_catalog.json").entries if e.instance_type == "x1e.32xlarge"
    )
    assert (x1e.vcpu, x1e.memory_gib, x1e.family, x1e.arch) == (128, 3904.0, "x1e", "x86_64")
    assert '"price_per_hour": "26.6880000000"' in (settings.data_dir / "aws_catalog.json").read_text()
    cat = load_catalog(settings.data_dir / "aws_catalog.json")
    assert cat.source.version == V2 and cat.updated_at
    keys = [e.key for e in cat.entries]  # the fixture's catalog lists us-east-1 first; written back, in reading order
    assert keys == sorted(keys, key=lambda k: (natural_key(k[0]), *k))


def test_write_back_of_identical_prices_writes_nothing(engine, settings):
    engine.sync("aws", write_back=True)
    before = catalog_bytes(settings)
    result = engine.sync("aws", write_back=True, force=True)
    assert result.status == "updated" and not result.wrote_back
    assert catalog_bytes(settings) == before


def test_engine_write_back_applies_the_cache(engine, settings):
    engine.sync("aws")
    result = engine.write_back(engine.snapshot("aws"))
    assert result.wrote_back and result.changed == len(US_EAST_1) + len(EU_WEST_1)
    assert prices(settings)[("c6g.large", "eu-west-1", "linux")] == ("0.0770000000", True)


# -- the sanity guard ---------------------------------------------------------------------------

GUARDS = {
    "no records for a region": (
        {"eu-west-1": (V2, {})},
        "no prices fetched for eu-west-1",
    ),
    "more than 20% missing": (
        {"us-east-1": (V2, {k: v for k, v in US_EAST_1.items() if k[0] not in ("m5.xlarge", "t3.micro")})},
        r"us-east-1: 2 of 6 entries \(33%\) would be marked unavailable \(limit 20%\)",
    ),
}


@pytest.mark.parametrize("case", GUARDS)
def test_sanity_guard_refuses_and_keeps_catalog(engine, settings, aws_server, case):
    assert engine.sync("aws", write_back=True).wrote_back
    regions, message = GUARDS[case]
    serve_aws(aws_server, {"us-east-1": (V1, US_EAST_1), "eu-west-1": (V1, EU_WEST_1)} | regions, index_etag='"idx-2"')
    before = catalog_bytes(settings)
    result = engine.sync("aws", write_back=True)
    assert result.status == "failed" and not result.wrote_back
    assert result.error.startswith("sanity guard: fetch refused, nothing written: ")
    assert re.search(message, result.error), result.error
    assert result.error.endswith("(--force overrides)")
    assert catalog_bytes(settings) == before
    forced = engine.sync("aws", write_back=True, force=True)
    assert forced.wrote_back and forced.status == "updated", forced.error
    assert forced.warnings and all(w.startswith("aws: forced past the sanity guard: ") for w in forced.warnings)
    assert catalog_bytes(settings) != before


def test_other_currency_is_refused_even_with_force(engine, settings, aws_server):
    assert engine.sync("aws", write_back=True).wrote_back
    serve_cny(aws_server)
    before = catalog_bytes(settings)
    for force in (False, True):
        for write_back in (False, True):
            result = engine.sync("aws", write_back=write_back, force=force)
            assert result.status == "failed" and not result.wrote_back
            assert "eu-west-1 is priced in CNY, not the catalog's USD (nothing overrides this)" in result.error
            assert catalog_bytes(settings) == before


def cache_in(settings, currency: str) -> None:
    """Rewrite the price cache's currency, as a cache left by an older pricesync could hold."""
    path = settings.data_dir / "aws_cache.json"
    obj = json.loads(path.read_text())
    for rec in obj["records"]:
        rec["currency"] = currency
    path.write_text(json.dumps(obj))


def test_guard_applies_to_engine_write_back_too(engine, settings, aws_server):
    assert engine.sync("aws").status == "updated"
    cache_in(settings, "CNY")
    before = catalog_bytes(settings)
    for force in (False, True):
        refused = engine.write_back(engine.snapshot("aws"), force=force)
        assert refused.status == "failed" and not refused.wrote_back
        assert refused.error.startswith("sanity guard: write-back refused, catalog kept: ")
        assert "us-east-1 is priced in CNY, not the catalog's USD" in refused.error
        assert catalog_bytes(settings) == before
    cache_in(settings, "USD")
    assert engine.write_back(engine.snapshot("aws")).wrote_back
