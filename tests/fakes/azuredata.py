"""Builders for Azure Retail Prices API fixtures in the real shape (see ../shared/realdata).

A page is `{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items", "NextPageLink",
"Count"}`; prices are JSON numbers (written here from Decimal, digit for digit). The real API's
NextPageLink is absolute and names the public host with an explicit port, e.g.
`https://prices.azure.com:443/api/retail/prices?...&$skip=1000`: `serve_azure` does the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

from pricesync.core.providers.azure import vm_filter

from tests.fakes.priceserver import PriceServer, Route

PATH = "/api/retail/prices"
UPSTREAM = "https://prices.azure.com:443"
_NUM = re.compile(r'"@num:([0-9.eE+-]+)"')


def dump(obj: object) -> bytes:
    """JSON with every Decimal written as a bare number, exactly as given."""
    return _NUM.sub(r"\1", json.dumps(obj, indent=4, default=lambda d: f"@num:{d}")).encode()


def item(
    sku: str,
    region: str,
    price: str,
    *,
    series: str = "Dsv5",
    windows: bool = False,
    suffix: str = "",
    price_type: str = "Consumption",
    primary: bool = True,
    unit: str = "1 Hour",
    service: str = "Virtual Machines",
    currency: str = "USD",
    **extra,
) -> dict:
    """One price item; `suffix` " Spot" / " Low Priority" names the meter as the real API does."""
    size = sku.removeprefix("Standard_").replace("_", " ")
    obj = {
        "currencyCode": currency,
        "tierMinimumUnits": Decimal("0.0"),
        "retailPrice": Decimal(price),
        "unitPrice": Decimal(price),
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2024-03-01T00:00:00Z",
        "meterId": hashlib.md5(repr((sku, region, price, suffix, windows, price_type)).encode()).hexdigest(),
        "meterName": f"{size}{suffix}",
        "productId": "DZH318Z0BQ4C",
        "skuId": "DZH318Z0BQ4C/041J",
        "productName": f"Virtual Machines {series} Series" + (" Windows" if windows else ""),
        "skuName": f"{size}{suffix}",
        "serviceName": service,
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": unit,
        "type": price_type,
        "isPrimaryMeterRegion": primary,
        "armSkuName": sku,
    }
    obj.update(extra)
    return obj


def traps(sku: str, region: str, price: str, series: str = "Dsv5") -> list[dict]:
    """The items around one Linux pay-as-you-go price that must not become the catalog price."""
    p = Decimal(price)
    return [
        item(sku, region, str(p * Decimal("0.2")), series=series, suffix=" Spot"),
        item(sku, region, str(p * Decimal("0.2")), series=series, suffix=" Spot", windows=True),
        item(sku, region, str(p * Decimal("0.3")), series=series, suffix=" Low Priority"),
        item(sku, region, str(p * Decimal("0.9")), series=series, windows=True, price_type="DevTestConsumption"),
        # a reservation's retailPrice is the total for the term, though the unit says "1 Hour"
        item(
            sku,
            region,
            str(p * 8760 * Decimal("0.6")),
            series=series,
            price_type="Reservation",
            reservationTerm="1 Year",
        ),
        # the same meter billed from another region: not the primary meter region
        item(sku, region, str(p * 2), series=series, primary=False),
        item(sku, region, "0", series=series, suffix=" Free Trial"),
    ]


def storage_item(region: str) -> dict:
    return item(
        "",
        region,
        "262.14",
        series="",
        unit="1/Month",
        service="Storage",
        meterName="S60 LRS Disk",
        productName="Standard HDD Managed Disks",
        skuName="S60 LRS",
        serviceFamily="Storage",
    )


def page(items: list[dict], next_link: str | None) -> dict:
    return {
        "BillingCurrency": "USD",
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": items,
        "NextPageLink": next_link,
        "Count": len(items),
    }


def next_link(region: str | None, skip: int) -> str:
    query = f"currencyCode='USD'&$filter={quote(vm_filter(region))}&$skip={skip}"
    return f"{UPSTREAM}{PATH}?{query}"


def serve_azure(
    server: PriceServer, items: dict[str, list[dict]], *, page_size: int = 4
) -> dict[tuple[str, int], Route]:
    """Serve `{region: items}` at PATH in pages of `page_size`, selected by the `$filter`'s
    armRegionName (every item when the filter names none) and `$skip`. Returns the Route of
    each (region or "*", page number) so a test can script faults on one page."""
    routes: dict[tuple[str, int], Route] = {}
    listings = dict(items) | {"*": [i for region_items in items.values() for i in region_items]}
    for region, region_items in listings.items():
        chunks = [region_items[i : i + page_size] for i in range(0, len(region_items), page_size)] or [[]]
        for n, chunk in enumerate(chunks):
            more = n + 1 < len(chunks)
            link = next_link(None if region == "*" else region, (n + 1) * page_size) if more else None
            routes[(region, n)] = Route(dump(page(chunk, link)))

    def respond(path: str, headers: dict, body: bytes) -> Route | None:
        query = parse_qs(urlsplit(path).query)
        m = re.search(r"armRegionName eq '([^']*)'", query.get("$filter", [""])[0])
        skip = int(query.get("$skip", ["0"])[0])
        return routes.get((m.group(1) if m else "*", skip // page_size)) or (
            Route(dump(page([], None))) if skip == 0 else None
        )

    server.responders[PATH] = respond
    return routes


def savings_plan(one_year: str, three_years: str) -> list[dict]:
    """A Consumption item's `savingsPlan` array (api-version 2023-01-01-preview): hourly rates."""
    return [
        {"unitPrice": Decimal(three_years), "retailPrice": Decimal(three_years), "term": "3 Years"},
        {"unitPrice": Decimal(one_year), "retailPrice": Decimal(one_year), "term": "1 Year"},
    ]


def reservation(sku: str, region: str, total: str, term: str, *, series: str = "Dsv5", **extra) -> dict:
    """A Reservation item: `retailPrice` is the total for the term, though the unit says "1 Hour"."""
    return item(sku, region, total, series=series, price_type="Reservation", reservationTerm=term, **extra)
