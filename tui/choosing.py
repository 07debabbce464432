"""What the choosing views show (the kind detail, the region pivot, the compare view, cheaper
equivalents), as rows of rich Text cells computed from core.choose. No Textual here: the
screens (tui.screens_choose) put these rows in tables.

Text from the catalog (instance types, regions, OSes) is neutralised (core.terminal).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from pricesync.core import (
    KINDS,
    ON_DEMAND,
    SPEC_FIELDS,
    CatalogEntry,
    Equivalent,
    Key,
    entry_unit_price,
    hourly_text,
    kind_lines,
    kind_price,
    monthly_price,
    pivot,
    provider_name,
    spec_value,
    terminal,
)
from rich.text import Text

from .cells import NO_PRICE, UNKNOWN

CHEAPEST = "★"
MAX_VIEW_ROWS = 2000  # rows a choosing view lists; the note says how many more there are
MAX_VIEW_CELLS = 40_000  # the pivot lists fewer rows when it has many region columns

Cells = list[Text]


def price_text(value: Decimal | None, decimals: int = 4) -> Text:
    if value is None:
        return Text(NO_PRICE, style="dim", justify="right")
    return Text(hourly_text(value, decimals), justify="right")


def pct_text(value: Decimal | None) -> Text:
    """A saving or difference in %: positive green (a saving), negative red."""
    if value is None:
        return Text("")
    return Text(f"{value:+}%", style="green" if value > 0 else "red" if value < 0 else "", justify="right")


def spec_text(value: object) -> Text:
    if value is None:
        return Text(UNKNOWN, style="dim")
    return Text(f"{value:g}" if isinstance(value, float) else terminal(value))


def entries_of(entries: Sequence[CatalogEntry], order: Iterable[int]) -> list[CatalogEntry]:
    """The catalog entries of the rows shown (row numbers past the catalog are cache-only rows)."""
    n = len(entries)
    return [entries[row] for row in order if row < n]


# -- the detail view: every kind of one entry -----------------------------------------------------

DETAIL_COLUMNS = ("kind", "$/hour", "upfront", "effective $/h", "$/month", "savings", "break-even")


def detail_rows(entry: CatalogEntry) -> list[Cells]:
    rows = []
    for line in kind_lines(entry):
        rows.append(
            [
                Text(line.kind),
                price_text(line.hourly),
                price_text(line.upfront, 0),
                price_text(line.effective_hourly),
                price_text(None if line.effective_hourly is None else monthly_price(line.effective_hourly), 2),
                pct_text(line.savings_pct),
                Text(line.break_even, style="dim" if line.break_even_month is None else ""),
            ]
        )
    return rows


# -- regions as columns ---------------------------------------------------------------------------


def pivot_rows(
    entries: Iterable[CatalogEntry],
    kind: str,
    regions: Sequence[str] | None,
    home: str | None,
    in_all_regions: bool,
) -> tuple[list[str], list[Cells], int]:
    """(region columns, rows: type, OS, then a price per region with the cheapest marked and,
    against `home`, the difference in %; how many rows there are in all)."""
    columns, rows = pivot(entries, kind, regions, in_all_regions=in_all_regions)
    out = []
    for row in rows[: min(MAX_VIEW_ROWS, max(100, MAX_VIEW_CELLS // max(len(columns), 1)))]:
        cells = [Text(terminal(row.instance_type)), Text(terminal(row.os))]
        for region in columns:
            price = row.prices[region]
            cell = price_text(price)
            if region == row.cheapest_region:
                cell = Text.assemble(cell, (CHEAPEST, "bold green"), justify="right")
            delta = row.delta_pct(region, home) if home and region != home else None
            if delta is not None:
                cell.append(f" {delta:+}%", style="red" if delta > 0 else "green")
            cells.append(cell)
        out.append(cells)
    return columns, out, len(rows)


# -- compare ----------------------------------------------------------------------------------------


def _compare_fields(kinds: Sequence[str]) -> list[tuple[str, object]]:
    """(label, how to get the value from an entry) for every compared line."""
    fields: list[tuple[str, object]] = [
        ("instance type", "instance_type"),
        ("region", "region"),
        ("OS", "os"),
        ("vCPU", "vcpu"),
        ("mem GiB", "memory_gib"),
        ("GPU", "gpu"),
        ("arch", "arch"),
        ("on-demand $/h", ON_DEMAND),
        ("on-demand $/month", "month"),
        ("$/vCPU-h", "per_vcpu"),
        ("$/GiB-h", "per_gib"),
        ("$/GPU-h", "per_gpu"),
    ]
    return fields + [(kind, kind) for kind in kinds] + list(SPEC_LINES)


# the richer specs, after the prices (what an 80x24 pane must show first); their descriptions cut
# to COMPARE_TEXT_MAX characters so two entries fit side by side
SPEC_LINES = (
    ("generation", "gen"),
    ("processor", "processor"),
    ("clock GHz", "clock"),
    ("network", "network"),
    ("storage", "storage"),
)
COMPARE_TEXT_MAX = 16  # "Up to 10 Gigabit", "1 x 118 NVMe SSD" whole


def _compare_value(entry: CatalogEntry, what: str) -> object:
    if what == ON_DEMAND or what in KINDS:
        return kind_price(entry, what)
    if what == "month":
        price = kind_price(entry, ON_DEMAND)
        return None if price is None else monthly_price(price)
    if what.startswith("per_"):
        return entry_unit_price(entry, what)
    if what in SPEC_FIELDS:
        value = spec_value(entry.specs, what)
        value = value[0] if isinstance(value, tuple) else value  # storage: its description
        if isinstance(value, str) and len(value) > COMPARE_TEXT_MAX:
            return value[: COMPARE_TEXT_MAX - 1] + "…"
        return value
    return getattr(entry, what)


def compare_rows(entries: Sequence[CatalogEntry]) -> list[Cells]:
    """One line per spec, price and kind (the kinds any of them has), one column per entry;
    each value that differs from the first entry's is highlighted: a number green when lower
    (cheaper, for a price) or red when higher, text in yellow, with the difference in %."""
    kinds = [k for k in KINDS if any(k in e.prices for e in entries)]
    rows = []
    for label, what in _compare_fields(kinds):
        assert isinstance(what, str)
        values = [_compare_value(e, what) for e in entries]
        cells = [Text(label, style="bold")]
        for i, value in enumerate(values):
            decimals = 2 if what == "month" else 4
            is_price = what in (ON_DEMAND, "month", *KINDS) or what.startswith("per_")
            cells.append(_compare_cell(value, values[0], i > 0, is_price=is_price, decimals=decimals))
        rows.append(cells)
    return rows


def _compare_cell(value: object, first: object, against: bool, *, is_price: bool, decimals: int) -> Text:
    if isinstance(value, Decimal) or (is_price and value is None):
        cell = price_text(value if isinstance(value, Decimal) else None, decimals)
    else:
        cell = spec_text(value)
    if not against or value == first:
        return cell
    if isinstance(value, int | float | Decimal) and isinstance(first, int | float | Decimal) and first:
        higher = value > first
        good = not higher if is_price else higher  # a lower price, a bigger spec
        cell.stylize("bold green" if good else "bold red")
        pct = Decimal(str(value)) / Decimal(str(first)) * 100 - 100
        cell.append(f" {pct:+.1f}%", style="green" if good else "red")
    else:
        cell.stylize("bold yellow")
    return cell


def compare_headers(keys: Sequence[Key]) -> list[str]:
    return ["", *(terminal(f"{'base' if i == 0 else i + 1}: {k[0]}") for i, k in enumerate(keys))]


# -- cheaper equivalents ----------------------------------------------------------------------------

EQUIVALENT_COLUMNS = (
    "provider",
    "instance type",
    "region",
    "OS",
    "vCPU",
    "mem GiB",
    "GPU",
    "arch",
    "$/hour",
    "saving",
    "saving $/month",
)


def equivalent_rows(found: Sequence[Equivalent]) -> list[Cells]:
    rows = []
    for q in found[:MAX_VIEW_ROWS]:
        e = q.entry
        rows.append(
            [
                Text(provider_name(q.provider)),
                Text(terminal(e.instance_type)),
                Text(terminal(e.region)),
                Text(terminal(e.os)),
                spec_text(e.vcpu),
                spec_text(e.memory_gib),
                spec_text(e.gpu),
                spec_text(e.arch),
                price_text(q.price),
                pct_text(q.saving_pct),
                price_text(q.saving_per_month, 2),
            ]
        )
    return rows
