"""How each table column shows its values, and the columns' widths. No Textual here.

Prices are shown exactly (Decimal, never a float): trailing zeros are trimmed down to four
decimals for $/hour and two for $/month, digits that matter are never rounded away. Text from
the catalog (instance types, families, regions) is neutralised: the table's segments go to the
terminal as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricesync.core import monthly_price, terminal

from .rows import CatalogRows, Pending

UNKNOWN = "?"
NO_PRICE = "-"
MARK = "●"  # after the instance type: the row moved in the last sync that stored changes
MARK_WIDTH = 2  # the mark and a space before it, reserved in the instance type column


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str  # the CatalogRows column (month: derived from price)
    title: str
    right: bool = False


COLUMNS = (
    ColumnSpec("type", "instance type"),
    ColumnSpec("family", "family"),
    ColumnSpec("vcpu", "vCPU", True),
    ColumnSpec("mem", "mem GiB", True),
    ColumnSpec("gpu", "GPU", True),
    ColumnSpec("arch", "arch"),
    ColumnSpec("region", "region"),
    ColumnSpec("os", "OS"),
    ColumnSpec("price", "$/hour", True),
    ColumnSpec("month", "$/month", True),
    ColumnSpec("savings", "savings", True),
    ColumnSpec("per_vcpu", "$/vCPU-h", True),
    ColumnSpec("per_gib", "$/GiB-h", True),
    ColumnSpec("per_gpu", "$/GPU-h", True),
    ColumnSpec("pending", "pending", True),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
COLUMN_TITLES = {c.key: c.title for c in COLUMNS}
UNIT_COLUMNS = ("per_vcpu", "per_gib", "per_gpu")
DEFAULT_COLUMNS = tuple(k for k in COLUMN_KEYS if k not in UNIT_COLUMNS)  # savings shows for a kind only


def shown_columns(keys: tuple[str, ...], kind_shown: bool) -> tuple[ColumnSpec, ...]:
    """The specs of `keys` in that order; savings only when a kind other than on demand is shown."""
    by_key = {c.key: c for c in COLUMNS}
    return tuple(by_key[k] for k in keys if k in by_key and (kind_shown or k != "savings"))


def exact(value: Decimal, min_decimals: int) -> str:
    """`value` in full, without exponent, trailing zeros trimmed to `min_decimals`."""
    text = f"{value:f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(min_decimals, "0")
    return f"{whole}.{frac}" if frac else whole


def exact_text(price: str | None) -> str:
    """A price string at $/hour precision; "-" for none."""
    return NO_PRICE if price is None else exact(Decimal(price), 4)


def pending_text(p: Pending) -> tuple[str, str]:
    """Text and style name (up/down/new/missing) of a pending change."""
    if p.kind == "missing":
        return "missing", "missing"
    price = exact(p.price, 4) if p.price is not None else ""
    if p.kind == "changed":
        if p.pct is None:
            return f"{price} from 0", "up"
        arrow, style = ("▲", "up") if p.pct > 0 else ("▼", "down")
        return f"{price} {arrow}{abs(p.pct):.1f}%", style
    return f"{price} {p.kind}", "new"


def cell(key: str, value) -> tuple[str, str]:
    """Text and style name ("" for plain) of one cell; `value` is the column value."""
    if key == "pending":
        return ("", "") if value is None else pending_text(value)
    if value is None:
        return (NO_PRICE if key in ("price", "month", "savings", *UNIT_COLUMNS) else UNKNOWN), "dim"
    if key == "price" or key in UNIT_COLUMNS:
        return exact(value, 4), ""
    if key == "savings":
        return f"{value}%", "down" if value > 0 else "up" if value < 0 else ""
    if key == "month":
        return exact(monthly_price(value), 2), ""
    if key == "mem":
        return f"{value:g}", ""
    return terminal(value), ""


def column_widths(rows: CatalogRows) -> dict[str, int]:
    """Widest cell or title (+2 for the sort arrow) per column, over the distinct values; the
    instance type column keeps room for the mark."""
    widths = {}
    for spec in COLUMNS:
        values = rows.columns["price" if spec.key == "month" else spec.key].values
        widest = max((len(cell(spec.key, v)[0]) for v in values), default=0)
        widths[spec.key] = max(widest + (MARK_WIDTH if spec.key == "type" else 0), len(spec.title) + 2)
    return widths
