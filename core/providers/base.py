"""The one small interface every price source implements."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class FetchResult:
    regions: dict[str, RegionFetch]
    index_validators: RegionVersion | None = None
    # one line each, already logged: a part that failed while the prices still landed (a
    # region's Savings Plans rates), for the sync's own warnings (--json, stderr)
    warnings: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return all(r.records is None for r in self.regions.values())


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
    # True (`sync --kinds`): only `kinds` are wanted; the engine keeps every other kind and the
    # on-demand price of the cache, so a source may skip what only on-demand needs
    only_kinds: bool = False


class Provider(Protocol):
    name: str
    mode: str

    def fetch(self, request: FetchRequest) -> FetchResult: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class KindFetch:
    """What a KindSource found: per record key, the prices of its kinds (a kind missing for a
    key: the source has no price for it, and it is absent from the entry)."""

    prices: dict[Key, dict[str, KindPrice]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    downloaded_bytes: int = 0


class KindSource(Protocol):
    """A source of price kinds that come from other files than the provider's own (AWS spot,
    from its price and advisor feeds), for records the provider fetched or the cache holds.
    The engine calls `fetch_kinds` after the provider's fetch, on every sync whose wanted kinds
    meet `kinds` (`request.kinds` holds those), and merges what it returns (core.sources
    builds them: `kind_sources`)."""

    name: str
    kinds: frozenset[str]

    def fetch_kinds(self, request: FetchRequest, records: Sequence[PriceRecord]) -> KindFetch: ...

    def close(self) -> None: ...
