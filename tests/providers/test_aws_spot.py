"""AWS spot prices from the public spot price feed and the Spot Instance Advisor feed
(tests.fakes.spotdata on 127.0.0.1), through the engine: the traps of the real feeds, the
conditional requests, and a spot-only sync that downloads no offer file."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pricesync.core.config import Settings, load_settings
from pricesync.core.errors import ConfigError
from pricesync.core.kinds import ON_DEMAND, SPOT
from pricesync.core.sync import SyncEngine

from tests.conftest import EU_WEST_1, INDEX, OFFER, US_EAST_1, V2, assert_files_kept, data_snapshot, serve_version
from tests.fakes import spotdata
from tests.fakes.priceserver import header

WITH_SPOT = frozenset({ON_DEMAND, SPOT})
ONLY_SPOT = frozenset({SPOT})


@pytest.fixture
def spot_settings(tmp_path, data_dir, aws_server):
    spotdata.serve_spot(aws_server)
    cfg = tmp_path / "spot.toml"
    cfg.write_text(
        f'[aws]\nendpoint = "{aws_server.url}"\n{spotdata.spot_config(aws_server.url)}'
        '[http]\nretries = 1\nbackoff_s = 0.01\ntimeout_s = 5\n[sync]\nprice_kinds = ["spot"]\n'
    )
    return load_settings(cfg, data_dir)


def without_spot(settings: Settings) -> Settings:
    """`settings` keeping no kind besides on-demand: a sync that does not want spot."""
    return replace(settings, sync=replace(settings.sync, price_kinds=[]))


def spot_of(engine: SyncEngine) -> dict[tuple[str, str, str], dict]:
    cache = engine.cache("aws")
    assert cache is not None
    return {r.key: r.prices[SPOT].to_json() for r in cache.records if SPOT in r.prices}


def feed_hits(server) -> tuple[int, int]:
    return server.hits(spotdata.PRICE_PATH), server.hits(spotdata.ADVISOR_PATH)


def test_spot_prices_with_interruption_band_and_savings(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    result = engine.sync("aws", kinds=WITH_SPOT)
    assert result.status == "updated", result.error
    spot = spot_of(engine)
    m5 = spot[("m5.large", "us-east-1", "linux")]
    assert m5 == {
        "hourly": "0.0369",
        "upfront": "0",
        "effective_hourly": "0.0369000000",
        "fetched_at": m5["fetched_at"],
        "interruption": "5-10%",
        "savings_pct": 61,
    }
    assert m5["fetched_at"].endswith("Z")
    assert spot[("m5.large", "us-east-1", "windows")]["interruption"] == "<5%"  # mswin is windows
    assert spot[("m5.large", "us-east-1", "windows")]["hourly"] == "0.1289"
    # "9.0E-4" is a price, stored as a plain decimal string
    assert spot[("c6g.large", "us-east-1", "linux")]["hourly"] == "0.00090"
    # the advisor lags the price feed: a price without a band
    eu_c6g = spot[("c6g.large", "eu-west-1", "linux")]
    assert eu_c6g["hourly"] == "0.0290" and "interruption" not in eu_c6g and "savings_pct" not in eu_c6g
    # only Linux and Windows; no spot price invented for what the feed does not offer
    assert ("t3.micro", "us-east-1", "rhel") not in spot
    records = {r.key: r for r in engine.cache("aws").records}
    assert SPOT not in records[("t3.micro", "us-east-1", "rhel")].prices
    assert records[("m5.large", "us-east-1", "linux")].price_per_hour == US_EAST_1[("m5.large", "Linux")]


def test_not_offered_is_absent_never_zero(spot_settings, aws_server):
    spotdata.serve_spot(
        aws_server, {("us-east-1", "m5.large"): ("0.0369", "N/A*"), ("eu-west-1", "m5.large"): ("0.04", None)}
    )
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    spot = spot_of(engine)
    assert ("m5.large", "us-east-1", "windows") not in spot
    assert ("m5.large", "us-east-1", "linux") in spot


def test_no_spot_kind_no_spot_request(spot_settings, aws_server):
    engine = SyncEngine(without_spot(spot_settings))
    assert engine.sync("aws").status == "updated"
    assert feed_hits(aws_server) == (0, 0)
    assert spot_of(engine) == {}


def test_unchanged_feeds_cost_one_304_each(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    before = len(aws_server.requests)
    result = engine.sync("aws", kinds=WITH_SPOT)
    assert result.status == "unchanged", result.error
    again = aws_server.requests[before:]
    assert sorted(p for p, _ in again) == sorted([INDEX, spotdata.PRICE_PATH, spotdata.ADVISOR_PATH])
    assert all(header(h, "If-None-Match") for _, h in again)
    assert spot_of(engine)[("m5.large", "us-east-1", "linux")]["hourly"] == "0.0369"


def test_spot_only_sync_downloads_no_offer_and_keeps_on_demand(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    offers = aws_server.hits(OFFER)
    spotdata.serve_spot(
        aws_server,
        {("us-east-1", "m5.large"): ("0.0411", "0.1300"), ("eu-west-1", "m5.large"): ("0.0402", None)},
        etags=('"spot-2"', '"advisor-1"'),
    )
    result = engine.sync("aws", kinds=ONLY_SPOT)
    assert result.status == "updated", result.error
    assert aws_server.hits(OFFER) == offers and aws_server.hits(INDEX) == 1
    spot = spot_of(engine)
    assert spot[("m5.large", "us-east-1", "linux")]["hourly"] == "0.0411"
    assert ("m5.xlarge", "us-east-1", "linux") not in spot  # gone from the feed: gone from the record
    records = {r.key: r for r in engine.cache("aws").records}
    assert records[("m5.xlarge", "us-east-1", "linux")].price_per_hour == US_EAST_1[("m5.xlarge", "Linux")]


def test_a_new_offer_version_gets_spot_prices_though_the_feeds_are_unchanged(spot_settings, aws_server):
    """Fresh records carry no spot price: the feeds are read whole, not answered with a 304."""
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    serve_version(aws_server, V2, US_EAST_1, EU_WEST_1)
    result = engine.sync("aws", kinds=WITH_SPOT)
    assert result.status == "updated", result.error
    assert spot_of(engine)[("m5.large", "us-east-1", "linux")]["hourly"] == "0.0369"


def test_one_feed_changed_the_other_is_fetched_whole(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    spotdata.serve_spot(aws_server, etags=('"spot-2"', '"advisor-1"'))
    prices, advice = feed_hits(aws_server)
    assert engine.sync("aws", kinds=ONLY_SPOT).status == "updated"
    assert feed_hits(aws_server) == (prices + 1, advice + 2)  # advisor: a 304, then whole
    assert spot_of(engine)[("m5.large", "us-east-1", "linux")]["interruption"] == "5-10%"


def test_spot_only_before_any_full_sync_is_a_full_sync(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    result = engine.sync("aws", kinds=ONLY_SPOT)
    assert result.status == "updated", result.error  # nothing cached to merge into (the engine's rule)
    assert feed_hits(aws_server) == (1, 1)
    assert aws_server.hits(OFFER) == 1
    assert spot_of(engine)[("m5.large", "us-east-1", "linux")]["hourly"] == "0.0369"


def test_jsonp_wrapper_legacy_region_names_and_ranges_last(spot_settings, aws_server):
    feed = spotdata.dump(spotdata.price_feed({("us-east", "m5.large"): ("0.0333", None)}))
    aws_server.set(spotdata.PRICE_PATH, b"/*\n * a comment\n */\ncallback(" + feed + b");\n")
    advice = spotdata.advisor_feed({("us-east-1", "Linux", "m5.large"): (55, 4)}, ranges_first=False)
    aws_server.set(spotdata.ADVISOR_PATH, spotdata.dump(advice))
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    assert spot_of(engine)[("m5.large", "us-east-1", "linux")] | {"fetched_at": ""} == {
        "hourly": "0.0333",
        "upfront": "0",
        "effective_hourly": "0.0333000000",
        "fetched_at": "",
        "interruption": ">20%",
        "savings_pct": 55,
    }


@pytest.mark.parametrize(
    "bad, skipped",
    [
        ("-0.01", "bad_price"),
        ("0.0000", "zero_price"),
        ("1e400", "absurd_price"),  # checked before it is written out: no 401 digits
        ("1e4000", "bad_price"),  # an exponent of more than 3 digits
        ("2E+4", "absurd_price"),  # 20,000 USD an hour: above the price limit
        ("NaN", "bad_price"),
        ("0x10", "bad_price"),
    ],
)
def test_bad_prices_are_skipped_and_counted(spot_settings, aws_server, caplog, bad, skipped):
    caplog.set_level("INFO", logger="pricesync")
    spotdata.serve_spot(
        aws_server, {("us-east-1", "m5.large"): (bad, "0.1289"), ("eu-west-1", "m5.large"): ("0.04", None)}
    )
    engine = SyncEngine(spot_settings)
    result = engine.sync("aws", kinds=WITH_SPOT)
    assert result.status == "updated", result.error
    spot = spot_of(engine)
    assert ("m5.large", "us-east-1", "linux") not in spot
    assert spot[("m5.large", "us-east-1", "windows")]["hourly"] == "0.1289"
    line = next(m for m in caplog.messages if m.startswith("us-east-1:") and "spot prices" in m)
    assert f"{skipped} 1" in line, line


def test_skips_are_logged_per_region(spot_settings, aws_server, caplog):
    caplog.set_level("INFO", logger="pricesync")
    spotdata.serve_spot(
        aws_server,
        {("us-east-1", "m5.large"): ("N/A*", "0.1289"), ("us-east-1", "bad type!"): ("0.1", None)},
    )
    assert SyncEngine(spot_settings).sync("aws", kinds=WITH_SPOT).status == "updated"
    line = next(m for m in caplog.messages if m.startswith("us-east-1:") and "spot prices" in m)
    assert "not_offered" in line and "bad_identifier" in line


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{}", "lists no regions"),
        (b'{"config": {"regions": [', "not valid JSON"),
        (
            b"callback(" + spotdata.dump(spotdata.price_feed({("us-east-1", "m5.large"): ("0.1", None)})),
            "does not close",
        ),
        (b"[" * 100, "nests deeper"),
    ],
)
def test_a_broken_feed_fails_the_sync_and_keeps_every_file(spot_settings, aws_server, body, message):
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    before = data_snapshot(spot_settings.data_dir)
    aws_server.set(spotdata.PRICE_PATH, body, etag='"broken"')
    result = engine.sync("aws", kinds=ONLY_SPOT)
    assert result.status == "failed" and message in result.error, result.error
    assert "\n" not in result.error
    assert_files_kept(before, spot_settings.data_dir)


def test_a_broken_feed_in_a_full_sync_lands_the_price_lists_and_keeps_the_last_spot_prices(spot_settings, aws_server):
    """New price lists and a broken spot feed: the on-demand prices land, every entry keeps
    the spot price (and its fetched_at) of the last good feed, and the sync says so in a warning."""
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    spot_before = spot_of(engine)
    serve_version(aws_server, V2, US_EAST_1 | {("m5.large", "Linux"): "0.1000000000"}, EU_WEST_1)
    aws_server.set(spotdata.PRICE_PATH, b'{"config": {"regions": [', etag='"broken"')
    result = engine.sync("aws", kinds=WITH_SPOT)
    assert result.status == "updated", result.error
    assert [w for w in result.warnings if "spot" in w] == [
        f"aws: spot prices not refreshed ({aws_server.url}{spotdata.PRICE_PATH} is not valid JSON "
        "(within bytes 0-24)); "
        "the last fetched ones are kept"
    ]
    assert spot_of(engine) == spot_before
    records = {r.key: r for r in engine.cache("aws").records}
    assert records[("m5.large", "us-east-1", "linux")].price_per_hour == "0.1000000000"
    # a spot-only sync has nothing else to land: the broken feed fails it
    assert engine.sync("aws", kinds=ONLY_SPOT).status == "failed"


def test_feed_validators_are_kept_in_state(spot_settings, aws_server):
    engine = SyncEngine(spot_settings)
    assert engine.sync("aws", kinds=WITH_SPOT).status == "updated"
    state = json.loads((spot_settings.data_dir / "state.json").read_text())["providers"]["aws"]
    assert state["feeds"]["spot_prices"]["etag"] == '"spot-1"'
    assert state["feeds"]["spot_advisor"]["etag"] == '"advisor-1"'
    # a sync without spot drops them: the cache no longer stands for the feeds
    assert SyncEngine(without_spot(spot_settings)).sync("aws", force=True).status == "updated"
    state = json.loads((spot_settings.data_dir / "state.json").read_text())["providers"]["aws"]
    assert "feeds" not in state


@pytest.mark.parametrize("key", ["spot_price_url", "spot_advisor_url"])
@pytest.mark.parametrize("value", ["", "ftp://example.com/spot.json", "not a url"])
def test_spot_urls_are_checked_with_the_config(tmp_path, key, value):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[aws]\n{key} = "{value}"\n')
    with pytest.raises(ConfigError, match=f"aws.{key}"):
        load_settings(cfg, tmp_path / "data")
