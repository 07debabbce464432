"""Builders for the AWS spot feeds in the real shapes (see ../shared/realdata/formats/c_spot_*).

`spot.json`: `{"vers", "config": {"rate", "valueColumns", "currencies", "regions": [{"region",
"footnotes", "instanceTypes": [{"type", "sizes": [{"size", "valueColumns": [{"name", "prices":
{"USD"}}]}]}]}]}}`, prices as strings ("N/A*" where not offered, exponents such as "9.0E-4").
The advisor: `{"instance_types", "ranges", "global_rate", "spot_advisor": {region: {"Linux" |
"Windows": {type: {"s", "r"}}}}}`, whose range labels do not match their `max`.
"""

from __future__ import annotations

import json

from tests.fakes.priceserver import PriceServer

PRICE_PATH = "/spot/spot.json"
ADVISOR_PATH = "/advisor/spot-advisor-data.json"
RANGES = [
    {"index": 0, "label": "<5%", "dots": 0, "max": 5},
    {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
    {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
    {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
    {"index": 4, "label": ">20%", "dots": 4, "max": 100},
]

# (region, type) -> (linux price, mswin price); None leaves the column out
US_SPOT = {
    ("us-east-1", "m5.large"): ("0.0369", "0.1289"),
    ("us-east-1", "m5.xlarge"): ("0.0740", "N/A*"),  # Windows not offered
    ("us-east-1", "c6g.large"): ("9.0E-4", None),  # an exponent: a price of 0.00090
    ("us-east-1", "p4d.24xlarge"): ("9.8318", None),
}
EU_SPOT = {
    ("eu-west-1", "m5.large"): ("0.0402", None),
    ("eu-west-1", "m5.xlarge"): ("0.0811", None),
    ("eu-west-1", "c6g.large"): ("0.0290", None),
}
# (region, os, type) -> (savings %, range index); eu-west-1's c6g.large is missing: the advisor lags
ADVICE = {
    ("us-east-1", "Linux", "m5.large"): (61, 1),
    ("us-east-1", "Windows", "m5.large"): (30, 0),
    ("us-east-1", "Linux", "m5.xlarge"): (62, 4),
    ("us-east-1", "Linux", "c6g.large"): (70, 2),
    ("us-east-1", "Linux", "p4d.24xlarge"): (70, 3),
    ("eu-west-1", "Linux", "m5.large"): (58, 0),
    ("eu-west-1", "Linux", "m5.xlarge"): (57, 0),
}


def price_feed(prices: dict[tuple[str, str], tuple[str | None, str | None]], *, empty_group: bool = True) -> dict:
    """A spot.json document: one "generalCurrentGen" group per region with its sizes (and an
    empty "generalPreviousGen" group, as the real feed has)."""
    regions: dict[str, list[dict]] = {}
    for (region, itype), columns in prices.items():
        values = [
            {"name": name, "prices": {"USD": price}}
            for name, price in zip(("linux", "mswin"), columns, strict=True)
            if price is not None
        ]
        regions.setdefault(region, []).append({"size": itype, "valueColumns": values})
    empty = [{"type": "generalPreviousGen", "sizes": []}] if empty_group else []
    return {
        "vers": 0.01,
        "config": {
            "rate": "perhr",
            "valueColumns": ["linux", "mswin"],
            "currencies": ["USD"],
            "regions": [
                {
                    "region": region,
                    "footnotes": {"*": "notAvailableForCCorCGPU"},
                    "instanceTypes": [{"type": "generalCurrentGen", "sizes": sizes}, *empty],
                }
                for region, sizes in regions.items()
            ],
        },
    }


def advisor_feed(advice: dict[tuple[str, str, str], tuple[int, int]], *, ranges_first: bool = True) -> dict:
    spot_advisor: dict[str, dict[str, dict[str, dict]]] = {}
    for (region, os_name, itype), (s, r) in advice.items():
        spot_advisor.setdefault(region, {}).setdefault(os_name, {})[itype] = {"s": s, "r": r}
    types = {itype: {"emr": True, "cores": 2, "ram_gb": 8.0} for (_, _, itype) in advice}
    head = {"instance_types": types, "ranges": RANGES} if ranges_first else {"instance_types": types}
    return head | {"global_rate": "<10%", "spot_advisor": spot_advisor} | ({} if ranges_first else {"ranges": RANGES})


def dump(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def serve_spot(
    server: PriceServer,
    prices: dict | None = None,
    advice: dict | None = None,
    *,
    etags: tuple[str, str] | None = ('"spot-1"', '"advisor-1"'),
) -> None:
    """Serve both feeds at PRICE_PATH and ADVISOR_PATH (with ETags: they answer 304)."""
    price_etag, advisor_etag = etags or (None, None)
    server.set(PRICE_PATH, dump(price_feed(prices if prices is not None else US_SPOT | EU_SPOT)), etag=price_etag)
    server.set(ADVISOR_PATH, dump(advisor_feed(advice if advice is not None else ADVICE)), etag=advisor_etag)


def spot_config(url: str) -> str:
    """The [aws] keys that point the spot feeds at the fake server."""
    return f'spot_price_url = "{url}{PRICE_PATH}"\nspot_advisor_url = "{url}{ADVISOR_PATH}"\n'
