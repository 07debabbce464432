"""Choosing an instance: the price of an entry for a chosen kind, unit prices, savings and
break-even against on demand, regions as columns (the pivot) and cheaper equivalents. Pure
functions over catalog entries, exact in `Decimal`; the CLI and the dashboard show their
results.

The price of a kind is what an hour of it costs: on demand, the entry's `price_per_hour`;
every other kind, its `effective_hourly` (the upfront fee spread over the term). A value that
needs a spec the entry does not know (vCPU, memory, GPU) or a price it does not have is None,
never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import cache

from .errors import PriceSyncError
from .kinds import KINDS, ON_DEMAND, SPOT
from .models import HOURS_PER_MONTH, CatalogEntry, KindPrice, monthly_price
from .numbers import csv_columns

PRICE_KINDS = (ON_DEMAND, *KINDS)  # what --price / the dashboard's kind key choose from
UNIT_PLACES = Decimal("1E-10")  # unit prices: the sources' own precision, half-even
PCT_PLACES = Decimal("0.1")
UNIT_FIELDS = {"per_vcpu": "vcpu", "per_gib": "memory_gib", "per_gpu": "gpu"}  # unit price -> the spec it divides by


class NotInCatalog(PriceSyncError):
    """The instance type (in that region and OS) is not in the catalog."""


def kind_price_text(entry: CatalogEntry, kind: str) -> str | None:
    """An hour of `entry` bought as `kind`, the catalog's decimal string (a commitment's
    effective hourly rate); None when the entry has no such price."""
    if kind == ON_DEMAND:
        return entry.price_per_hour
    price = entry.prices.get(kind)
    return None if price is None else price.effective_hourly


def kind_price(entry: CatalogEntry, kind: str) -> Decimal | None:
    """`kind_price_text` as a Decimal."""
    text = kind_price_text(entry, kind)
    return None if text is None else Decimal(text)


def unit_price(price: Decimal | None, amount: float | None) -> Decimal | None:
    """$ per hour per vCPU / GiB / GPU, to 10 decimal places (half-even); None when either is
    unknown or the amount is not positive (a GPU price of an instance without GPUs)."""
    if price is None or amount is None or amount <= 0:
        return None
    with localcontext(prec=60):
        return (price / Decimal(str(amount))).quantize(UNIT_PLACES, rounding=ROUND_HALF_EVEN)


def entry_unit_price(entry: CatalogEntry, unit: str, kind: str = ON_DEMAND) -> Decimal | None:
    """`unit` is one of UNIT_FIELDS: per_vcpu, per_gib, per_gpu."""
    amount: float | None = getattr(entry, UNIT_FIELDS[unit])
    return unit_price(kind_price(entry, kind), amount)


def savings_pct(on_demand: Decimal | None, price: Decimal | None) -> Decimal | None:
    """How much cheaper `price` is than on demand, in %, to one decimal (negative: dearer)."""
    if on_demand is None or price is None or on_demand <= 0:
        return None
    return ((on_demand - price) * 100 / on_demand).quantize(PCT_PLACES, rounding=ROUND_HALF_EVEN)


def break_even_month(on_demand: Decimal | None, price: KindPrice, years: int) -> int | None:
    """The first month (1-based, months of HOURS_PER_MONTH hours) at whose end the commitment's
    cumulative cost, upfront fee included, is below on demand's for the same hours; None
    ("never") when that does not happen within the term (or on demand is unknown)."""
    if on_demand is None or years <= 0:
        return None
    gain_per_month = (on_demand - Decimal(price.hourly)) * HOURS_PER_MONTH
    if gain_per_month <= 0:
        return None
    month = int(Decimal(price.upfront) // gain_per_month) + 1  # upfront < gain * month
    return month if month <= 12 * years else None


@dataclass(frozen=True, slots=True)
class KindLine:
    """One kind of one entry, as `pricesync show` and the detail view print it."""

    kind: str
    hourly: Decimal | None
    upfront: Decimal | None
    effective_hourly: Decimal | None
    savings_pct: Decimal | None
    break_even_month: int | None  # None: never (or on demand itself)

    @property
    def break_even(self) -> str:
        """'month 8', 'never', or '' for on demand itself."""
        if self.kind == ON_DEMAND:
            return ""
        return "never" if self.break_even_month is None else f"month {self.break_even_month}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "hourly": decimal_text(self.hourly),
            "upfront": decimal_text(self.upfront),
            "effective_hourly": decimal_text(self.effective_hourly),
            "savings_pct": decimal_text(self.savings_pct),
            "break_even_month": self.break_even_month,
        }


def kind_lines(entry: CatalogEntry) -> list[KindLine]:
    """On demand, then every kind the entry has a price for, in display order."""
    on_demand = kind_price(entry, ON_DEMAND)
    lines = [KindLine(ON_DEMAND, on_demand, Decimal(0) if on_demand is not None else None, on_demand, None, None)]
    for name, kind in KINDS.items():
        price = entry.prices.get(name)
        if price is None:
            continue
        effective = Decimal(price.effective_hourly)
        lines.append(
            KindLine(
                name,
                Decimal(price.hourly),
                Decimal(price.upfront),
                effective,
                savings_pct(on_demand, effective),
                break_even_month(on_demand, price, kind.years),
            )
        )
    return lines


def export_columns(kind: str, units: bool = False) -> tuple[str, ...]:
    """The columns of an export of `kind` (with the unit prices when `units`): on demand's
    CSV_COLUMNS alone, or followed by the kind's, the unit prices' and spot's."""
    return csv_columns(kind=kind != ON_DEMAND, units=units, spot=kind == SPOT)


def kind_export_values(entry: CatalogEntry | None, kind: str, units: bool = False) -> dict[str, object]:
    """What an export of `kind` holds for `entry` beyond the on-demand columns (core.numbers'
    csv_columns: the kind's, the unit prices' when `units`, spot's); None: a row the catalog
    does not hold yet (a cache-only one), which has no price of any kind."""
    out: dict[str, object] = {} if kind == ON_DEMAND else {"price_kind": kind}
    if entry is None:
        return out
    effective = kind_price(entry, kind)
    price = entry.prices.get(kind)
    if price is not None:
        out |= {
            "kind_hourly": price.hourly,
            "kind_upfront": price.upfront,
            "kind_price_per_hour": effective,
            "kind_price_per_month": None if effective is None else monthly_price(effective),
            "savings_pct": savings_pct(kind_price(entry, ON_DEMAND), effective),
        }
        if kind == SPOT:
            out |= {
                "spot_interruption": price.interruption,
                "spot_savings_pct": price.savings_pct,
                "spot_fetched_at": price.fetched_at,
            }
    if units:
        out |= {unit: unit_price(effective, getattr(entry, spec)) for unit, spec in UNIT_FIELDS.items()}
    return out


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal for JSON: exact, without exponent; None stays None."""
    return None if value is None else f"{value:f}"


def matching_entries(
    entries: Iterable[CatalogEntry], instance_type: str, region: str | None, os: str
) -> list[CatalogEntry]:
    """The entries of `instance_type` for `os`, in `region` (None: every region); NotInCatalog
    when there is none."""
    found = [e for e in entries if e.instance_type == instance_type and e.os == os and region in (None, e.region)]
    if not found:
        where = f" in {region}" if region else ""
        raise NotInCatalog(f"{instance_type} ({os}){where} is not in the catalog")
    return found


def find_entry(entries: Iterable[CatalogEntry], instance_type: str, region: str | None, os: str) -> CatalogEntry:
    """The entry of `instance_type` for `os` in `region` (None: the region with the lowest
    on-demand price); NotInCatalog when there is none."""
    return min(
        matching_entries(entries, instance_type, region, os),
        key=lambda e: (kind_price(e, ON_DEMAND) is None, kind_price(e, ON_DEMAND) or 0, e.region),
    )


# -- regions as columns ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PivotRow:
    instance_type: str
    os: str
    prices: dict[str, Decimal | None]  # region -> price of the kind, for every shown region
    cheapest_region: str | None

    def delta_pct(self, region: str, home: str) -> Decimal | None:
        """`region`'s price against `home`'s, in % to one decimal (negative: cheaper)."""
        here, there = self.prices.get(region), self.prices.get(home)
        if here is None or there is None or there <= 0:
            return None
        return ((here - there) * 100 / there).quantize(PCT_PLACES, rounding=ROUND_HALF_EVEN)

    def to_json(self) -> dict[str, object]:
        return {
            "instance_type": self.instance_type,
            "os": self.os,
            "prices": {region: decimal_text(price) for region, price in self.prices.items()},
            "cheapest_region": self.cheapest_region,
        }


def pivot(
    entries: Iterable[CatalogEntry],
    kind: str = ON_DEMAND,
    regions: Sequence[str] | None = None,
    *,
    in_all_regions: bool = False,
) -> tuple[list[str], list[PivotRow]]:
    """One row per (instance type, OS), one price per region: `regions` (None: every region of
    `entries`, sorted). Rows in the order their first entry comes; `in_all_regions` keeps only
    the rows with a price in every shown region. The cheapest region is the first of the lowest."""
    chosen = set(regions) if regions is not None else None
    grid: dict[tuple[str, str], dict[str, Decimal | None]] = {}
    decimal = cache(Decimal)  # a few thousand distinct prices among hundreds of thousands of entries
    for e in entries:
        region = e.region
        if chosen is not None and region not in chosen:
            continue
        key = (e.instance_type, e.os)
        cells = grid.get(key)
        if cells is None:
            cells = grid[key] = {}
        price = kind_price_text(e, kind) if e.available else None
        cells[region] = None if price is None else decimal(price)
    columns = list(regions) if regions is not None else sorted({r for cells in grid.values() for r in cells})
    place = {region: i for i, region in enumerate(columns)}
    empty = dict.fromkeys(columns)
    rows = []
    for (itype, os_), by_region in grid.items():
        known = {r: p for r, p in by_region.items() if p is not None}
        if in_all_regions and len(known) < len(columns):
            continue
        cheapest = min(known, key=lambda r: (known[r], place[r])) if known else None
        prices = empty.copy()
        prices.update(by_region)  # C speed: a row has a cell per column, most of them empty
        rows.append(PivotRow(itype, os_, prices, cheapest))
    return columns, rows


# -- cheaper equivalents --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Equivalent:
    entry: CatalogEntry
    price: Decimal
    saving_pct: Decimal
    saving_per_month: Decimal
    provider: str = field(default="")

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"provider": self.provider} if self.provider else {}
        return (
            out
            | self.entry.to_json()
            | {
                "price": decimal_text(self.price),
                "saving_pct": decimal_text(self.saving_pct),
                "saving_per_month": decimal_text(self.saving_per_month),
            }
        )


def covers(candidate: CatalogEntry, base: CatalogEntry) -> bool:
    """`candidate` has at least `base`'s vCPU, memory and GPU (an unknown spec covers nothing;
    a base's unknown GPU count asks for none)."""
    return (
        base.vcpu is not None
        and candidate.vcpu is not None
        and candidate.vcpu >= base.vcpu
        and base.memory_gib is not None
        and candidate.memory_gib is not None
        and candidate.memory_gib >= base.memory_gib
        and (not base.gpu or (candidate.gpu is not None and candidate.gpu >= base.gpu))
    )


def equivalents(
    candidates: Iterable[tuple[str, CatalogEntry]],
    base: CatalogEntry,
    kind: str = ON_DEMAND,
    *,
    regions: Sequence[str] | None = None,
    same_arch: bool = False,
) -> list[Equivalent]:
    """Every available (provider, entry) of `candidates` that covers `base` (vCPU, memory, GPU),
    runs the same OS, sits in `base`'s region (or any of `regions`; an empty list: any region),
    has `base`'s architecture if `same_arch`, and is cheaper for `kind`; cheapest first, with the
    saving in % and per month. NotInCatalog when `base` has no price for `kind`."""
    base_price = kind_price(base, kind)
    if base_price is None:
        raise NotInCatalog(f"{base.instance_type} in {base.region} has no {kind} price")
    where = {base.region} if regions is None else set(regions)
    found = []
    for provider, e in candidates:
        if not e.available or e.os != base.os or (where and e.region not in where):
            continue
        if (same_arch and e.arch != base.arch) or e is base or not covers(e, base):
            continue
        price = kind_price(e, kind)
        if price is None or price >= base_price:
            continue
        saving = savings_pct(base_price, price)
        assert saving is not None
        found.append(Equivalent(e, price, saving, monthly_price(base_price - price), provider))
    found.sort(key=lambda q: (q.price, q.provider, q.entry.key))
    return found
