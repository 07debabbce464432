"""Builders for GCP Cloud Billing Catalog fixtures in the real shape (see ../shared/realdata).

A listing page is `{"skus": [...], "nextPageToken": "..."}` (the last page's token is "").
Each SKU has `category` (resourceFamily, resourceGroup, usageType), `serviceRegions` and one
`pricingInfo` whose tiered rate is `units` (a string) + `nanos`. Next to each family's
on-demand Core and Ram SKUs, `family_skus` puts the traps of the real catalog: Spot
Preemptible, Custom, Sole Tenancy premium, Commitment and $0 Reserved SKUs.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

from tests.fakes.priceserver import PriceServer, Route

PATH = "/v1/services/6F81-5844-456A/skus"
AMERICAS = ("Americas", ["us-central1", "us-east1", "us-west1"])
BELGIUM = ("Belgium", ["europe-west1"])
# family -> (description prefix of its on-demand SKUs, resourceGroup of its Core / Ram SKUs)
FAMILIES = {
    "c2": ("Compute optimized", ("CPU", "RAM")),
    "c3": ("C3 Instance", ("CPU", "RAM")),
    "e2": ("E2 Instance", ("CPU", "RAM")),
    "n1": ("N1 Predefined Instance", ("N1Standard", "N1Standard")),
    "n2": ("N2 Instance", ("CPU", "RAM")),
    "n2d": ("N2D AMD Instance", ("CPU", "RAM")),
    "n4": ("N4 Instance", ("CPU", "RAM")),
    "t2a": ("T2A Arm Instance", ("CPU", "RAM")),
    "t2d": ("T2D AMD Instance", ("CPU", "RAM")),
}
# Americas on-demand rates in nanos (core per vCPU hour, RAM per GiB hour); n2d and e2 are the real ones
RATES = {
    "c2": (33174000, 4446000),
    "c3": (34806000, 4664000),
    "e2": (21811000, 2923000),
    "n1": (31611000, 4237000),
    "n2": (31611000, 4237000),
    "n2d": (27502000, 3686000),
    "n4": (30120000, 4036000),
    "t2a": (30800000, 3850000),
    "t2d": (27502000, 3686000),
}


def sku(
    description: str,
    group: str,
    usage: str,
    location: tuple[str, list[str]],
    nanos: int,
    *,
    units: str = "0",
    unit: str = "h",
    currency: str = "USD",
    tiers: list[tuple[str, int]] | None = None,
) -> dict:
    name, regions = location
    sku_id = hashlib.md5(f"{description}|{name}|{usage}".encode()).hexdigest().upper()
    sku_id = f"{sku_id[:4]}-{sku_id[4:8]}-{sku_id[8:12]}"
    ram = unit == "GiBy.h"
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id}",
        "skuId": sku_id,
        # a commitment's description names its region group itself ("... in Americas for 1 Year")
        "description": description
        if "running in" in description or description.startswith("Commitment")
        else f"{description} running in {name}",
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": group,
            "usageType": usage,
        },
        "serviceRegions": list(regions),
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {"startUsageAmount": start, "unitPrice": {"currencyCode": currency, "units": u, "nanos": n}}
                        for start, (u, n) in enumerate(tiers or [(units, nanos)])
                    ],
                    "usageUnitDescription": "gibibyte hour" if ram else "hour",
                    "baseUnit": "By.s" if ram else "s",
                    "baseUnitDescription": "byte second" if ram else "second",
                    "baseUnitConversionFactor": 3865470566400 if ram else 3600,
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2025-11-01T10:52:50.681Z",
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "MULTI_REGIONAL" if len(regions) > 1 else "REGIONAL", "regions": list(regions)},
    }


def family_skus(
    family: str, location: tuple[str, list[str]], core: int, ram: int, *, traps_first: bool = False
) -> list[dict]:
    """The on-demand Core and Ram SKUs of a family in a location, with the trap SKUs around them."""
    prefix, (core_group, ram_group) = FAMILIES[family]
    short = prefix.removesuffix(" Instance")
    real = [
        sku(f"{prefix} Core", core_group, "OnDemand", location, core),
        sku(f"{prefix} Ram", ram_group, "OnDemand", location, ram, unit="GiBy.h"),
    ]
    traps = [
        sku(f"Spot Preemptible {prefix} Core", core_group, "Preemptible", location, core // 3),
        sku(f"Spot Preemptible {prefix} Ram", ram_group, "Preemptible", location, ram // 3, unit="GiBy.h"),
        sku(f"{short} Custom Instance Core", core_group, "OnDemand", location, core + core // 20),
        sku(f"{short} Custom Instance Ram", ram_group, "OnDemand", location, ram + ram // 20, unit="GiBy.h"),
        sku(
            f"Sole Tenancy Premium for {short} Sole Tenancy Instance Core", core_group, "OnDemand", location, core // 10
        ),
        sku(
            f"Commitment v1: {short} Cpu in {location[0]} for 1 Year", core_group, "Commit1Yr", location, core * 6 // 10
        ),
        sku(f"Reserved {short} Core in {location[0]}", core_group, "OnDemand", location, 0),
        sku(f"Reserved {short} Ram in {location[0]}", ram_group, "OnDemand", location, 0, unit="GiBy.h"),
    ]
    return traps + real if traps_first else real + traps


def shared_core_skus(location: tuple[str, list[str]]) -> list[dict]:
    return [
        sku("Micro Instance with burstable CPU", "F1Micro", "OnDemand", location, 7600000),
        sku("Spot Preemptible Micro Instance with burstable CPU", "F1Micro", "Preemptible", location, 3500000),
        sku("Small Instance with 1 VCPU", "G1Small", "OnDemand", location, 25700000),
    ]


def other_skus(location: tuple[str, list[str]]) -> list[dict]:
    """SKUs of the same service that are no machine rate: a GPU, a tiered disk, a licence."""
    gpu = sku("Nvidia Tesla A100 GPU", "GPU", "OnDemand", location, 933908000, units="2")
    disk = sku(
        "Storage PD Capacity", "PDStandard", "OnDemand", location, 0, unit="GiBy.mo", tiers=[("0", 0), ("0", 40000000)]
    )
    disk["category"]["resourceFamily"] = "Storage"
    memopt = sku("Memory-optimized Instance Core", "CPU", "OnDemand", location, 34800000)
    return [gpu, disk, memopt]


def catalog_skus(*locations: tuple[str, list[str]], scale: dict[str, float] | None = None) -> list[dict]:
    """Every family of the bundled catalog in each location (rates scaled per location name)."""
    out: list[dict] = []
    for loc in locations:
        factor = (scale or {}).get(loc[0], 1.0)
        for i, (family, (core, ram)) in enumerate(RATES.items()):
            out += family_skus(family, loc, int(core * factor), int(ram * factor), traps_first=i % 2 == 1)
        out += shared_core_skus(loc) + other_skus(loc)
    return out


def serve_gcp(server: PriceServer, skus: list[dict], *, key: str, page_size: int = 10) -> list[Route]:
    """Serve `skus` at PATH in pages chained by `nextPageToken`; a request without the API key
    in `X-Goog-Api-Key` gets the real API's 403. Returns each page's Route (for faults)."""
    chunks = [skus[i : i + page_size] for i in range(0, len(skus), page_size)] or [[]]
    routes = [
        Route(
            json.dumps(
                {"skus": chunk, "nextPageToken": f"tok{n + 1}" if n + 1 < len(chunks) else ""}, indent=2
            ).encode()
        )
        for n, chunk in enumerate(chunks)
    ]
    denied = Route(
        json.dumps(
            {
                "error": {
                    "code": 403,
                    "message": "The request is missing a valid API key.",
                    "status": "PERMISSION_DENIED",
                }
            }
        ).encode(),
        status=403,
    )

    def respond(path: str, headers: dict, body: bytes) -> Route | None:
        if {k.lower(): v for k, v in headers.items()}.get("x-goog-api-key") != key:
            return denied
        token = parse_qs(urlsplit(path).query).get("pageToken", ["tok0"])[0]
        n = int(token.removeprefix("tok")) if token.startswith("tok") else -1
        return routes[n] if 0 <= n < len(routes) else None

    server.responders[PATH] = respond
    return routes


RAM_UNIT = "GiBy.h"


def commitment_skus(family: str, location: tuple[str, list[str]], core: int, ram: int) -> list[dict]:
    """The resource-based committed use SKUs `family_skus` leaves out (its traps hold the 1-year
    Cpu one at 0.6 x core): the 1-year Ram at 0.6 x, the 3-year Cpu and Ram at 0.45 x; N1 in
    the real catalog's words, without a series ("Commitment v1: Cpu in Americas for 1 Year").
    And a spend-based commitment, which is no machine rate."""
    prefix, (core_group, ram_group) = FAMILIES[family]
    short = "" if family == "n1" else prefix.removesuffix(" Instance") + " "
    where = location[0]
    return [
        sku(
            f"Commitment v1: {short}Ram in {where} for 1 Year",
            ram_group,
            "Commit1Yr",
            location,
            ram * 6 // 10,
            unit=RAM_UNIT,
        ),
        sku(f"Commitment v1: {short}Cpu in {where} for 3 Year", core_group, "Commit3Yr", location, core * 45 // 100),
        sku(
            f"Commitment v1: {short}Ram in {where} for 3 Year",
            ram_group,
            "Commit3Yr",
            location,
            ram * 45 // 100,
            unit=RAM_UNIT,
        ),
    ]


def spend_based_sku(location: tuple[str, list[str]]) -> dict:
    return sku("Commitment - dollar based v1: GCE for 1 year", "CPU", "Commit1Yr", location, 1000000)
