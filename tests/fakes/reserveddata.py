"""Reserved Instance terms of one EC2 SKU in the real shape (see ../shared/realdata/formats, a_*):
`terms.Reserved[sku][sku.offerTermCode]` with `termAttributes` (LeaseContractLength,
OfferingClass, PurchaseOption), an `Hrs` dimension (`0.0000000000` for All Upfront) and, for
Partial and All Upfront, a `Quantity` "Upfront Fee" in whole dollars, as AWS writes them."""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_EVEN, Decimal

# the fraction of on-demand a term's hourly-equivalent costs: (term, class) -> factor
FACTORS = {
    ("1yr", "standard"): "0.62",
    ("1yr", "convertible"): "0.72",
    ("3yr", "standard"): "0.40",
    ("3yr", "convertible"): "0.50",
}
OPTIONS = ("No Upfront", "Partial Upfront", "All Upfront")
TEN_PLACES = Decimal("1E-10")


def kind(term: str, cls: str, option: str) -> str:
    return f"reserved-{term}-{cls}-{option.split()[0].lower()}-upfront"


def prices(on_demand: str) -> dict[str, tuple[str, str]]:
    """kind -> (hourly, upfront) as the fixture's terms write them for this on-demand price."""
    out = {}
    for (term, cls), option in itertools.product(FACTORS, OPTIONS):
        base = Decimal(on_demand) * Decimal(FACTORS[term, cls])
        hours = 8760 * int(term[0])
        if option == "No Upfront":
            hourly, upfront = base, None
        elif option == "Partial Upfront":
            hourly, upfront = base / 2, (base / 2 * hours * Decimal("0.98")).to_integral_value(ROUND_HALF_EVEN)
        else:
            hourly, upfront = Decimal(0), (base * hours * Decimal("0.96")).to_integral_value(ROUND_HALF_EVEN)
        out[kind(term, cls, option)] = (f"{hourly.quantize(TEN_PLACES):f}", "0" if upfront is None else f"{upfront:f}")
    return out


def _dimension(code: str, rate: str, unit: str, price: str, currency: str, description: str) -> dict:
    dim = {"rateCode": f"{code}.{rate}", "description": description, "unit": unit, "pricePerUnit": {currency: price}}
    if unit == "Hrs":
        dim |= {"beginRange": "0", "endRange": "Inf"}
    return dim | {"appliesTo": []}


def terms(sku: str, on_demand: str, currency: str = "USD") -> dict:
    """The SKU's twelve Reserved terms (1yr/3yr x standard/convertible x No/Partial/All Upfront)."""
    out = {}
    for n, ((term, cls), option) in enumerate(itertools.product(FACTORS, OPTIONS)):
        hourly, upfront = prices(on_demand)[kind(term, cls, option)]
        code = f"{sku}.RSV{n:07d}"
        dims = {f"{code}.6YS6EN2CT7": _dimension(code, "6YS6EN2CT7", "Hrs", hourly, currency, "reserved instance hour")}
        if option != "No Upfront":
            dims[f"{code}.2TG2D8R56U"] = _dimension(code, "2TG2D8R56U", "Quantity", upfront, currency, "Upfront Fee")
        out[code] = {
            "offerTermCode": f"RSV{n:07d}",
            "sku": sku,
            "effectiveDate": "2025-11-01T00:00:00Z",
            "priceDimensions": dims,
            "termAttributes": {"LeaseContractLength": term, "OfferingClass": cls, "PurchaseOption": option},
        }
    return out
