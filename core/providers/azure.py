"""Azure Retail Prices API (public, no credentials): Virtual Machines prices, pay-as-you-go
and, where wanted, spot, reservations and savings plans.

One query per wanted region (`$filter` on service, price type and `armRegionName`; with
`--all-regions` one query without the region clause), following `NextPageLink` to the end.
The other kinds come from the same listing (api-version 2023-01-01-preview, the one that
returns `savingsPlan`), joined to the pay-as-you-go price of the same size, region and OS:

* `spot`: a Consumption item whose `skuName` ends in " Spot" (Low Priority is not spot;
  DevTestConsumption duplicates are not prices for this catalog);
* `reserved-1yr|3yr-standard-all-upfront`: a Reservation item (`reservationTerm` "1 Year" /
  "3 Years"), whose `retailPrice` is the TOTAL for the term although its unit says "1 Hour":
  upfront = that total, hourly = 0. Azure bills a reservation up front or monthly at the same
  total; the up-front form is the one the API's price is;
* `savings-plan-compute-1yr|3yr-no-upfront`: the `savingsPlan` array of a Consumption item,
  whose rates are already hourly.

Windows (a product name ending in "Windows") stays its own os for every kind.
Pages are always fetched from the configured endpoint: a `NextPageLink` contributes only its
query string (the `$skip`), so a mirror or a test server that passes on the upstream's absolute
links still serves every page, and paging never leaves the configured host.

The API has no vCPU or memory: specs come from the bundled Azure catalog; a size it does not
know is added with those specs unknown (None), never guessed.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import SourceError
from ..formats import skipped_summary
from ..http import HttpSettings, make_client, redact_url, response_shape
from ..kinds import SPOT
from ..models import (
    MAX_PRICE_DECIMALS,
    MAX_UPFRONT_INTEGER_DIGITS,
    JsonObject,
    Key,
    KindPrice,
    PriceRecord,
    as_object,
    decimal_price,
    is_currency,
    is_instance_type,
    is_region,
    upfront_problem,
)
from .base import FetchRequest, FetchResult, RegionFetch, RegionVersion
from .paging import iter_pages
from .specs import Spec, bundled_specs, named_specs

log = logging.getLogger("pricesync.azure")

CURRENCY = "USD"
API_VERSION = "2023-01-01-preview"  # the first that returns savingsPlan arrays
_SERIES_RE = re.compile(r"^Virtual Machines (\S+) Series\b")
TERMS = {"1 Year": "1yr", "3 Years": "3yr"}  # reservationTerm / savingsPlan term -> kind term


def reserved_kind(term: object) -> str | None:
    return f"reserved-{TERMS[term]}-standard-all-upfront" if isinstance(term, str) and term in TERMS else None


def savings_plan_kind(term: object) -> str | None:
    return f"savings-plan-compute-{TERMS[term]}-no-upfront" if isinstance(term, str) and term in TERMS else None


def vm_filter(region: str | None, reservations: bool = False) -> str:
    """The query's `$filter`; Reservation items only when a reserved kind is wanted."""
    types = (
        "(priceType eq 'Consumption' or priceType eq 'Reservation')" if reservations else "priceType eq 'Consumption'"
    )
    clause = f"serviceName eq 'Virtual Machines' and {types}"
    return clause if region is None else f"{clause} and armRegionName eq '{region}'"


def page_url(endpoint: str, next_link: str) -> str:
    """The next page: the configured endpoint with the query of `NextPageLink`."""
    return urlunsplit(urlsplit(endpoint)._replace(query=urlsplit(next_link).query, fragment=""))


def exact_price(value: object) -> tuple[str | None, str]:
    """A JSON number parsed as Decimal (or int) -> (plain decimal string, "") within the price
    limits of core.models, or (None, why not): `1e400` is an absurd price, not 401 digits."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return None, "bad_price"
    return decimal_price(Decimal(value))


@dataclass(frozen=True, slots=True)
class Selected:
    """One price item that counts: the pay-as-you-go `record` (with its savings plans), or the
    price of another kind for the record of `key`."""

    key: Key
    record: PriceRecord | None = None
    kind: str = ""
    price: KindPrice | None = None


def select_item(item: object, region: str | None, kinds: frozenset[str] = frozenset()) -> tuple[Selected | None, str]:
    """What one price item gives the catalog (its pay-as-you-go price, or the price of a
    wanted kind), or None and why it gives nothing."""
    if not isinstance(item, dict):
        return None, "bad_item"
    if item.get("serviceName") != "Virtual Machines":
        return None, "other_service"
    item_region = item.get("armRegionName")
    if not item_region or (region is not None and item_region != region):
        return None, "other_region"
    if not is_region(item_region):
        return None, "bad_identifier"
    price_type = item.get("type")
    names = f"{item.get('skuName') or ''} {item.get('meterName') or ''}"
    kind = ""
    if price_type == "Reservation":
        kind = reserved_kind(item.get("reservationTerm")) or ""
        if not kind:
            return None, "other_term"
    elif price_type != "Consumption":
        return None, "devtest" if price_type == "DevTestConsumption" else "other_price_type"
    elif "Low Priority" in names:
        return None, "low_priority"
    elif str(item.get("skuName") or "").endswith(" Spot") or "Spot" in names:
        kind = SPOT
    if kind and kind not in kinds:
        return None, {SPOT: "spot"}.get(kind, "reservation")
    if item.get("unitOfMeasure") != "1 Hour":
        return None, "not_hourly"
    if item.get("tierMinimumUnits") not in (None, 0):
        return None, "tiered"
    sku = item.get("armSkuName")
    if not isinstance(sku, str) or not sku:
        return None, "no_sku"
    if not is_instance_type(sku):
        return None, "bad_identifier"
    if not is_currency(item.get("currencyCode")):
        return None, "bad_currency"
    product = item.get("productName")
    product = product if isinstance(product, str) else ""
    spec = _spec(sku, product)
    key = (spec.instance_type, item_region, "windows" if "Windows" in product.split() else "linux")
    if kind and kind != SPOT:  # a reservation: the term's total, paid up front
        return _reservation(item.get("retailPrice"), key, kind)
    price, problem = exact_price(item.get("retailPrice"))
    if price is None:
        return None, problem
    if kind == SPOT:
        return Selected(key, kind=SPOT, price=KindPrice.of(SPOT, price)), ""
    return Selected(
        key,
        record=PriceRecord(
            instance_type=spec.instance_type,
            region=item_region,
            os=key[2],
            price_per_hour=price,
            currency=item["currencyCode"],
            family=spec.family,
            vcpu=spec.vcpu,
            memory_gib=spec.memory_gib,
            gpu=spec.gpu,
            arch=spec.arch,
            prices=savings_plans(item.get("savingsPlan"), kinds),
            specs=spec.specs,
        ),
    ), ""


def _spec(sku: str, product: str) -> Spec:
    spec = bundled_specs("azure").get(sku.lower())
    if spec is None:  # a size the bundled catalog does not know: its family from the product name only
        series = _SERIES_RE.match(product)
        family = series.group(1) if series and is_instance_type(series.group(1)) else None
        spec = Spec(sku, family, None, None, None, None, named_specs("azure", sku))
    return spec


def _reservation(total: object, key: Key, kind: str) -> tuple[Selected | None, str]:
    if isinstance(total, bool) or not isinstance(total, (Decimal, int)):
        return None, "bad_price"
    _, digits, exponent = Decimal(total).as_tuple()
    if (
        isinstance(exponent, str)
        or len(digits) + exponent > MAX_UPFRONT_INTEGER_DIGITS
        or -exponent > MAX_PRICE_DECIMALS
    ):
        return None, "absurd_price"
    upfront = format(Decimal(total), "f")
    problem = upfront_problem(upfront) or ("zero_price" if Decimal(upfront) == 0 else "")
    if problem:
        return None, problem
    return Selected(key, kind=kind, price=KindPrice.of(kind, "0", upfront)), ""


def savings_plans(plans: object, kinds: frozenset[str]) -> dict[str, KindPrice]:
    """The wanted savings-plan kinds of a Consumption item's `savingsPlan` array (hourly rates);
    an entry of another shape or term, or a bad rate, is left out."""
    out: dict[str, KindPrice] = {}
    for plan in plans if isinstance(plans, list) else ():
        if not isinstance(plan, dict):
            continue
        kind = savings_plan_kind(plan.get("term"))
        if kind is None or kind not in kinds:
            continue
        price, _ = exact_price(plan.get("retailPrice"))
        if price is not None:
            out[kind] = KindPrice.of(kind, price)
    return out


def _rank(item: JsonObject) -> tuple[bool, str]:
    """Between two items for one size and OS: the primary meter region, then the newest."""
    return item.get("isPrimaryMeterRegion") is True, str(item.get("effectiveStartDate") or "")


Rank = tuple[bool, str]


class _Picked:
    """The selected record per key of one query, the wanted kinds' prices per key, and what
    was skipped, per region."""

    def __init__(self, kinds: frozenset[str]) -> None:
        self.kinds = kinds
        self.best: dict[Key, tuple[Rank, PriceRecord]] = {}  # key -> (rank, record)
        self.other: dict[tuple[Key, str], tuple[Rank, KindPrice]] = {}  # (key, kind) -> (rank, price)
        self.skipped: dict[str, Counter[str]] = {}
        self.items = 0

    def add(self, item: object, region: str | None) -> None:
        self.items += 1
        selected, reason = select_item(item, region, self.kinds)
        fields = as_object(item)  # not an object: select_item gave no record (and said why)
        named = fields.get("armRegionName")
        bucket = region or (named if is_region(named) else "?")
        skipped = self.skipped.setdefault(bucket, Counter())
        if selected is None:
            skipped[reason] += 1
            return
        rank = _rank(fields)
        if selected.record is not None:
            self._keep(self.best, selected.key, rank, selected.record, skipped)
        elif selected.price is not None:
            self._keep(self.other, (selected.key, selected.kind), rank, selected.price, skipped)

    @staticmethod
    def _keep(held: dict[Any, tuple[Rank, Any]], key: object, rank: Rank, value: object, skipped: Counter[str]) -> None:
        """The best ranked of the items for one key (and kind); every other is a duplicate."""
        if key in held:
            skipped["duplicate"] += 1
            if held[key][0] >= rank:
                return
        held[key] = (rank, value)

    def by_region(self) -> dict[str, list[PriceRecord]]:
        """The records with the other kinds joined; a kind's price without a pay-as-you-go
        price for its size, region and OS is left out (counted)."""
        extra: dict[Key, dict[str, KindPrice]] = {}
        for (key, kind), (_, price) in self.other.items():
            if key in self.best:
                extra.setdefault(key, {})[kind] = price
            else:
                self.skipped.setdefault(key[1], Counter())["no_pay_as_you_go_price"] += 1
        out: dict[str, list[PriceRecord]] = {}
        for key, (_, held) in self.best.items():
            rec = replace(held, prices={**held.prices, **extra[key]}) if key in extra else held
            out.setdefault(rec.region, []).append(rec)
        return out


def check() -> str | None:
    """Nothing stops this source from syncing: it is public (no credentials) and its endpoint
    was checked with the config."""
    return None


class AzureProvider:
    name = "azure"
    mode = "api"

    def __init__(self, endpoint: str, http: HttpSettings | None = None) -> None:
        self.endpoint = endpoint
        self._name = redact_url(endpoint)  # for messages and logs
        self.http = http or HttpSettings()
        self.client = make_client(self.http)

    def close(self) -> None:
        self.client.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        result = FetchResult({})
        for region in request.regions if request.regions is not None else [None]:
            picked = self._query(region, request)
            if region is not None and not picked.items:
                raise SourceError(f"the Azure Retail Prices API lists no Virtual Machines prices for region {region!r}")
            found = picked.by_region()
            for r in [region] if region is not None else sorted(found):
                records = sorted(found.get(r, []), key=lambda rec: rec.key)
                skipped = picked.skipped.get(r, Counter())
                unknown = sum(1 for rec in records if rec.vcpu is None)
                log.info(
                    "%s: %d prices selected, %d of sizes without specs in the bundled catalog (skipped: %s)",
                    r,
                    len(records),
                    unknown,
                    skipped_summary(skipped),
                )
                result.regions[r] = RegionFetch(r, RegionVersion(), records, skipped=skipped)
        return result

    def _query(self, region: str | None, request: FetchRequest) -> _Picked:
        label = region or "all regions"
        log.info("%s: querying %s", label, self._name)
        picked = _Picked(request.kinds)
        reservations = any(kind.startswith("reserved-") for kind in request.kinds)
        params = {
            "api-version": API_VERSION,
            "currencyCode": f"'{CURRENCY}'",
            "$filter": vm_filter(region, reservations),
        }
        for n, page in enumerate(
            iter_pages(
                self.client,
                self.http,
                self.endpoint,
                params,
                request,
                next_page=self._next_page,
                label=label,
                count=lambda: len(picked.best),
            ),
            1,
        ):
            items = page.get("Items")
            if not isinstance(items, list):
                raise SourceError(
                    f"{self._name} returned a page that is not an Azure Retail Prices page (no 'Items' list)"
                )
            with response_shape(f"page {n} of {self._name}"):
                for item in items:
                    picked.add(item, region)
        return picked

    def _next_page(self, page: JsonObject) -> tuple[str, None] | None:
        link = page.get("NextPageLink")
        if not link:
            return None
        if not isinstance(link, str):
            raise SourceError(f"{self._name} returned a NextPageLink that is not a URL")
        return page_url(self.endpoint, link), None
