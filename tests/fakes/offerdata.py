"""Builders for AWS price-list fixtures in the real shape (see ../shared/realdata).

Real offer files are pretty-printed with " : " separators, list `products` before `terms`,
carry Reserved terms (most of the bytes) and a top-level `attributesList` after `terms`.
The traps of the real files are reproduced on purpose by `region_offer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal

from pricesync.core.kinds import KINDS, RESERVED

SPECS = {  # instance type -> (vcpu, memory, gpu, physicalProcessor)
    "m5.large": ("2", "8 GiB", None, "Intel Xeon Platinum 8175"),
    "m5.xlarge": ("4", "16 GiB", None, "Intel Xeon Platinum 8175"),
    "c6g.large": ("2", "4 GiB", None, "AWS Graviton2 Processor"),
    "p4d.24xlarge": ("96", "1,152 GiB", "8", "Intel Xeon Platinum 8275L"),
    "t3.micro": ("2", "1 GiB", None, "Intel Skylake E5 2686 v5"),
    "x1e.32xlarge": ("128", "3,904 GiB", None, "High Frequency Intel Xeon E7-8880 v3 (Haswell)"),
    # bare metal, as in the real files: productFamily "Compute Instance (bare metal)"
    "i3en.metal": ("96", "768 GiB", None, "Intel Xeon Platinum 8175"),
    "c7i.metal-24xl": ("96", "192 GiB", None, "Intel Xeon Scalable (Sapphire Rapids)"),
    "m7g.metal": ("64", "256 GiB", None, "AWS Graviton3 Processor"),
}
# instance type -> (clockSpeed, networkPerformance, storage, processorFeatures, currentGeneration),
# in the real files' shapes and with their traps: "Up to", a card count ("4x 100 Gigabit"), the
# word levels that hold no number, "NA", a whole-number clock, instance storage without a type
AVX512 = "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo"
RICH = {
    "m5.large": ("3.1 GHz", "Up to 10 Gigabit", "EBS only", AVX512, "Yes"),
    "m5.xlarge": ("3.1 GHz", "Up to 10 Gigabit", "EBS only", AVX512, "Yes"),
    "c6g.large": ("2.5 GHz", "Up to 10 Gigabit", "EBS only", "", "Yes"),
    "p4d.24xlarge": ("3 GHz", "4x 100 Gigabit", "8 x 1000 SSD", AVX512, "Yes"),
    "t3.micro": ("Up to 3.1 GHz", "Up to 5 Gigabit", "EBS only", "Intel AVX; Intel AVX2; Intel Turbo", "Yes"),
    "x1e.32xlarge": ("2.3 GHz", "High", "2 x 1920 SSD", "Intel AVX; Intel AVX2; Intel Turbo", "No"),
    "i3en.metal": ("3.1 GHz", "100 Gigabit", "8 x 7500 NVMe SSD", AVX512, "Yes"),
    "c7i.metal-24xl": ("3.2 GHz", "37.5 Gigabit", "EBS only", f"{AVX512}; Intel AMX", "Yes"),
    "m7g.metal": ("NA", "30 Gigabit", "EBS only", "", "Yes"),
}  # fmt: skip
PLAIN = ("", "", "EBS only", "", "Yes")  # a type a test adds to SPECS: the attributes older fixtures had
BARE_METAL = "Compute Instance (bare metal)"
OS_OPERATION = {
    "Linux": "RunInstances",
    "Windows": "RunInstances:0002",
    "RHEL": "RunInstances:0010",
    "SUSE": "RunInstances:000g",
}


def product(
    sku: str, itype: str, region: str = "us-east-1", *, os: str = "Linux", drop: Iterable[str] = (), **attrs
) -> dict:
    vcpu, memory, gpu, cpu = SPECS[itype]
    clock, network, storage, features, generation = RICH.get(itype, PLAIN)
    a = {
        "servicecode": "AmazonEC2",
        "location": "US East (N. Virginia)",
        "locationType": "AWS Region",
        "instanceType": itype,
        "currentGeneration": generation,
        "instanceFamily": "General purpose",
        "vcpu": vcpu,
        "physicalProcessor": cpu,
        "memory": memory,
        "storage": storage,
        "processorArchitecture": "64-bit",
        "tenancy": "Shared",
        "operatingSystem": os,
        "licenseModel": "No License required",
        "usagetype": f"BoxUsage:{itype}",
        "operation": OS_OPERATION[os],
        "capacitystatus": "Used",
        "marketoption": "OnDemand",
        "preInstalledSw": "NA",
        "regionCode": region,
        "servicename": "Amazon Elastic Compute Cloud",
    }
    if gpu:
        a["gpu"] = gpu
    for name, value in (("clockSpeed", clock), ("networkPerformance", network), ("processorFeatures", features)):
        if value:
            a[name] = value
    a.update(attrs)
    for k in drop:
        a.pop(k, None)
    family = BARE_METAL if ".metal" in itype else "Compute Instance"
    return {"sku": sku, "productFamily": family, "attributes": a}


def on_demand(sku: str, price: str, currency: str = "USD", unit: str = "Hrs") -> dict:
    code = f"{sku}.JRTCKXETXF"
    return {
        code: {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "effectiveDate": "2025-05-01T00:00:00Z",
            "priceDimensions": {
                f"{code}.6YS6EN2CT7": {
                    "rateCode": f"{code}.6YS6EN2CT7",
                    "description": f"{currency} {price} per On Demand Instance Hour",
                    "beginRange": "0",
                    "endRange": "Inf",
                    "unit": unit,
                    "pricePerUnit": {currency: price},
                    "appliesTo": [],
                }
            },
            "termAttributes": {},
        }
    }


# the real offerTermCodes of the 12 Reserved kinds, in core.kinds.RESERVED order (see realdata's CSV rows)
TERM_CODES = (
    "4NA7Y494T4", "HU7G6KETJZ", "6QCMYABX3D", "7NE97W5U4E", "CUZHX8X6JH", "VJWZNREJX2",
    "BPH4J8HBKS", "38NPMPTW36", "NQ3QZPMQV9", "Z2E3P23VKM", "R5XV2EPZQZ", "MZU6U2429S",
)  # fmt: skip


def reserved_price(kind: str, price: str) -> tuple[str, str]:
    """(hourly, upfront) of a Reserved kind for an on-demand `price`, in the order real files
    have: All <= Partial <= No Upfront, all below on-demand; All Upfront's hourly part 0."""
    k = KINDS[kind]
    no = (
        Decimal(price)
        * (Decimal("0.62") if k.years == 1 else Decimal("0.45"))
        * (Decimal("1.08") if k.plan == "convertible" else 1)
    )
    hours = 8760 * k.years
    if k.upfront == "no":
        return f"{no:.10f}", "0"
    if k.upfront == "partial":
        return f"{no / 2 * Decimal('0.97'):.10f}", str(round(no / 2 * Decimal("0.97") * hours))
    return "0.0000000000", str(round(no * Decimal("0.94") * hours))


def reserved(sku: str, price: str, count: int = 6, currency: str = "USD") -> dict:
    """`count` Reserved terms in the real shape, the kinds of core.kinds.RESERVED in turn (a
    13th term repeats the first kind at the same price): an `Hrs` dimension and, for Partial
    and All Upfront, a `Quantity` "Upfront Fee"."""
    terms = {}
    for i in range(count):
        kind = RESERVED[i % len(RESERVED)]
        k = KINDS[kind]
        hourly, upfront = reserved_price(kind, price)
        code = f"{sku}.{TERM_CODES[i % len(TERM_CODES)]}" + (f"{i}" if i >= len(TERM_CODES) else "")
        dims = {
            f"{code}.6YS6EN2CT7": {
                "rateCode": f"{code}.6YS6EN2CT7",
                "description": "Linux/UNIX (Amazon VPC), reserved instance applied",
                "beginRange": "0",
                "endRange": "Inf",
                "unit": "Hrs",
                "pricePerUnit": {currency: hourly},
                "appliesTo": [],
            }
        }
        if k.upfront != "no":
            dims[f"{code}.2TG2D8R56U"] = {
                "rateCode": f"{code}.2TG2D8R56U",
                "description": "Upfront Fee",
                "unit": "Quantity",
                "pricePerUnit": {currency: upfront},
                "appliesTo": [],
            }
        terms[code] = {
            "offerTermCode": code.split(".", 1)[1],
            "sku": sku,
            "effectiveDate": "2025-05-01T00:00:00Z",
            "priceDimensions": dims,
            "termAttributes": {
                "LeaseContractLength": f"{k.years}yr",
                "OfferingClass": k.plan,
                "PurchaseOption": f"{k.upfront.capitalize()} Upfront",
            },
        }
    return terms


def offer(products: dict, od: dict, ri: dict, version: str = "20251101000000") -> dict:
    return {
        "formatVersion": "v1.0",
        "disclaimer": "This pricing list is for informational purposes only.",
        "offerCode": "AmazonEC2",
        "version": version,
        "publicationDate": "2025-11-01T00:00:00Z",
        "products": products,
        "terms": {"OnDemand": od, "Reserved": ri},
        "attributesList": {"instanceType": {}},
    }


def dump(obj: object) -> bytes:
    """AWS's own formatting: two-space indent and " : " separators."""
    return json.dumps(obj, indent=2, separators=(",", " : ")).encode()


LAYOUTS = {
    "pretty": dump,  # AWS's own: one member a line (the parser's line-cut path)
    "compact": lambda doc: json.dumps(doc, separators=(",", ":")).encode(),  # a mirror's re-encoding (C parsers)
}


def region_offer(
    region: str, prices: dict[tuple[str, str], str], *, currency: str = "USD", version: str = "20251101000000"
) -> dict:
    """A region's offer file with the given catalog prices plus every trap of the real files:
    a $0.00 Capacity Block twin, Dedicated and Host tenancy, an allocated capacity
    reservation at $0, BYOL, SQL pre-installed, a Local Zone product, a storage product,
    Reserved terms, and `attributesList` after `terms`."""
    products: dict = {}
    od: dict = {}
    ri: dict = {}
    n = 0

    def add(p: dict, price: str, *, terms: bool = True) -> None:
        nonlocal n
        sku = f"{region.upper().replace('-', '')}{n:06d}"[-16:].rjust(16, "X")
        n += 1
        p["sku"] = sku
        products[sku] = p
        if terms:
            od[sku] = on_demand(sku, price, currency)
            if len(price) <= 40:  # a hostile price of thousands of digits (parser-bound tests) gets no Reserved terms
                ri[sku] = reserved(sku, price, count=len(RESERVED), currency=currency)

    for (itype, os), price in prices.items():
        add(product("", itype, region, os=os), price)
        if os == "Linux":
            add(
                product("", itype, region, os=os, operation="RunInstances:CB", marketoption="CapacityBlock"),
                "0.0000000000",
            )
            add(
                product("", itype, region, os=os, tenancy="Dedicated", usagetype=f"DedicatedUsage:{itype}"),
                "9.9900000000",
            )
            add(product("", itype, region, os=os, tenancy="Host", usagetype=f"HostUsage:{itype}"), "0.0000000000")
            add(product("", itype, region, os=os, capacitystatus="AllocatedCapacityReservation"), "0.0000000000")
            add(product("", itype, region, os=os, licenseModel="Bring your own license"), "0.0100000000")
            add(
                product("", itype, region, os=os, preInstalledSw="SQL Web", operation="RunInstances:0200"),
                "1.0000000000",
            )
            add(product("", itype, f"{region}-mia-1", os=os, locationType="AWS Local Zone"), "8.8800000000")
    storage = {
        "sku": "",
        "productFamily": "Storage",
        "attributes": {"servicecode": "AmazonEC2", "regionCode": region, "volumeApiName": "gp3"},
    }
    add(storage, "0.0800000000")
    return offer(products, od, ri, version)


def region_index(versions: dict[str, str]) -> dict:
    return {
        "formatVersion": "v1.0",
        "disclaimer": "This pricing list is for informational purposes only.",
        "publicationDate": "2025-11-01T00:00:00Z",
        "regions": {
            r: {"regionCode": r, "currentVersionUrl": f"/offers/v1.0/aws/AmazonEC2/{v}/{r}/index.json"}
            for r, v in versions.items()
        },
    }
