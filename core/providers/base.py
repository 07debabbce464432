"""The one small interface every price source implements."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..models import JsonObject, Key, KindPrice, PriceRecord, as_text


@dataclass(frozen=True, slots=True)
class RegionVersion:
    """What state.json remembers of one region's last successful fetch."""

    version: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # AWS: the Savings Plans document paired with this one (the region's rates file, or the
    # Savings Plans region index), when its rates were fetched; its version None: none listed
    savings_plans: RegionVersion | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"version": self.version, "etag": self.etag, "last_modified": self.last_modified}
        if self.savings_plans is not None:
            out["savings_plans"] = self.savings_plans.to_json()
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, object]) -> RegionVersion:
        """From state.json; a value that is not a string (a hand-edited file) counts as absent,
        and so does a `savings_plans` that is not an object (read one level deep only)."""
        paired = obj.get("savings_plans")
        if isinstance(paired, dict):
            paired = cls.from_json({k: v for k, v in paired.items() if k != "savings_plans"})
        return cls(
            as_text(obj.get("version")),
            as_text(obj.get("etag")),
            as_text(obj.get("last_modified")),
            paired if isinstance(paired, RegionVersion) else None,
        )


@dataclass(slots=True)
class RegionFetch:
    """One region's outcome. `records` is None when the source version was unchanged."""

    region: str
    version: RegionVersion
    records: list[PriceRecord] | None
    publication_date: str | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    downloaded_bytes: int = 0  # what was read of the region's files (an offer closed early: the part read)


@dataclass(frozen=True, slots=True)
class KindOverlay:
    """Prices of some kinds fetched apart from the records (AWS spot, from its own feeds; the
    fresh kinds of a sync of some kinds only): on every record of `regions`, fresh or cached,
    they replace those kinds (a record the overlay has no price for loses them)."""

    kinds: frozenset[str]
    regions: frozenset[str]
    prices: Mapping[Key, Mapping[str, KindPrice]]

    def apply(self, rec: PriceRecord) -> PriceRecord:
        if rec.region not in self.regions:
            return rec
        kept = {kind: p for kind, p in rec.prices.items() if kind not in self.kinds}
        fresh = self.prices.get(rec.key, {})
        if not fresh and len(kept) == len(rec.prices):
            return rec
        return replace(rec, prices=kept | dict(fresh))


@dataclass(slots=True)
class FetchResult:
    regions: dict[str, RegionFetch]
    index_validators: RegionVersion | None = None
    overlays: list[KindOverlay] = field(default_factory=list)
    # validators of documents besides the regions' (AWS's spot feeds), by name; a sync that
    # does not fetch a document leaves it out, so its next fetch is unconditional
    feeds: dict[str, RegionVersion] = field(default_factory=dict)
    # one line each, already logged: a part that failed while the prices still landed (a
    # region's Savings Plans rates), for the sync's own warnings (--json, stderr)
    warnings: list[str] = field(default_factory=list)
    # kinds the source could not fetch this time while the rest came (a failed spot feed): the
    # engine keeps their last fetched prices from the cache on the fresh records
    carried: frozenset[str] = frozenset()

    @property
    def unchanged(self) -> bool:
        return not self.overlays and all(r.records is None for r in self.regions.values())

    def overlaid(self, records: list[PriceRecord]) -> list[PriceRecord]:
        """`records` (fresh or from the cache) with every overlay applied, in order."""
        for overlay in self.overlays:
            records = [overlay.apply(rec) for rec in records]
        return records


# region, bytes downloaded so far, total bytes if known, records selected so far
Progress = Callable[[str, int, int | None, int], None]


@dataclass(slots=True)
class FetchRequest:
    regions: list[str] | None  # None: every region the source lists
    known: dict[str, RegionVersion]  # versions the cache holds; empty with --force
    index: RegionVersion | None = None  # validators of the last region index
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None
    kinds: frozenset[str] = frozenset()  # the price kinds wanted besides on-demand (core.kinds)
    # False: a sync of some kinds only (`sync --kinds spot`): the on-demand lists need not be
    # fetched (the engine takes only `kinds` from fresh records, into the cached ones)
    on_demand: bool = True
    feeds: dict[str, RegionVersion] = field(default_factory=dict)  # as FetchResult.feeds, from the last sync


class Provider(Protocol):
    name: str
    mode: str

    def fetch(self, request: FetchRequest) -> FetchResult: ...

    def close(self) -> None: ...
