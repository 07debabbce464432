"""Comparing fetched records with a catalog, the write-back sanity guard, and the merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from .models import Catalog, CatalogDiff, CatalogEntry, PriceChange, PriceRecord, SourceInfo


def diff_catalog(catalog: Catalog, records: Iterable[PriceRecord], regions: Iterable[str]) -> CatalogDiff:
    """Added, changed and missing entries if `records` (covering `regions`) were merged."""
    entries = {e.key: e for e in catalog.entries}
    fetched: set = set()
    added: list[PriceRecord] = []
    changed: list[PriceChange] = []
    for rec in records:
        fetched.add(rec.key)
        entry = entries.get(rec.key)
        if entry is None:
            added.append(rec)
        elif entry.price_per_hour is None or Decimal(entry.price_per_hour) != Decimal(rec.price_per_hour):
            changed.append(PriceChange(rec.key, entry.price_per_hour, rec.price_per_hour))
    wanted = set(regions)
    missing = tuple(k for k, e in entries.items() if e.region in wanted and e.available and k not in fetched)
    return CatalogDiff(tuple(added), tuple(changed), missing)


def sanity_problems(
    catalog: Catalog,
    records: Sequence[PriceRecord],
    regions: Iterable[str],
    diff: CatalogDiff,
    max_missing_pct: float,
) -> list[str]:
    """Reasons to refuse a write-back; empty when the fetch looks sound."""
    problems: list[str] = []
    per_region = Counter(r.region for r in records)
    for region in regions:
        if not per_region[region]:
            problems.append(f"no prices fetched for {region}")
    available = Counter(e.region for e in catalog.entries if e.available)
    missing = Counter(region for _, region, _ in diff.missing)
    for region, n in sorted(missing.items()):
        pct = 100.0 * n / available[region]
        if pct > max_missing_pct:
            problems.append(
                f"{region}: {n} of {available[region]} entries ({pct:.0f}%) would be marked unavailable "
                f"(limit {max_missing_pct:g}%)"
            )
    bad_price = [r for r in records if Decimal(r.price_per_hour) <= 0]
    if bad_price:
        problems.append(f"{len(bad_price)} price(s) <= 0, e.g. {'/'.join(bad_price[0].key)}")
    other = sorted({r.currency for r in records} - {catalog.currency})
    if other:
        problems.append(f"currency {', '.join(other)} is not the catalog's {catalog.currency}")
    return problems


def merge(
    catalog: Catalog,
    records: Iterable[PriceRecord],
    diff: CatalogDiff,
    *,
    now: str,
    source: SourceInfo,
) -> Catalog:
    """The catalog with fetched prices and specs applied, new types added and missing ones
    marked unavailable (never deleted). Entry order: existing order, then new ones sorted."""
    by_key = {r.key: r for r in records}
    missing = set(diff.missing)
    entries: list[CatalogEntry] = []
    for e in catalog.entries:
        rec = by_key.pop(e.key, None)
        if rec is not None:
            entries.append(e.with_record(rec, now))
        elif e.key in missing:
            entries.append(CatalogEntry(**{**e.to_json(), "available": False}))
        else:
            entries.append(e)
    entries.extend(CatalogEntry.from_record(r, now) for r in sorted(by_key.values(), key=lambda r: r.key))
    return Catalog(
        provider=catalog.provider,
        currency=catalog.currency,
        updated_at=now,
        source=source,
        entries=tuple(entries),
    )
