"""Azure Retail Prices API (public, no credentials): pay-as-you-go Virtual Machines prices.

One query per wanted region (`$filter` on service, price type and `armRegionName`; with
`--all-regions` one query without the region clause), following `NextPageLink` to the end.
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
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from ..errors import SourceError
from ..formats import skipped_summary
from ..http import HttpSettings, make_client, redact_url, response_shape
from ..models import JsonObject, Key, PriceRecord, as_object, decimal_price, is_currency, is_instance_type, is_region
from .base import FetchRequest, FetchResult, RegionFetch, RegionVersion
from .paging import iter_pages
from .specs import Spec, bundled_specs

log = logging.getLogger("pricesync.azure")

CURRENCY = "USD"
_SERIES_RE = re.compile(r"^Virtual Machines (\S+) Series\b")


def vm_filter(region: str | None) -> str:
    clause = "serviceName eq 'Virtual Machines' and priceType eq 'Consumption'"
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


def select_item(item: object, region: str | None) -> tuple[PriceRecord | None, str]:
    """The catalog record of one price item, or None and why it is not the catalog price.

    The catalog price is the pay-as-you-go ("Consumption") hourly price; Spot and Low
    Priority meters are Consumption too, told apart only by their names. Windows vs Linux
    comes from the product name ("Virtual Machines Dsv5 Series Windows").
    """
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
    if price_type != "Consumption":
        kind = price_type if isinstance(price_type, str) else ""
        return None, {"DevTestConsumption": "devtest", "Reservation": "reservation"}.get(kind, "other_price_type")
    names = f"{item.get('skuName') or ''} {item.get('meterName') or ''}"
    if "Spot" in names:
        return None, "spot"
    if "Low Priority" in names:
        return None, "low_priority"
    if item.get("unitOfMeasure") != "1 Hour":
        return None, "not_hourly"
    if item.get("tierMinimumUnits") not in (None, 0):
        return None, "tiered"
    sku = item.get("armSkuName")
    if not isinstance(sku, str) or not sku:
        return None, "no_sku"
    if not is_instance_type(sku):
        return None, "bad_identifier"
    price, problem = exact_price(item.get("retailPrice"))
    if price is None:
        return None, problem
    if not is_currency(item.get("currencyCode")):
        return None, "bad_currency"
    currency = item["currencyCode"]
    product = item.get("productName")
    product = product if isinstance(product, str) else ""
    spec = bundled_specs("azure").get(sku.lower())
    if spec is None:  # a size the bundled catalog does not know: its family from the product name only
        series = _SERIES_RE.match(product)
        family = series.group(1) if series and is_instance_type(series.group(1)) else None
        spec = Spec(sku, family, None, None, None, None)
    return PriceRecord(
        instance_type=spec.instance_type,
        region=item_region,
        os="windows" if "Windows" in product.split() else "linux",
        price_per_hour=price,
        currency=currency,
        family=spec.family,
        vcpu=spec.vcpu,
        memory_gib=spec.memory_gib,
        gpu=spec.gpu,
        arch=spec.arch,
    ), ""


def _rank(item: JsonObject) -> tuple[bool, str]:
    """Between two items for one size and OS: the primary meter region, then the newest."""
    return item.get("isPrimaryMeterRegion") is True, str(item.get("effectiveStartDate") or "")


class _Picked:
    """The selected record per key of one query, and what was skipped, per region."""

    def __init__(self) -> None:
        self.best: dict[Key, tuple[tuple[bool, str], PriceRecord]] = {}  # key -> (rank, record)
        self.skipped: dict[str, Counter[str]] = {}
        self.items = 0

    def add(self, item: object, region: str | None) -> None:
        self.items += 1
        rec, reason = select_item(item, region)
        fields = as_object(item)  # not an object: select_item gave no record (and said why)
        named = fields.get("armRegionName")
        bucket = region or (named if is_region(named) else "?")
        skipped = self.skipped.setdefault(bucket, Counter())
        if rec is None:
            skipped[reason] += 1
            return
        rank = _rank(fields)
        held = self.best.get(rec.key)
        if held is not None:
            skipped["duplicate"] += 1
            if held[0] >= rank:
                return
        self.best[rec.key] = (rank, rec)

    def by_region(self) -> dict[str, list[PriceRecord]]:
        out: dict[str, list[PriceRecord]] = {}
        for _, rec in self.best.values():
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
        picked = _Picked()
        params = {"currencyCode": f"'{CURRENCY}'", "$filter": vm_filter(region)}
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
