"""AWS Savings Plans rates for EC2, from the public bulk files (no credentials).

The service index (`/offers/v1.0/aws/index.json`) names, for AmazonEC2, the Savings Plans
region index (`currentSavingsPlanIndexUrl`): a LIST of `{regionCode, versionUrl}`. Each
region's file has `products` (an array of plans: `productFamily` ComputeSavingsPlans or
EC2InstanceSavingsPlans, `purchaseTerm`, `purchaseOption`) and `terms.savingsPlan` (an array
of plans, each with `rates[]` keyed by `discountedSku`). A rate is kept when it discounts an
EC2 instance hour (`discountedServiceCode` AmazonEC2, usage `BoxUsage:<type>`) of a SKU the
on-demand selection kept, and its plan is one of the wanted kinds. Fargate, Lambda, Dedicated,
Host and Unused-reservation rates, and rates of SKUs not selected (BYOL, other tenancies), are
skipped. A rate's plan is the first part of its `rateCode` (`<plan sku>.<discounted sku>`),
so rates stream one by one and a plan's tens of thousands of rates are never held whole.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urljoin

import httpx
import ijson

from ..errors import SourceError
from ..formats import skipped_summary
from ..http import CHUNK, HttpSettings, NotModified, get_json, get_stream, response_shape
from ..jsonbounds import JsonBounds
from ..kinds import KINDS, SAVINGS_PLAN, savings_plan_kind
from ..models import JsonObject, KindPrice, PriceRecord, as_object, as_text, is_region, price_problem
from .aws_offer import MAX_MEMBER, _json_error
from .aws_urls import conditional, on_endpoint, validators, version_of
from .base import FetchRequest, RegionFetch, RegionVersion

log = logging.getLogger("pricesync.aws")

SERVICE_INDEX_PATH = "/offers/v1.0/aws/index.json"
FAMILIES = {"ComputeSavingsPlans": "compute", "EC2InstanceSavingsPlans": "ec2-instance"}
# `BoxUsage:m5.large` (us-east-1) or `EUW1-BoxUsage:m5.large`; not HostBoxUsage, UnusedBox, DedicatedUsage
_BOX_USAGE = re.compile(r"(?:[A-Z0-9]{1,12}-)?BoxUsage:(.{1,80})")


def wanted(kinds: frozenset[str]) -> frozenset[str]:
    """The Savings Plans kinds among `kinds`."""
    return kinds & frozenset(SAVINGS_PLAN)


@dataclass(frozen=True, slots=True)
class SavingsPlanIndex:
    """Region -> versionUrl of its rates file, or None when the index is unchanged (304);
    and the index's validators, for the next conditional request."""

    urls: dict[str, str] | None
    validators: RegionVersion | None


def region_urls(index: object, name: str) -> dict[str, str]:
    """The region index's list of `{regionCode, versionUrl}` -> region -> versionUrl. Entries
    of another shape are counted in one warning."""
    regions = as_object(index).get("regions")
    if not isinstance(regions, list) or not regions:
        raise SourceError(f"{name} is not a Savings Plans region index (no 'regions' list)")
    urls: dict[str, str] = {}
    for item in regions:
        entry = as_object(item)
        code, url = entry.get("regionCode"), entry.get("versionUrl")
        if is_region(code) and isinstance(url, str):
            urls[code] = url
    if len(urls) < len(regions):
        skipped = len(regions) - len(urls)
        log.warning("%s: %d region entries skipped (not a region code, or no versionUrl)", name, skipped)
    return urls


def plan_kind(product: JsonObject) -> str | None:
    """A plan product -> its kind (savings-plan-compute-1yr-no-upfront, ...), or None."""
    plan = FAMILIES.get(str(product.get("productFamily")))
    attrs = as_object(product.get("attributes"))
    return savings_plan_kind(plan, attrs.get("purchaseTerm"), attrs.get("purchaseOption")) if plan else None


@dataclass(frozen=True, slots=True)
class Rate:
    plan: str  # the plan's sku
    sku: str  # the discounted (on-demand) sku
    price: str


def select_rate(rate: object, records: Mapping[str, PriceRecord]) -> tuple[Rate | None, str]:
    """A rate of the file -> the Rate of an instance hour of a selected SKU, or None and why not."""
    if not isinstance(rate, dict):
        return None, "bad_rate"
    if rate.get("discountedServiceCode") != "AmazonEC2":
        return None, "not_ec2"
    usage = _BOX_USAGE.fullmatch(str(rate.get("discountedUsageType", "")))
    if usage is None:
        return None, "not_instance_hour"
    record = records.get(str(rate.get("discountedSku")))
    if record is None:
        return None, "sku_not_selected"
    if usage[1] != record.instance_type:
        return None, "other_instance_type"
    plan, dot, _ = str(rate.get("rateCode", "")).partition(".")
    if not dot or rate.get("unit", "Hrs") != "Hrs":
        return None, "bad_rate"
    discounted = as_object(rate.get("discountedRate"))
    if discounted.get("currency") != record.currency:
        return None, "bad_currency"
    price = discounted.get("price")
    problem = price_problem(price)
    if problem or not isinstance(price, str):
        return None, problem or "bad_price"
    return Rate(plan, record.sku or "", price), ""


PLANS_DEPTH = 2  # inside the `products` array (root object 1)
RATES_DEPTH = 5  # inside a plan's `rates` array: terms 2, savingsPlan 3, the plan 4


def parse_savings_plans(
    read: Callable[[int], bytes], region: str, records: Mapping[str, PriceRecord], kinds: frozenset[str]
) -> tuple[dict[str, dict[str, KindPrice]], Counter[str]]:
    """One region's Savings Plans file, in a single streaming pass -> discounted sku -> kind ->
    KindPrice (the wanted kinds only), and the counts of rates skipped, by reason.

    `records` are the on-demand selection's records by sku. The rates are read by ijson's C
    `items`; each chunk it reads is also pushed into a second C parser for the plans
    (`products`), until a rate comes in a chunk read after the plans began: then every plan is
    in (real files list `products` first; a file that lists them last is read to its end by
    both). Only the rates of selected SKUs are kept until the plans are known. A plan type,
    term and option that rate one SKU twice with different prices is dropped.
    """
    name = f"Savings Plans file for {region}"
    # depth, token length and one member's bytes (a plan; a rate: each is built whole by its
    # parser), checked before either parser sees a chunk
    bounds = JsonBounds(name, {"products": PLANS_DEPTH, "terms": RATES_DEPTH}, MAX_MEMBER)
    skipped: Counter[str] = Counter()
    plans: dict[str, str | None] = {}  # plan sku -> kind (None: a plan of no kind pricesync knows)
    rates: dict[tuple[str, str], str | None] = {}  # (plan, sku) -> price; None: priced twice, differently
    found_plans = ijson.sendable_list()
    plans_parser = ijson.items_coro(found_plans, "products.item")
    plans_open = True
    plans_before = False  # plans had been found before the last chunk read

    class TeeReader:
        def read(self, n: int) -> bytes:
            nonlocal plans_before
            chunk = read(n)
            if not n:
                return chunk
            bounds.scan(chunk)
            plans_before = bool(plans)
            if plans_open:
                if chunk:
                    plans_parser.send(chunk)
                else:
                    plans_parser.close()
                for product in found_plans:
                    plans[str(as_object(product).get("sku"))] = plan_kind(as_object(product))
                del found_plans[:]
            return chunk

    with response_shape(name):
        try:
            for item in ijson.items(TeeReader(), "terms.savingsPlan.item.rates.item", buf_size=CHUNK):
                plans_open = plans_open and not plans_before
                rate, reason = select_rate(item, records)
                if rate is None:
                    skipped[reason] += 1
                else:
                    held = rates.setdefault((rate.plan, rate.sku), rate.price)
                    if held != rate.price:
                        rates[rate.plan, rate.sku] = None
        except (ijson.JSONError, ArithmeticError) as exc:
            raise _json_error(exc, name, bounds) from None
    if not plans:
        raise SourceError(f"{name} has no 'products' (not a Savings Plans price list?)")
    return _by_sku(rates, plans, kinds, skipped), skipped


def _by_sku(
    rates: Mapping[tuple[str, str], str | None],
    plans: Mapping[str, str | None],
    kinds: frozenset[str],
    skipped: Counter[str],
) -> dict[str, dict[str, KindPrice]]:
    prices: dict[str, dict[str, str | None]] = {}
    ambiguous: set[tuple[str, str]] = set()
    for (plan, sku), price in rates.items():
        if plan not in plans:
            skipped["unknown_plan"] += 1
            continue
        kind = plans[plan]
        if kind not in kinds:
            continue  # a plan not wanted (or of no kind pricesync knows)
        held = prices.setdefault(sku, {}).setdefault(kind, price)
        if price is None or held != price:
            ambiguous.add((sku, kind))
    for sku, kind in ambiguous:
        skipped["ambiguous_rate"] += 1
        del prices[sku][kind]
    return {
        sku: {kind: KindPrice.of(kind, price) for kind in KINDS if (price := by_kind.get(kind)) is not None}
        for sku, by_kind in prices.items()
        if by_kind
    }


def with_prices(records: list[PriceRecord], prices: Mapping[str, Mapping[str, KindPrice]]) -> list[PriceRecord]:
    """`records` with the kinds priced for their sku added to their `prices`, in KINDS order."""
    out: list[PriceRecord] = []
    for rec in records:
        extra = prices.get(rec.sku or "")
        merged = {**rec.prices, **extra} if extra else {}
        out.append(replace(rec, prices={k: merged[k] for k in KINDS if k in merged}) if extra else rec)
    return out


class SavingsPlanFiles:
    """The Savings Plans bulk files on the configured endpoint (or mirror), through the source's
    bounded client: every URL an index names is kept on the endpoint's origin."""

    def __init__(self, client: httpx.Client, endpoint: str, http: HttpSettings) -> None:
        self.client = client
        self.endpoint = endpoint
        self.http = http

    def _region_index_url(self, cancel: threading.Event) -> str:
        url = urljoin(self.endpoint, SERVICE_INDEX_PATH.lstrip("/"))
        _, index = get_json(self.client, url, settings=self.http, cancel=cancel)
        path = as_object(as_object(as_object(index).get("offers")).get("AmazonEC2")).get("currentSavingsPlanIndexUrl")
        if not isinstance(path, str):
            raise SourceError("the AWS service index names no Savings Plans index for AmazonEC2")
        return on_endpoint(self.endpoint, path, "the AWS service index", "the Savings Plans region index")

    def index(self, last: RegionVersion | None, cancel: threading.Event) -> SavingsPlanIndex:
        """The region index, conditionally when `last` holds its validators."""
        url = self._region_index_url(cancel)
        try:
            response, index = get_json(self.client, url, settings=self.http, headers=conditional(last), cancel=cancel)
        except NotModified:
            return SavingsPlanIndex(None, last)
        v = validators(response.headers)
        return SavingsPlanIndex(
            region_urls(index, "the Savings Plans region index"),
            RegionVersion(as_text(as_object(index).get("publicationDate")), v.get("etag"), v.get("last-modified")),
        )

    def region(
        self, region: str, version_url: str, records: list[PriceRecord], kinds: frozenset[str], cancel: threading.Event
    ) -> tuple[list[PriceRecord], int]:
        """`records` with the region's wanted Savings Plans kinds added, and the bytes read."""
        url = on_endpoint(self.endpoint, version_url, "the Savings Plans region index", f"a rates file for {region}")
        log.info("%s: downloading Savings Plans rates version %s", region, version_of(version_url))
        by_sku = {rec.sku: rec for rec in records if rec.sku}
        with get_stream(self.client, url, limits=self.http.download(), cancel=cancel) as (_, body):
            prices, skipped = parse_savings_plans(body.read, region, by_sku, kinds)
        log.info(
            "%s: Savings Plans rates for %d of %d prices from %.1f MB (skipped: %s)",
            region,
            len(prices),
            len(records),
            body.read_bytes / 1e6,
            skipped_summary(skipped),
        )
        return with_prices(records, prices), body.read_bytes


class SavingsPlansFetch:
    """The Savings Plans part of one AWS fetch: which regions' rates changed, and the rates
    added to a region's fresh records. Any failure here is one warning line and leaves the
    on-demand prices as they are, without that region's Savings Plans kinds (never zero);
    the region's stored version then lacks its Savings Plans part, so the next sync tries again."""

    def __init__(self, files: SavingsPlanFiles, request: FetchRequest) -> None:
        self.files = files
        self.request = request
        self.kinds = wanted(request.kinds)
        # the kinds a stored version was fetched for: other kinds wanted since need the file again
        self.tag = "kinds:" + hashlib.sha256(",".join(sorted(self.kinds)).encode()).hexdigest()[:8]
        self.index: SavingsPlanIndex | None = None  # None: not wanted, or the index failed
        self.warnings: list[str] = []
        if not self.kinds:
            return
        regions = request.regions
        all_held = regions is not None and all(self._held(r) is not None for r in regions)
        last = request.index.savings_plans if request.index is not None and all_held else None
        self._load_index(last)

    def _load_index(self, last: RegionVersion | None) -> None:
        try:
            self.index = self.files.index(last, self.request.cancel)
        except SourceError as exc:
            self._warn(f"Savings Plans rates not added to any region: {exc}")
            self.index = None

    def _warn(self, line: str) -> None:
        log.warning("%s", line)
        self.warnings.append(line)

    def _stamp(self, url: str | None) -> RegionVersion:
        """What a region's Savings Plans part is recorded as: the rates file's version (or that
        none is listed) and the kinds taken from it."""
        return RegionVersion(f"{version_of(url) if url else 'none'} {self.tag}")

    def _held(self, region: str) -> RegionVersion | None:
        """The region's stored Savings Plans part, if it was fetched for the kinds wanted now."""
        known = self.request.known.get(region)
        held = known.savings_plans if known is not None else None
        return held if held is not None and (held.version or "").endswith(" " + self.tag) else None

    def unchanged(self, region: str) -> bool:
        """Whether the region's Savings Plans part is as the cache holds it (true when the
        index could not be read: its failure alone is no reason to download an offer file)."""
        known = self.request.known.get(region)
        if known is None:
            return False
        if not self.kinds:
            return known.savings_plans is None
        if self.index is None:
            return True
        held = self._held(region)
        if held is None or self.index.urls is None:
            return held is not None
        return held == self._stamp(self.index.urls.get(region))

    def index_validators(self, index: RegionVersion | None) -> RegionVersion | None:
        """The region index's validators with the Savings Plans index's beside them."""
        paired = self.index.validators if self.index is not None else None
        return replace(index, savings_plans=paired) if index is not None else None

    def add(self, fetched: RegionFetch) -> RegionFetch:
        """A region's fresh records with its wanted Savings Plans kinds, and the version of the
        rates file beside the offer's."""
        if not self.kinds or fetched.records is None or self.index is None:
            return fetched
        if self.index.urls is None:  # unchanged (304), yet this region's offer changed: its URL is needed
            self._load_index(None)
            if self.index is None or self.index.urls is None:
                return fetched
        region = fetched.region
        url = self.index.urls.get(region)
        if url is None:
            log.info("%s: no Savings Plans rates listed", region)
            return replace(fetched, version=replace(fetched.version, savings_plans=self._stamp(None)))
        try:
            records, read = self.files.region(region, url, fetched.records, self.kinds, self.request.cancel)
        except SourceError as exc:
            self._warn(f"{region}: Savings Plans rates not added (on-demand prices kept): {exc}")
            return fetched
        version = replace(fetched.version, savings_plans=self._stamp(url))
        return replace(fetched, records=records, version=version, downloaded_bytes=fetched.downloaded_bytes + read)
