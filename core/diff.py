"""Comparing fetched records with a catalog, the sanity guard (judging a fetch before anything
is written, and a write-back), and the merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from .catalog import check_records
from .kinds import KINDS, UPFRONT
from .models import (
    Catalog,
    CatalogDiff,
    CatalogEntry,
    Key,
    KindPrice,
    PriceChange,
    PriceRecord,
    SourceInfo,
    kind_changes,
)
from .typeorder import key_order


def diff_catalog(catalog: Catalog, records: Iterable[PriceRecord], regions: Iterable[str]) -> CatalogDiff:
    """Added, changed and missing entries if `records` (covering `regions`) were merged; the
    kinds that move in entries the catalog has (an added entry brings its kinds with it); how
    many of those entries would learn or change specs (so a sync that brings only specs still
    writes them back)."""
    entries = {e.key: e for e in catalog.entries}
    fetched: set[Key] = set()
    added: list[PriceRecord] = []
    changed: list[PriceChange] = []
    kinds: list[PriceChange] = []
    specs_changed = 0
    for rec in records:
        fetched.add(rec.key)
        entry = entries.get(rec.key)
        if entry is None:
            added.append(rec)
            continue
        if entry.price_per_hour != rec.price_per_hour and (  # the same string: the same price
            entry.price_per_hour is None or Decimal(entry.price_per_hour) != Decimal(rec.price_per_hour)
        ):
            changed.append(PriceChange(rec.key, entry.price_per_hour, rec.price_per_hour))
        kinds += kind_changes(rec.key, entry.prices, rec.prices)
        if rec.specs is not None and rec.specs is not entry.specs and rec.specs.over(entry.specs) != entry.specs:
            specs_changed += 1
    wanted = set(regions)
    missing = tuple(k for k, e in entries.items() if e.region in wanted and e.available and k not in fetched)
    return CatalogDiff(tuple(added), tuple(changed), missing, tuple(kinds), specs_changed)


def merge_kinds(
    records: Iterable[PriceRecord], prices: Mapping[Key, Mapping[str, KindPrice]], kinds: frozenset[str]
) -> list[PriceRecord]:
    """`records` with the prices of `kinds` taken from `prices` (a kind `prices` lacks for a
    record is absent from it, never zero) and every other kind kept as it was."""
    out = []
    for rec in records:
        found = prices.get(rec.key, {})
        merged = {
            kind: price
            for kind in KINDS
            if (price := (found.get(kind) if kind in kinds else rec.prices.get(kind))) is not None
        }
        out.append(rec if merged == rec.prices else replace(rec, prices=merged))
    return out


def only_kinds(records: Iterable[PriceRecord], kinds: frozenset[str]) -> list[PriceRecord]:
    """`records` without the prices of kinds outside `kinds` ([sync] price_kinds)."""
    return [
        rec if set(rec.prices) <= kinds else replace(rec, prices={k: p for k, p in rec.prices.items() if k in kinds})
        for rec in records
    ]


def kind_problems(records: Iterable[PriceRecord]) -> list[str]:
    """What looks wrong with the kinds of `records`, one line each naming the entry: an
    effective rate above the on-demand price, and the effective rates of one term and plan
    out of the order All <= Partial <= No Upfront. Warnings only: the prices are the source's."""
    problems: list[str] = []
    for rec in records:
        entry = "/".join(rec.key)
        on_demand = Decimal(rec.price_per_hour)
        groups: dict[tuple[str, int, str], list[tuple[str, Decimal]]] = {}
        for kind, price in rec.prices.items():
            effective = Decimal(price.effective_hourly)
            if effective > on_demand:
                problems.append(
                    f"{entry}: {kind} costs {price.effective_hourly}/h effective, above on-demand {rec.price_per_hour}"
                )
            if KINDS[kind].upfront:
                groups.setdefault(KINDS[kind].group, []).append((kind, effective))
        for group in groups.values():
            ordered = sorted(group, key=lambda item: -UPFRONT.index(KINDS[item[0]].upfront))  # all, partial, no
            for (cheap, low), (dear, high) in pairwise(ordered):
                if low > high:
                    problems.append(f"{entry}: {cheap} ({low}/h effective) costs more than {dear} ({high}/h)")
    return problems


@dataclass(frozen=True, slots=True)
class SanityReport:
    """Why a fetch or a write-back looks wrong. `refused`: nothing overrides (another currency,
    prices the catalog's rules refuse); `suspicious`: --force overrides (empty regions, prices
    <= 0, too many entries gone)."""

    refused: tuple[str, ...] = ()
    suspicious: tuple[str, ...] = ()

    def __add__(self, other: SanityReport) -> SanityReport:
        return SanityReport(
            tuple(dict.fromkeys(self.refused + other.refused)), tuple(dict.fromkeys(self.suspicious + other.suspicious))
        )

    def blocks(self, force: bool) -> bool:
        return bool(self.refused or (self.suspicious and not force))

    def message(self, refusal: str) -> str:
        """One line: `refusal`, then each group of problems with what overrides it."""
        parts = []
        if self.refused:
            parts.append("; ".join(self.refused) + " (nothing overrides this)")
        if self.suspicious:
            parts.append("; ".join(self.suspicious) + " (--force overrides)")
        return f"sanity guard: {refusal}: " + "; ".join(parts)


def region_problems(region: str, records: Sequence[PriceRecord], currency: str) -> SanityReport:
    """The rules every region's prices must pass, fetched or written back."""
    if not records:
        return SanityReport(suspicious=(f"no prices fetched for {region}",))
    refused: list[str] = []
    suspicious: list[str] = []
    valid, broken = check_records(records, lambda rec: f"{region} price of {'/'.join(rec.key)}")
    if broken:
        refused.append(f"{len(broken)} price(s) in {region} break the catalog's rules, e.g. {broken[0]}")
    other = sorted({r.currency for r in valid} - {currency})
    if other:
        refused.append(f"{region} is priced in {', '.join(other)}, not the catalog's {currency}")
    bad_price = [r for r in valid if Decimal(r.price_per_hour) <= 0]
    if bad_price:
        suspicious.append(f"{region}: {len(bad_price)} price(s) <= 0, e.g. {'/'.join(bad_price[0].key)}")
    return SanityReport(tuple(refused), tuple(suspicious))


def _gone(region: str, gone: int, total: int, limit: float, what: str, verb: str) -> SanityReport:
    pct = 100.0 * gone / total if total else 0.0
    if pct <= limit:
        return SanityReport()
    return SanityReport(suspicious=(f"{region}: {gone} of {total} {what} ({pct:.0f}%) {verb} (limit {limit:g}%)",))


def fetch_problems(
    currency: str,
    fetched: Mapping[str, Sequence[PriceRecord]],
    previous: Sequence[PriceRecord],
    max_missing_pct: float,
) -> SanityReport:
    """Judge freshly fetched regions before anything is written: each region's rules, and how
    many of the prices the previous fetch held for it are gone."""
    before: dict[str, set[Key]] = {}
    for rec in previous:
        before.setdefault(rec.region, set()).add(rec.key)
    report = SanityReport()
    for region, records in sorted(fetched.items()):
        report += region_problems(region, records, currency)
        held = before.get(region, set())
        if records and held:
            gone = len(held - {r.key for r in records})
            report += _gone(region, gone, len(held), max_missing_pct, "prices of the last fetch", "are gone")
    return report


def write_back_problems(
    catalog: Catalog,
    records: Sequence[PriceRecord],
    regions: Iterable[str],
    diff: CatalogDiff,
    max_missing_pct: float,
) -> SanityReport:
    """Judge a write-back: each region's rules, and how many of the catalog's available entries
    of a region it would mark unavailable."""
    per_region: dict[str, list[PriceRecord]] = {region: [] for region in regions}
    for rec in records:
        per_region.setdefault(rec.region, []).append(rec)
    report = SanityReport()
    for region, recs in sorted(per_region.items()):
        report += region_problems(region, recs, catalog.currency)
    available = Counter(e.region for e in catalog.entries if e.available)
    missing = Counter(region for _, region, _ in diff.missing if per_region.get(region))  # empty: said above
    for region, n in sorted(missing.items()):
        report += _gone(region, n, available[region], max_missing_pct, "entries", "would be marked unavailable")
    return report


def merge(
    catalog: Catalog,
    records: Iterable[PriceRecord],
    diff: CatalogDiff,
    *,
    now: str,
    source: SourceInfo,
) -> Catalog:
    """The catalog with fetched prices and specs applied, new types added and missing ones
    marked unavailable (never deleted). The entries are in reading order (core.typeorder's
    key_order: by instance type, region, OS): the order the dashboard and `pricesync list` show
    by default, which then costs them a check instead of a sort."""
    by_key = {r.key: r for r in records}
    missing = set(diff.missing)
    entries: list[CatalogEntry] = []
    for e in catalog.entries:
        rec = by_key.pop(e.key, None)
        if rec is not None:
            entries.append(e.with_record(rec, now))
        elif e.key in missing:
            entries.append(replace(e, available=False))
        else:
            entries.append(e)
    added = list(by_key.values())
    entries.extend(CatalogEntry.from_record(r, now) for r in added)
    # ordered by the keys of the loaded entries (each new entry has its old one's key): a pass
    # over the new objects, just made and scattered over the heap, costs several times as much
    order = key_order([*catalog.entries, *added]).positions
    return Catalog(
        provider=catalog.provider,
        currency=catalog.currency,
        updated_at=now,
        source=source,
        entries=tuple(map(entries.__getitem__, order)),
    )
