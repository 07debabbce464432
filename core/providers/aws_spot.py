"""AWS spot prices without credentials, as the `spot` kind: the public spot price feed behind
the EC2 spot pricing page (`spot.json`) and the Spot Instance Advisor feed (interruption band
and savings per instance type).

`spot.json`: `config.regions[] -> {region, instanceTypes[] -> {sizes[] -> {size, valueColumns[]
-> {name: linux|mswin, prices: {USD}}}}}`; a price is a string, `"N/A*"` where the type is not
offered and sometimes in exponent form (`"9.0E-4"`, stored as `0.00090`). The advisor:
`spot_advisor[region][Linux|Windows][type] = {s: savings %, r: index into ranges}` and `ranges[]
-> {index, label}`; it may lag the price feed (a type or region it does not list has a spot
price without a band). Only Linux and Windows have spot prices. Region codes are checked like
every other source's; the frozen legacy `spot.js` named regions its own way (`us-east`,
`eu-ireland`): those names are mapped, and its `callback(...)` wrapper is accepted.

Both feeds are parsed as a stream of events (ijson), bounded in size (`[http] max_document_mb`),
time, depth and token length (core.jsonbounds); memory holds only the prices of the wanted
regions. Both answer conditional requests: when nothing else was fetched afresh, an unchanged
feed costs one 304. The prices overlay the records of every wanted region, fresh or cached
(providers.base.KindOverlay), so `sync --kinds spot` downloads no offer file.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import httpx
import ijson

from ..errors import SourceError
from ..formats import skipped_summary, utc_now
from ..http import HttpSettings, NotModified, get_stream, make_client, redact_url
from ..jsonbounds import JsonBounds
from ..kinds import SPOT, effective_hourly
from ..models import Key, KindPrice, decimal_price, is_instance_type, is_interruption_band, is_region
from .base import FetchRequest, FetchResult, KindOverlay, Provider, RegionFetch, RegionVersion

log = logging.getLogger("pricesync.aws")

DEFAULT_PRICE_URL = "https://website.spot.ec2.aws.a2z.com/spot.json"
DEFAULT_ADVISOR_URL = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json"
PRICE_FEED, ADVISOR_FEED = "spot_prices", "spot_advisor"  # their names in state.json's feeds
COLUMNS = {"linux": "linux", "mswin": "windows"}  # spot.json's valueColumns -> catalog os
ADVISOR_OS = {"Linux": "linux", "Windows": "windows"}
# the legacy spot.js's region names (its last ones, frozen since 2024)
LEGACY_REGIONS = {
    "us-east": "us-east-1",
    "us-west": "us-west-1",
    "eu-ireland": "eu-west-1",
    "apac-sin": "ap-southeast-1",
    "apac-syd": "ap-southeast-2",
    "apac-tokyo": "ap-northeast-1",
}
# a price as the feed writes it: a plain decimal or one with an exponent ("9.0E-4")
_PRICE_RE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?")
_JSONP_HEAD = re.compile(rb"\s*(?:/\*.*?\*/\s*)*[A-Za-z_$][\w$.]{0,63}\s*\(", re.DOTALL)
_JSONP_TAIL = re.compile(rb"\)\s*;?\s*$")
_TAIL_KEEP = 64  # bytes held back from the parser until the end: a JSONP wrapper's `);`
# entries (a size's price column, an advisor's type) one feed may list: a real one has about
# 50,000; memory holds at most this many, whatever the feed's size
MAX_ENTRIES = 250_000

SpotKey = tuple[str, str, str]  # (region, os, instance type)
T = TypeVar("T")


def region_code(name: object) -> str | None:
    """A feed's region name -> the region code, or None if it is not one."""
    if not isinstance(name, str):
        return None
    code = LEGACY_REGIONS.get(name, name)
    return code if is_region(code) else None


def spot_price(value: object) -> tuple[str | None, str]:
    """A feed's price string -> (plain decimal string within core.models' limits, "") or (None,
    why not): `not_offered` for "N/A*", `bad_price`, `absurd_price`, `zero_price`."""
    if isinstance(value, str) and value.startswith("N/A"):
        return None, "not_offered"
    if not isinstance(value, str) or _PRICE_RE.fullmatch(value) is None:
        return None, "bad_price"
    try:
        price = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None, "bad_price"
    if price.is_zero():
        return None, "zero_price"
    return decimal_price(price)


class _FeedReader:
    """The body of a feed for the parser: each chunk checked against core.jsonbounds, a JSONP
    `callback(` before the document and `)` / `);` after it taken away."""

    def __init__(self, read: Callable[[int], bytes], name: str) -> None:
        self._read = read
        self.name = name
        self.bounds = JsonBounds(name)
        self._first = True
        self._jsonp = False
        self._held = b""
        self._done = False

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        while not self._done:
            chunk = self._read(n)
            if self._first and chunk.strip():
                self._first = False
                head = _JSONP_HEAD.match(chunk)
                if head is not None:
                    chunk, self._jsonp = chunk[head.end() :], True
            if not chunk:
                self._done = True
                tail = self._held
                if self._jsonp:
                    end = _JSONP_TAIL.search(tail)
                    if end is None:
                        raise SourceError(f"{self.name} opens a callback( wrapper that it does not close")
                    tail = tail[: end.start()]
                self.bounds.scan(tail)
                return tail
            data = self._held + chunk
            self._held = data[-_TAIL_KEEP:]
            out = data[:-_TAIL_KEEP]
            if out:
                self.bounds.scan(out)
                return out
        return b""


@contextlib.contextmanager
def _events(read: Callable[[int], bytes], name: str) -> Iterator[Iterator[tuple[str, str, object]]]:
    """The (prefix, event, value) of every JSON event of a feed, streamed (ijson's C parser
    builds the prefixes: keys joined by ".", an array's element as "item"). A parse error is one
    line with the position, never the bytes."""
    reader = _FeedReader(read, name)
    try:
        yield ijson.parse(reader, use_float=False, buf_size=1 << 16)
    except (ijson.JSONError, ArithmeticError):
        raise SourceError(f"{name} is not valid JSON (within bytes {reader.bounds.span})") from None


# spot.json's prefixes
_REGION = "config.regions.item"
_SIZE = _REGION + ".instanceTypes.item.sizes.item"
_COLUMN = _SIZE + ".valueColumns.item"
_REGION_NAME, _SIZE_NAME = _REGION + ".region", _SIZE + ".size"
_COLUMN_NAME, _COLUMN_PRICE = _COLUMN + ".name", _COLUMN + ".prices.USD"


class _Entries:
    """Counts a feed's entries; refuses the feed past MAX_ENTRIES."""

    def __init__(self, name: str) -> None:
        self.name, self.n = name, 0

    def count(self) -> None:
        self.n += 1
        if self.n > MAX_ENTRIES:
            raise SourceError(f"{self.name} lists more than {MAX_ENTRIES:,} entries; refused (a real feed has ~50,000)")


def parse_prices(
    read: Callable[[int], bytes], name: str, regions: frozenset[str]
) -> tuple[dict[SpotKey, str], dict[str, Counter[str]]]:
    """The spot prices of `regions` in a spot.json feed, and what was skipped per region.
    Each region, size and column is collected until its object closes, so the order of keys
    within an object does not matter."""
    prices: dict[SpotKey, str] = {}
    skipped: dict[str, Counter[str]] = {r: Counter() for r in regions}
    region: object = None
    sizes: list[tuple[object, list[tuple[object, object]]]] = []  # of the region being read
    size: object = None
    columns: list[tuple[object, object]] = []  # of the size being read
    column: object = None
    price: object = None
    listed = 0  # region objects in the feed
    entries = _Entries(name)
    with _events(read, name) as events:
        for prefix, event, value in events:
            if event == "end_map":
                if prefix == _COLUMN:
                    entries.count()
                    columns.append((column, price))
                    column = price = None
                elif prefix == _SIZE:
                    entries.count()
                    sizes.append((size, columns))
                    size, columns = None, []
                elif prefix == _REGION:
                    _take_region(region, sizes, regions, prices, skipped)
                    region, sizes, listed = None, [], listed + 1
            elif event == "map_key" or event == "start_map" or event == "start_array" or event == "end_array":
                continue
            elif prefix == _COLUMN_PRICE:
                price = value
            elif prefix == _COLUMN_NAME:
                column = value
            elif prefix == _SIZE_NAME:
                size = value
            elif prefix == _REGION_NAME:
                region = value
    if not listed:
        raise SourceError(f"{name} lists no regions (no 'config.regions': not a spot price feed?)")
    return prices, skipped


def _take_region(
    name: object,
    sizes: list[tuple[object, list[tuple[object, object]]]],
    wanted: frozenset[str],
    prices: dict[SpotKey, str],
    skipped: dict[str, Counter[str]],
) -> None:
    region = region_code(name)
    if region is None or region not in wanted:
        return
    counts = skipped[region]
    checked: dict[object, tuple[str | None, str]] = {}  # a feed repeats its prices: each is checked once
    for size, columns in sizes:
        if not is_instance_type(size):
            counts["bad_identifier"] += len(columns)
            continue
        for column, value in columns:
            os_ = COLUMNS.get(column) if isinstance(column, str) else None
            if os_ is None:
                counts["other_os"] += 1
                continue
            if value not in checked:
                checked[value] = spot_price(value)
            price, problem = checked[value]
            if price is None:
                counts[problem] += 1
            elif (region, os_, size) in prices:
                counts["duplicate"] += 1
            else:
                prices[(region, os_, size)] = price


Advice = dict[SpotKey, tuple[str | None, int | None]]  # (interruption band, savings %)


def parse_advisor(read: Callable[[int], bytes], name: str, regions: frozenset[str]) -> Advice:
    """The Spot Instance Advisor's band and savings % per (region, os, type) of `regions`. An
    entry whose band or savings is not in its shape keeps the other; `ranges` may come before
    or after `spot_advisor`."""
    labels: dict[int, str] = {}
    position = 0
    index: object = None
    label: object = None
    raw: dict[SpotKey, tuple[object, object]] = {}
    s: object = None
    r: object = None
    entries = _Entries(name)
    with _events(read, name) as events:
        for prefix, event, value in events:
            if event == "map_key":
                continue
            if prefix.startswith("spot_advisor."):
                if event == "end_map" and prefix.count(".") >= 3:  # spot_advisor.<region>.<os>.<type>
                    entries.count()
                    _, region_name, os_name, itype = prefix.split(".", 3)
                    region, os_ = region_code(region_name), ADVISOR_OS.get(os_name)
                    if region in regions and os_ is not None and is_instance_type(itype):
                        raw[(region, os_, itype)] = (s, r)
                    s = r = None
                elif event == "number" and prefix.endswith(".s"):
                    s = value
                elif event == "number" and prefix.endswith(".r"):
                    r = value
            elif prefix == "ranges.item":
                if event == "end_map":
                    at = index if type(index) is int else position
                    if is_interruption_band(label):
                        labels[at] = label
                    position, index, label = position + 1, None, None
            elif prefix == "ranges.item.index":
                index = value
            elif prefix == "ranges.item.label":
                label = value
    advice: Advice = {}
    for key, (savings, band) in raw.items():
        pct = savings if type(savings) is int and 0 <= savings <= 100 else None
        advice[key] = (labels.get(band) if type(band) is int else None, pct)
    return advice


def spot_overlay(
    regions: frozenset[str], prices: dict[SpotKey, str], advice: Advice, fetched_at: str
) -> tuple[KindOverlay, int]:
    """The `spot` kind of every priced (type, region, os), with the advisor's band and savings
    where it has them; and how many prices the advisor had nothing for."""
    out: dict[Key, dict[str, KindPrice]] = {}
    unadvised = 0
    effective: dict[str, str] = {}  # a feed repeats its prices: each is amortised once
    for (region, os_, itype), price in prices.items():
        band, pct = advice.get((region, os_, itype), (None, None))
        unadvised += band is None
        if price not in effective:
            effective[price] = effective_hourly(price, "0", 0)
        out[(itype, region, os_)] = {SPOT: KindPrice(price, "0", effective[price], fetched_at, band, pct)}
    return KindOverlay(frozenset({SPOT}), regions, out), unadvised


class SpotFeeds:
    """The two feeds, fetched conditionally where the cache already holds what they said."""

    def __init__(self, price_url: str, advisor_url: str, http: HttpSettings) -> None:
        self.price_url, self.advisor_url = price_url, advisor_url
        self.http = http
        self.client: httpx.Client | None = None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def fetch(
        self, regions: list[str], known: dict[str, RegionVersion], cancel: threading.Event
    ) -> tuple[KindOverlay | None, dict[str, RegionVersion]]:
        """The spot overlay of `regions`, or None when both feeds answered 304 to validators in
        `known` (from a sync that covered the same regions); and the feeds' validators."""
        wanted = frozenset(regions)
        covered = ",".join(sorted(wanted))  # the validators stand for these regions' prices only
        known = {name: v for name, v in known.items() if v.version == covered}
        if not wanted:
            return None, {}

        def prices(
            last: RegionVersion | None,
        ) -> tuple[tuple[dict[SpotKey, str], dict[str, Counter[str]]] | None, RegionVersion]:
            return self._get(self.price_url, last, covered, cancel, lambda read, name: parse_prices(read, name, wanted))

        def advisor(last: RegionVersion | None) -> tuple[Advice | None, RegionVersion]:
            return self._get(
                self.advisor_url, last, covered, cancel, lambda read, name: parse_advisor(read, name, wanted)
            )

        (price_data, price_v), (advice, advice_v) = prices(known.get(PRICE_FEED)), advisor(known.get(ADVISOR_FEED))
        feeds = {PRICE_FEED: price_v, ADVISOR_FEED: advice_v}
        if price_data is None and advice is None:
            log.info("spot price and advisor feeds unchanged (304)")
            return None, feeds
        if price_data is None:  # one feed changed: the other is needed whole again
            price_data, feeds[PRICE_FEED] = prices(None)
        if advice is None:
            advice, feeds[ADVISOR_FEED] = advisor(None)
        assert price_data is not None and advice is not None  # an unconditional GET has a body
        found, skipped = price_data
        overlay, unadvised = spot_overlay(wanted, found, advice, utc_now())
        for region in sorted(wanted):
            count = sum(1 for key in found if key[0] == region)
            log.info("%s: %d spot prices (skipped: %s)", region, count, skipped_summary(skipped[region]))
        if unadvised:
            log.info("%d spot prices have no interruption band: the advisor feed does not list them (yet)", unadvised)
        return overlay, feeds

    def _get(
        self,
        url: str,
        last: RegionVersion | None,
        covered: str,
        cancel: threading.Event,
        parse: Callable[[Callable[[int], bytes], str], T],
    ) -> tuple[T | None, RegionVersion]:
        """GET a feed (conditionally with `last`) and parse it as it streams in; (None, `last`) on 304."""
        if self.client is None:
            self.client = make_client(self.http)
        headers = {}
        if last is not None and last.etag:
            headers["If-None-Match"] = last.etag
        if last is not None and last.last_modified:
            headers["If-Modified-Since"] = last.last_modified
        name = redact_url(url)
        try:
            with get_stream(self.client, url, limits=self.http.document(), headers=headers, cancel=cancel) as (
                response,
                body,
            ):
                data = parse(body.read, name)
                etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        except NotModified:
            assert last is not None
            return None, last
        return data, RegionVersion(covered, etag, modified)


def wants_spot_only(request: FetchRequest) -> bool:
    """Only the spot kind is wanted: nothing from the on-demand price lists is needed."""
    return not request.on_demand and request.kinds == {SPOT}


class WithSpot:
    """An AWS source (public or boto3) with the `spot` kind from the spot feeds, when wanted."""

    def __init__(self, inner: Provider, feeds: SpotFeeds) -> None:
        self.inner, self.feeds = inner, feeds
        self.name, self.mode = inner.name, inner.mode

    def close(self) -> None:
        self.inner.close()
        self.feeds.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        if SPOT not in request.kinds:
            return self.inner.fetch(request)
        if wants_spot_only(request):  # the cached records of every wanted region, as they are
            result = FetchResult(
                {r: RegionFetch(r, request.known.get(r, RegionVersion()), None) for r in request.regions or ()},
                request.index,
            )
            return self._with_spot(result, request)
        result = self.inner.fetch(request)
        try:
            return self._with_spot(result, request)
        except SourceError as exc:  # the price lists came: they land, with the last spot prices
            log.warning("aws spot prices not refreshed: %s", exc)
            result.warnings.append(f"spot prices not refreshed ({exc}); the last fetched ones are kept")
            result.carried = frozenset({SPOT})
            return result

    def _with_spot(self, result: FetchResult, request: FetchRequest) -> FetchResult:
        fresh = any(f.records is not None for f in result.regions.values())
        # fresh records carry no spot price yet: the feeds are needed whole, not a 304
        overlay, result.feeds = self.feeds.fetch(sorted(result.regions), {} if fresh else request.feeds, request.cancel)
        if overlay is not None:
            result.overlays.append(overlay)
        return result
