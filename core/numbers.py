"""How pricesync writes a number, for people and for machines: one definition for the dashboard,
every CLI table, the confirm dialog and every export. A leaf module.

For people: a price ($/hour) has at least four decimals, a monthly cost at least two, both with
thousands separators; a column of them has as many decimals as its most precise value needs
(`column_decimals`), so the points line up and no digit is ever rounded away. A change is a
percentage with one decimal and a sign. A count has thousands separators.

For machines (CSV, JSON): the exact decimal string, no exponent, no trailing zeros, no
separators (`exact_decimal`). The catalog's CSV columns and their encoding are `CSV_COLUMNS` and
`csv_fields`, the same whichever client writes the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import sub

from .specs import NUMBER_SPECS, SPEC_NAMES

HOUR_DECIMALS = 4  # $/hour shows at least this many decimals
MONTH_DECIMALS = 2  # $/month
PCT_DECIMALS = 1  # a change in %
NO_PRICE = "-"


def exact_decimal(value: Decimal | str) -> str:
    """The exact decimal string a machine reads: '0.096', '70.08', '100' (never '1E+2' or '0.0960')."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def decimals_needed(value: Decimal | str) -> int:
    """How many decimals `value` has once trailing zeros are dropped."""
    text = str(value)
    if "E" in text or "e" in text:  # '1E-7', '7E+2': Decimal spells it out
        text = exact_decimal(value)
    _, _, frac = text.partition(".")
    return len(frac.rstrip("0"))


def column_decimals(values: Iterable[Decimal | str | None], at_least: int) -> int:
    """The decimals a column of these values is shown with: enough for the most precise one."""
    return max(at_least, max((decimals_needed(v) for v in values if v is not None), default=0))


def monthly_decimals(hour_decimals: int) -> int:
    """The decimals a monthly cost (x 730) needs when the price needs `hour_decimals`: one
    fewer, exactly (730 = 73 x 10, and 73 times a last digit 1-9 never ends in 0), so a column
    of monthly costs is sized without computing each one."""
    return max(hour_decimals - 1, 0)


def price_column(prices: Sequence[str]) -> tuple[int, int]:
    """(the decimals, the widest whole part's digits) of a column of price strings as the
    catalog holds them (plain decimals, no exponent): string operations mapped over the column
    in C, no arithmetic, so a column of 300,000 prices is sized at once."""
    points = list(map(str.find, prices, repeat(".")))
    if min(points, default=0) < 0:  # a whole number ('10'): its point is after its digits
        points = [len(p) if i < 0 else i for p, i in zip(prices, points, strict=True)]
    significant = map(len, map(str.rstrip, prices, repeat("0")))  # '0.0960' -> '0.096': 5
    needed = max(map(sub, significant, points), default=1) - 1
    return max(needed, 0), max(points, default=0)


def money_width(whole_digits: int, decimals: int) -> int:
    """The width of `money` for a value of `whole_digits` digits before the point."""
    digits = max(whole_digits, 1)
    return digits + (digits - 1) // 3 + (decimals + 1 if decimals else 0)


def money(value: Decimal | str, decimals: int) -> str:
    """An amount with thousands separators and exactly `decimals` decimals ('1,234.5600'). Give
    `decimals` from `column_decimals` and nothing is rounded away."""
    return f"{Decimal(value):,.{decimals}f}"


def hourly_text(value: Decimal | str | None, decimals: int = HOUR_DECIMALS) -> str:
    """A $/hour price for people; '-' for none."""
    if value is None:
        return NO_PRICE
    return money(value, max(decimals, decimals_needed(value)))


def monthly_text(value: Decimal | str | None, decimals: int = MONTH_DECIMALS) -> str:
    """A monthly cost (already x 730) for people; '-' for none."""
    if value is None:
        return NO_PRICE
    return money(value, max(decimals, decimals_needed(value)))


def pct_text(value: float | None, *, sign: bool = True) -> str:
    """A change in percent: '+4.2%', '-9.1%'; a change too small to show is '+<0.1%', never
    '+0.0%'; None (a change from 0) is ''."""
    if value is None:
        return ""
    text = f"{abs(value):.{PCT_DECIMALS}f}"
    if value and float(text) == 0:
        text = f"<{10**-PCT_DECIMALS:.{PCT_DECIMALS}f}"
    if not sign:
        return f"{text}%"
    return f"{'-' if value < 0 else '+'}{text}%"


def count_text(n: int) -> str:
    return f"{n:,}"


# -- the catalog as CSV --------------------------------------------------------------------------

CSV_COLUMNS = (
    "instance_type",
    "family",
    "vcpu",
    "memory_gib",
    "gpu",
    "arch",
    "region",
    "os",
    "price_per_hour",
    "price_per_month",
    "price_synced_at",
    "available",
    "pending",
    "pending_price",
    "pending_change_pct",
    *SPEC_NAMES,  # the richer specs (core.specs), after the columns older files had
)


# An export of a price kind other than on demand (`list --price KIND`, the dashboard's `$`)
# appends these after CSV_COLUMNS: the kind, its hourly part, upfront fee, effective hourly rate
# (kind_price_per_hour: what an hour costs, as price_per_hour is on demand's), that rate x 730
# and the saving against on demand in %; then, when asked for (`--units`, a unit column shown),
# the unit prices of the kind shown; then, for spot, the Spot Advisor's fields.
CSV_KIND_COLUMNS = (
    "price_kind",
    "kind_hourly",
    "kind_upfront",
    "kind_price_per_hour",
    "kind_price_per_month",
    "savings_pct",
)
CSV_UNIT_COLUMNS = ("per_vcpu", "per_gib", "per_gpu")
CSV_SPOT_COLUMNS = ("spot_interruption", "spot_savings_pct", "spot_fetched_at")
_EXACT_COLUMNS = frozenset(
    {"price_per_hour", "price_per_month", "pending_price", *CSV_KIND_COLUMNS[1:], *CSV_UNIT_COLUMNS}
)


def csv_columns(*, kind: bool = False, units: bool = False, spot: bool = False) -> tuple[str, ...]:
    """An export's columns: CSV_COLUMNS, then a kind's, the unit prices', spot's (see above)."""
    return (
        CSV_COLUMNS
        + (CSV_KIND_COLUMNS if kind else ())
        + (CSV_UNIT_COLUMNS if units else ())
        + (CSV_SPOT_COLUMNS if spot else ())
    )


def csv_fields(values: Mapping[str, object], columns: Sequence[str] = CSV_COLUMNS) -> list[object]:
    """One CSV row in `columns`' order from `values` (column -> value; a column not given is
    empty): prices as exact decimals, `available` as true/false, a pending change in % as an
    exact decimal with four decimals at most, `current_generation` as true/false, the specs'
    numbers as exact decimals. The caller neutralises each cell (csv_cell)."""
    out: list[object] = []
    for column in columns:
        value = values.get(column)
        if value is None:
            out.append(None)
        elif column in ("available", "current_generation"):
            out.append("true" if value else "false")
        elif column in NUMBER_SPECS:
            assert isinstance(value, float | int)
            out.append(exact_decimal(repr(value)))
        elif column == "pending_change_pct":
            assert isinstance(value, float | int | Decimal)
            out.append(exact_decimal(f"{value:.4f}"))
        elif column in _EXACT_COLUMNS:
            assert isinstance(value, Decimal | str)
            out.append(exact_decimal(value))
        else:
            out.append(value)
    return out
