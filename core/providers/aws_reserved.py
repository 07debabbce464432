"""Selecting the Reserved Instance prices of one EC2 SKU from its `terms.Reserved`, as a
GetProducts item (and an offer file, under `terms.Reserved[sku]`) carries them.

Each term names its kind in `termAttributes` (LeaseContractLength, OfferingClass,
PurchaseOption: core.kinds.reserved_kind) and prices it in `priceDimensions`: one `Hrs` part
(`0.0000000000` for All Upfront: a real price) and, for Partial and All Upfront, one
`Quantity` part, the "Upfront Fee". The strings are kept as the source wrote them. A term of
another currency than the on-demand price, without its parts, or pricing a kind twice
differently is skipped with a counted reason.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from ..kinds import KINDS, RESERVED, reserved_kind
from ..models import KindPrice, as_object, is_price_string, price_problem, upfront_problem


def _part(dims: list[object], unit: str, currency: str) -> tuple[str | None, str]:
    """The one price of the dimensions in `unit` ("" when there is none), or None and why not:
    `Hrs` within the hourly limits, `Quantity` (a fee) within the upfront ones."""
    found = [as_object(d).get("pricePerUnit") for d in dims if as_object(d).get("unit") == unit]
    if not found:
        return "", ""
    if len(found) > 1:
        return None, "ambiguous_price"
    ppu = as_object(found[0])
    if list(ppu) != [currency]:
        return None, "bad_currency"
    price = ppu[currency]
    problem = upfront_problem(price) if unit == "Quantity" else price_problem(price)
    if problem not in ("", "zero_price") or not isinstance(price, str):
        return None, problem or "bad_price"
    return price, ""


def _term_price(term: object, currency: str) -> tuple[tuple[str, str] | None, str]:
    """(hourly, upfront) of one Reserved term, or None and why not."""
    dims = list(as_object(as_object(term).get("priceDimensions")).values())
    hourly, reason = _part(dims, "Hrs", currency)
    if hourly is None or not hourly:
        return None, reason or "no_hourly_price"
    upfront, reason = _part(dims, "Quantity", currency)
    if upfront is None:
        return None, reason
    return (hourly, upfront or "0"), ""


def reserved_prices(terms: object, currency: str, kinds: frozenset[str]) -> tuple[dict[str, KindPrice], Counter[str]]:
    """A SKU's `terms.Reserved` -> kind -> KindPrice for the wanted kinds (in KINDS order), and
    the counts of terms skipped, by reason."""
    skipped: Counter[str] = Counter()
    if not kinds & frozenset(RESERVED):
        return {}, skipped
    found: dict[str, tuple[str, str] | None] = {}  # None: priced twice, differently
    for term in as_object(terms).values():
        attrs = as_object(as_object(term).get("termAttributes"))
        kind = reserved_kind(attrs.get("LeaseContractLength"), attrs.get("OfferingClass"), attrs.get("PurchaseOption"))
        if kind is None:
            skipped["unknown_term"] += 1
            continue
        if kind not in kinds:
            continue
        price, reason = _term_price(term, currency)
        if price is None:
            skipped[reason] += 1
        elif KINDS[kind].upfront != "no" and Decimal(price[1]) == 0:
            skipped["no_upfront_fee"] += 1
        elif found.setdefault(kind, price) != price:
            found[kind] = None
    for kind in [k for k, p in found.items() if p is None]:
        skipped["ambiguous_price"] += 1
        del found[kind]
    prices = {kind: KindPrice.of(kind, *price) for kind in KINDS if (price := found.get(kind)) is not None}
    for kind in [k for k, p in prices.items() if not is_price_string(p.effective_hourly)]:
        skipped["absurd_price"] += 1
        del prices[kind]
    return prices, skipped
