"""How each table column shows its values, and the columns' layout. No Textual here.

Numbers look as everywhere in pricesync (pricesync.core's hourly_text, monthly_text, pct_text):
a price column has as many decimals as its most precise value needs (at least four for $/hour,
two for $/month), so the points line up and no digit is rounded away. Text from the catalog
(instance types, families, regions) is neutralised: the table's segments go to the terminal as
they are.

The columns are in the order they matter at 80 columns: the instance type (frozen when the
table scrolls sideways), the prices and what is pending, then the specs; family, arch and GPU
are the first to go off screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pricesync.core import (
    HOUR_DECIMALS,
    MONTH_DECIMALS,
    column_decimals,
    hourly_text,
    monthly_decimals,
    monthly_price,
    monthly_text,
    pct_text,
    terminal,
)

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
    ColumnSpec("price", "$/hour", True),
    ColumnSpec("month", "$/month", True),
    ColumnSpec("savings", "savings", True),
    ColumnSpec("per_vcpu", "$/vCPU-h", True),
    ColumnSpec("per_gib", "$/GiB-h", True),
    ColumnSpec("per_gpu", "$/GPU-h", True),
    ColumnSpec("pending", "pending", True),
    ColumnSpec("vcpu", "vCPU", True),
    ColumnSpec("mem", "mem GiB", True),
    ColumnSpec("os", "OS"),
    ColumnSpec("region", "region"),
    ColumnSpec("family", "family"),
    ColumnSpec("arch", "arch"),
    ColumnSpec("gpu", "GPU", True),
    ColumnSpec("gen", "gen"),
    ColumnSpec("processor", "processor"),
    ColumnSpec("clock", "GHz", True),
    ColumnSpec("network", "network"),
    ColumnSpec("storage", "storage"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
COLUMN_TITLES = {c.key: c.title for c in COLUMNS}
UNIT_COLUMNS = ("per_vcpu", "per_gib", "per_gpu")
SPEC_COLUMNS = ("gen", "processor", "clock", "network", "storage")  # chosen with C; not shown by default
# savings shows for a kind only
DEFAULT_COLUMNS = tuple(k for k in COLUMN_KEYS if k not in UNIT_COLUMNS and k not in SPEC_COLUMNS)


def shown_columns(keys: tuple[str, ...], kind_shown: bool) -> tuple[ColumnSpec, ...]:
    """The specs of `keys` in that order; savings only when a kind other than on demand is shown."""
    by_key = {c.key: c for c in COLUMNS}
    return tuple(by_key[k] for k in keys if k in by_key and (kind_shown or k != "savings"))


SOURCE = {"month": "price"}  # display column -> the CatalogRows column it shows


@dataclass(frozen=True)
class Decimals:
    """How many decimals the price columns show (the most any of their values needs)."""

    hour: int = HOUR_DECIMALS
    month: int = MONTH_DECIMALS


@dataclass(frozen=True)
class Layout:
    widths: dict[str, int] = field(default_factory=dict)
    decimals: Decimals = field(default_factory=Decimals)


def pending_text(p: Pending, decimals: Decimals = Decimals()) -> tuple[str, str]:
    """Text and style name (up/down/new/missing) of a pending change."""
    if p.kind == "missing":
        return "missing", "missing"
    price = hourly_text(p.price, decimals.hour) if p.price is not None else ""
    if p.kind == "changed":
        if p.pct is None:
            return f"{price} from 0", "up"
        arrow, style = ("▲", "up") if p.pct > 0 else ("▼", "down")
        return f"{price} {arrow}{pct_text(p.pct, sign=False)}", style
    return f"{price} {p.kind}", "new"


def cell(key: str, value, decimals: Decimals = Decimals()) -> tuple[str, str]:
    """Text and style name ("" for plain) of one cell; `value` is the column value."""
    if key == "pending":
        return ("", "") if value is None else pending_text(value, decimals)
    if value is None:
        return (NO_PRICE if key in ("price", "month", "savings", *UNIT_COLUMNS) else UNKNOWN), "dim"
    if key == "price":
        return hourly_text(value, decimals.hour), ""
    if key in UNIT_COLUMNS:
        return hourly_text(value), ""
    if key == "savings":
        return f"{value}%", "down" if value > 0 else "up" if value < 0 else ""
    if key == "month":
        return monthly_text(monthly_price(value), decimals.month), ""
    if key in ("mem", "clock"):
        return f"{value:g}", ""
    if isinstance(value, tuple):  # processor, storage: what a pattern may match, the first shown
        return terminal(value[0]), ""
    return terminal(value), ""


def column_layout(rows: CatalogRows) -> Layout:
    """Each column's width: its widest cell or title (+2 for the sort arrow), over the distinct
    values; the instance type column keeps room for the mark."""
    prices = rows.columns["price"].values
    pending = [p.price for p in rows.columns["pending"].values if p is not None]
    needed = column_decimals([p for p in prices if p is not None], 0)  # $/month from $/hour's
    decimals = Decimals(
        max(column_decimals(pending, HOUR_DECIMALS), needed, HOUR_DECIMALS),
        max(monthly_decimals(needed), MONTH_DECIMALS),
    )
    widths = {}
    for spec in COLUMNS:
        values = rows.columns[SOURCE.get(spec.key, spec.key)].values
        widest = max((len(cell(spec.key, v, decimals)[0]) for v in values), default=0)
        widths[spec.key] = max(widest + (MARK_WIDTH if spec.key == "type" else 0), len(spec.title) + 2)
    return Layout(widths, decimals)
