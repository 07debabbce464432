"""The engine per price kind (issue 11 items 2, 4, 10; issue 12 item 1's engine part): [sync]
price_kinds decides what is kept, `sync --kinds` fetches only the listed kinds and merges them,
kinds a source fetches apart from its records come as overlays (how AWS spot plugs in:
core.providers.aws_spot.WithSpot), kinds reach the cache, the catalog (schema 1 upgraded), the
history and the sanity warnings."""

from __future__ import annotations

import json

import pytest
from pricesync.core.cache import load_cache
from pricesync.core.errors import SourceError
from pricesync.core.history import HistoryStore
from pricesync.core.listeners import default_listeners
from pricesync.core.models import KindPrice
from pricesync.core.providers.base import FetchResult, KindOverlay, RegionFetch, RegionVersion
from pricesync.core.sources import make_provider
from pricesync.core.state import provider_state
from pricesync.core.sync import SyncEngine

from tests.conftest import EU_WEST_1, INDEX, M5_US, US_EAST_1, V1, V2, aws_settings, serve_version
from tests.fakes import offerdata

KEPT = ["reserved-1yr-standard-no-upfront", "reserved-3yr-standard-all-upfront", "spot"]
RESERVED_KEPT = KEPT[:2]
SPOT_AT = "2026-11-29T10:00:00Z"


class FakeSpot:
    """`spot` at a fixed price per key, or a failure; what the engine asked for."""

    def __init__(self) -> None:
        self.prices = {M5_US: "0.0350000000"}
        self.fail = False
        self.requests: list = []
        self.closed = 0


class WithFakeSpot:
    """The configured AWS source with `spot` added as an overlay, the way aws_spot.WithSpot
    does: a spot-only request reads no price list, the cached records get the overlay."""

    def __init__(self, inner, spot: FakeSpot) -> None:
        self.inner, self.spot = inner, spot
        self.name, self.mode = inner.name, inner.mode

    def fetch(self, request):
        self.spot.requests.append(request)
        if "spot" not in request.kinds:
            return self.inner.fetch(request)
        if not request.on_demand and request.kinds == {"spot"}:
            result = FetchResult(
                {r: RegionFetch(r, request.known.get(r, RegionVersion()), None) for r in request.regions or ()}
            )
        else:
            result = self.inner.fetch(request)
        if self.spot.fail:
            raise SourceError("spot price feed https://spot.invalid/spot.json answered HTTP 503")
        prices = {
            key: {"spot": KindPrice.of("spot", price, fetched_at=SPOT_AT)}
            for key, price in self.spot.prices.items()
            if key[1] in result.regions
        }
        result.overlays.append(KindOverlay(frozenset({"spot"}), frozenset(result.regions), prices))
        return result

    def close(self) -> None:
        self.spot.closed += 1
        self.inner.close()


@pytest.fixture
def kind_settings(data_dir, tmp_path, aws_server):
    return aws_settings(tmp_path, data_dir, aws_server.url, KEPT)


@pytest.fixture
def spot():
    return FakeSpot()


def spot_engine(settings, spot: FakeSpot) -> SyncEngine:
    return SyncEngine(
        settings,
        # in place of the real spot feeds (make_provider's aws_spot.WithSpot): its inner source
        provider_factory=lambda *args: WithFakeSpot(make_provider(*args).inner, spot),
        listeners=default_listeners(settings),
    )


@pytest.fixture
def engine(kind_settings, spot):
    return spot_engine(kind_settings, spot)


def expected(price: str, kinds=RESERVED_KEPT) -> dict[str, KindPrice]:
    return {k: KindPrice.of(k, *offerdata.reserved_price(k, price)) for k in kinds}


def cached(settings) -> dict:
    return {r.key: r for r in load_cache(settings.data_dir, "aws").records}


def test_a_full_sync_keeps_exactly_the_configured_kinds(engine, kind_settings, spot):
    result = engine.sync("aws", write_back=True)
    assert result.status == "updated" and result.wrote_back, result.error
    recs = cached(kind_settings)
    assert recs[M5_US].prices == expected("0.0960000000") | {
        "spot": KindPrice.of("spot", "0.0350000000", fetched_at=SPOT_AT)
    }
    for (itype, os), price in EU_WEST_1.items():
        assert recs[(itype, "eu-west-1", os.lower())].prices == expected(price)  # no spot price: absent, not 0
    # the source was asked for every kind kept, with on-demand
    (request,) = spot.requests
    assert request.kinds == set(KEPT) and request.on_demand
    assert spot.closed == 1
    assert result.bytes_downloaded > 0  # the offer files
    # the catalog: schema 1 upgraded to 2 (the .bak keeps the old file), prices per kind
    raw = json.loads((kind_settings.data_dir / "aws_catalog.json").read_text())
    assert raw["schema_version"] == 2
    assert json.loads((kind_settings.data_dir / "aws_catalog.json.bak").read_text())["schema_version"] == 1
    m5 = next(e for e in raw["entries"] if (e["instance_type"], e["region"], e["os"]) == M5_US)
    assert m5["price_per_hour"] == "0.0960000000"
    assert m5["prices"]["reserved-3yr-standard-all-upfront"] == {
        "hourly": "0.0000000000",
        "upfront": offerdata.reserved_price("reserved-3yr-standard-all-upfront", "0.0960000000")[1],
        "effective_hourly": expected("0.0960000000")["reserved-3yr-standard-all-upfront"].effective_hourly,
    }
    assert set(m5["prices"]) == set(KEPT)
    assert all("prices" not in e or "spot" not in e["prices"] for e in raw["entries"] if e["region"] == "eu-west-1")


def test_no_kinds_configured_means_on_demand_only_and_a_short_read(data_dir, tmp_path, aws_server, spot):
    settings = aws_settings(tmp_path, data_dir, aws_server.url, [])
    result = spot_engine(settings, spot).sync("aws")
    assert result.status == "updated", result.error
    assert all(not r.prices for r in cached(settings).values())
    assert [r.kinds for r in spot.requests] == [frozenset()]
    everything = sum(
        len(offerdata.dump(offerdata.region_offer(r, p, version=V1)))
        for r, p in (("us-east-1", US_EAST_1), ("eu-west-1", EU_WEST_1))
    )
    assert 0 < result.bytes_downloaded <= everything


def test_kinds_sync_merges_only_the_listed_kinds(engine, kind_settings, spot, aws_server):
    assert engine.sync("aws").status == "updated"
    before = cached(kind_settings)
    state_before = provider_state(kind_settings.data_dir, "aws")["regions"]
    spot.prices = {M5_US: "0.0410000000", ("c6g.large", "eu-west-1", "linux"): "0.0200000000"}
    # a new price list is out: a spot-only sync must not take its on-demand or Reserved prices
    serve_version(aws_server, V2, US_EAST_1 | {("m5.large", "Linux"): "0.5000000000"}, EU_WEST_1)
    seen = len(aws_server.requests)
    result = engine.sync("aws", kinds=["spot"])
    assert result.status == "updated", result.error
    assert aws_server.requests[seen:] == []  # spot comes from its own source: no offer file read
    request = spot.requests[-1]
    assert request.kinds == {"spot"} and not request.on_demand
    after = cached(kind_settings)
    assert set(after) == set(before)
    for key, rec in after.items():
        assert rec.price_per_hour == before[key].price_per_hour
        assert {k: p for k, p in rec.prices.items() if k != "spot"} == {
            k: p for k, p in before[key].prices.items() if k != "spot"
        }
    assert after[M5_US].prices["spot"].hourly == "0.0410000000"
    assert after[("c6g.large", "eu-west-1", "linux")].prices["spot"].hourly == "0.0200000000"
    assert provider_state(kind_settings.data_dir, "aws")["regions"] == state_before  # versions untouched
    (change,) = [c for c in result.changes if c.price_kind == "spot" and c.key == M5_US]
    assert (change.old, change.new) == (None, "0.0410000000")  # the catalog had no spot yet
    # the history: per kind, the on-demand price did not move
    moves = {(r.key, r.price_kind): (r.old, r.new) for r in HistoryStore(kind_settings.data_dir).changes()}
    assert moves == {
        (M5_US, "spot"): ("0.0350000000", "0.0410000000"),
        (("c6g.large", "eu-west-1", "linux"), "spot"): (None, "0.0200000000"),
    }


def test_kinds_sync_of_a_reserved_kind_reads_the_offer_and_takes_only_that_kind(engine, kind_settings, aws_server):
    assert engine.sync("aws").status == "updated"
    before = cached(kind_settings)
    serve_version(aws_server, V2, US_EAST_1 | {("m5.large", "Linux"): "0.5000000000"}, EU_WEST_1)
    result = engine.sync("aws", kinds=["reserved-1yr-standard-no-upfront"])
    assert result.status == "updated", result.error
    m5 = cached(kind_settings)[M5_US]
    assert m5.price_per_hour == "0.0960000000"  # on-demand kept as cached
    assert m5.prices["reserved-1yr-standard-no-upfront"] == expected("0.5000000000")["reserved-1yr-standard-no-upfront"]
    assert m5.prices["reserved-3yr-standard-all-upfront"] == before[M5_US].prices["reserved-3yr-standard-all-upfront"]
    assert m5.prices["spot"] == before[M5_US].prices["spot"]
    # the next full sync fetches the new version: the partial one did not record it
    full = engine.sync("aws")
    assert full.status == "updated" and cached(kind_settings)[M5_US].price_per_hour == "0.5000000000"


def test_kinds_sync_without_a_cache_is_a_full_sync(engine, kind_settings, spot):
    result = engine.sync("aws", kinds=["spot"])
    assert result.status == "updated", result.error
    recs = cached(kind_settings)
    assert recs[M5_US].price_per_hour == "0.0960000000" and set(recs[M5_US].prices) == set(KEPT)
    assert spot.requests[-1].on_demand


def test_a_kind_outside_price_kinds_is_refused(engine, kind_settings):
    assert engine.sync("aws").status == "updated"
    result = engine.sync("aws", kinds=["savings-plan-ec2-instance-3yr-all-upfront"])
    assert result.status == "failed"
    assert "not in [sync] price_kinds" in result.error


def test_a_failing_spot_feed_fails_the_sync_and_keeps_every_file(engine, kind_settings, spot):
    assert engine.sync("aws").status == "updated"
    before = (kind_settings.data_dir / "aws_cache.json").read_bytes()
    spot.fail = True
    for kinds in (None, ["spot"]):
        result = engine.sync("aws", force=True, kinds=kinds)
        assert result.status == "failed" and "HTTP 503" in result.error
        assert (kind_settings.data_dir / "aws_cache.json").read_bytes() == before


def test_changing_price_kinds_refetches_a_region_at_the_same_version(data_dir, tmp_path, aws_server):
    first = aws_settings(tmp_path, data_dir, aws_server.url, [])
    assert SyncEngine(first).sync("aws").status == "updated"
    more = aws_settings(tmp_path, data_dir, aws_server.url, RESERVED_KEPT)
    seen = len(aws_server.requests)
    result = SyncEngine(more).sync("aws")
    assert result.status == "updated", result.error
    assert len(aws_server.requests[seen:]) == 3  # the index and both offer files, at the same version
    assert cached(more)[M5_US].prices == expected("0.0960000000")
    fewer = aws_settings(tmp_path, data_dir, aws_server.url, RESERVED_KEPT[:1])
    assert SyncEngine(fewer).sync("aws").status == "updated"
    assert set(cached(fewer)[M5_US].prices) == set(RESERVED_KEPT[:1])  # a kind no longer kept is gone
    assert SyncEngine(fewer).sync("aws").status == "unchanged"
    assert [p for p, _ in aws_server.requests[-1:]] == [INDEX]


def test_suspicious_kind_prices_are_warnings_with_the_entry(engine, kind_settings, spot):
    spot.prices = {M5_US: "0.5000000000"}  # spot above on-demand
    result = engine.sync("aws")
    assert result.status == "updated", result.error
    assert (
        "aws: suspicious price: m5.large/us-east-1/linux: spot costs 0.5000000000/h effective, "
        "above on-demand 0.0960000000" in result.warnings
    )
    assert cached(kind_settings)[M5_US].prices["spot"].hourly == "0.5000000000"  # kept, never dropped


def test_broken_upfront_order_is_warned():
    from pricesync.core.diff import kind_problems
    from pricesync.core.models import PriceRecord

    kinds = {
        "reserved-1yr-standard-no-upfront": KindPrice.of("reserved-1yr-standard-no-upfront", "0.0600000000"),
        "reserved-1yr-standard-partial-upfront": KindPrice.of(
            "reserved-1yr-standard-partial-upfront", "0.0300000000", "300"
        ),
        "reserved-1yr-convertible-all-upfront": KindPrice.of("reserved-1yr-convertible-all-upfront", "0", "100"),
    }
    rec = PriceRecord("m5.large", "us-east-1", "linux", "0.0960000000", "USD", prices=kinds)
    assert kind_problems([rec]) == [
        "m5.large/us-east-1/linux: reserved-1yr-standard-partial-upfront (0.0642465753/h effective) costs more "
        "than reserved-1yr-standard-no-upfront (0.0600000000/h)"
    ]


def test_a_savings_plans_failure_is_a_warning_of_the_sync_and_on_demand_lands(data_dir, tmp_path, aws_server):
    """The price server publishes no Savings Plans files: the rates are absent, the sync says so."""
    settings = aws_settings(tmp_path, data_dir, aws_server.url, ("savings-plan-compute-1yr-no-upfront",))
    result = SyncEngine(settings).sync("aws")
    assert result.status == "updated" and result.records > 0
    assert any("Savings Plans rates not added" in w for w in result.warnings), result.warnings
    assert all("savings-plan-compute-1yr-no-upfront" not in r.prices for r in load_cache(data_dir, "aws").records)
