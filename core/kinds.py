"""Price kinds: the ways an instance is bought besides on demand, and the exact amortisation
of a commitment's upfront fee.

An entry's on-demand price stays `price_per_hour`; every other kind it has a price for sits in
its `prices` under one of the fixed names below. A kind the source has no price for is absent,
never zero. The names are part of the catalog format (README, "Catalog format").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal

ON_DEMAND = "on-demand"  # not a key of `prices`: the entry's price_per_hour
SPOT = "spot"
HOURS_PER_YEAR = 8760
EFFECTIVE_PLACES = Decimal("1E-10")  # the sources' own precision ("0.0960000000")

TERMS = {"1yr": 1, "3yr": 3}
UPFRONT = ("no", "partial", "all")  # within one term and plan: effective rates should fall in this order
RESERVED_CLASSES = ("standard", "convertible")
SAVINGS_PLANS = ("compute", "ec2-instance")

Family = Literal["reserved", "savings-plan", "spot"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One price kind, e.g. reserved-3yr-convertible-partial-upfront."""

    name: str
    family: Family
    years: int = 0  # 0: spot
    plan: str = ""  # standard | convertible (reserved), compute | ec2-instance (savings plans)
    upfront: str = ""  # no | partial | all

    @property
    def group(self) -> tuple[str, int, str]:
        """The kinds that differ only in their upfront option: their effective rates are ordered."""
        return (self.family, self.years, self.plan)


def _kinds() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for term, years in TERMS.items():
        for cls in RESERVED_CLASSES:
            for option in UPFRONT:
                name = f"reserved-{term}-{cls}-{option}-upfront"
                kinds[name] = Kind(name, "reserved", years, cls, option)
    for plan in SAVINGS_PLANS:
        for term, years in TERMS.items():
            for option in UPFRONT:
                name = f"savings-plan-{plan}-{term}-{option}-upfront"
                kinds[name] = Kind(name, "savings-plan", years, plan, option)
    kinds[SPOT] = Kind(SPOT, "spot")
    return kinds


KINDS: dict[str, Kind] = _kinds()  # every kind an entry's `prices` may hold, in display order
RESERVED = tuple(name for name, k in KINDS.items() if k.family == "reserved")
SAVINGS_PLAN = tuple(name for name, k in KINDS.items() if k.family == "savings-plan")


def reserved_kind(lease: object, offering_class: object, purchase_option: object) -> str | None:
    """AWS's termAttributes (`1yr`, `standard`, `Partial Upfront`) -> the kind, or None when they
    name no kind pricesync knows."""
    if not (isinstance(lease, str) and isinstance(offering_class, str) and isinstance(purchase_option, str)):
        return None
    option = purchase_option.lower().removesuffix(" upfront")
    name = f"reserved-{lease}-{offering_class.lower()}-{option}-upfront"
    return name if name in KINDS else None


def savings_plan_kind(plan: str, term: object, purchase_option: object) -> str | None:
    """A Savings Plan (`compute` / `ec2-instance`, `1yr`, `No Upfront`) -> the kind, or None."""
    if not (isinstance(term, str) and isinstance(purchase_option, str)):
        return None
    option = purchase_option.lower().removesuffix(" upfront")
    name = f"savings-plan-{plan}-{term}-{option}-upfront"
    return name if name in KINDS else None


def effective_hourly(hourly: str, upfront: str, years: int) -> str:
    """hourly + upfront / (8760 x years), exact, rounded half-even to 10 decimal places: the
    hourly cost of a commitment with its upfront fee spread over the term. `years` 0 (spot):
    the hourly price itself, at the same precision."""
    with localcontext(prec=100):  # the quotient exact far past the 10th decimal: one rounding, half-even
        value = Decimal(hourly)
        if years:
            value += Decimal(upfront) / (HOURS_PER_YEAR * years)
        return f"{value.quantize(EFFECTIVE_PLACES, rounding=ROUND_HALF_EVEN):f}"
