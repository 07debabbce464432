"""A snapshot of one provider: everything a client shows about it, read at one moment.

Taking one never raises for bad files: a catalog that cannot be read becomes `error`, a
damaged cache or state file a line in `problems`. The cache it holds carries the fingerprint
a write-back compares (SyncEngine.write_back refuses when the cache changed since)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .cache import PriceCache, load_cache
from .catalog import ensure_catalog, load_catalog
from .config import Settings
from .diff import diff_catalog
from .errors import CatalogError
from .models import Catalog, CatalogDiff, as_text
from .paths import catalog_path
from .sources import check
from .state import provider_state


class Schedule(Protocol):
    """What a snapshot asks of a scheduler (core.scheduler.PriceSyncScheduler)."""

    def next_run_for(self, provider: str) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class ProviderState:
    """What state.json says of a provider (core.state). A value of the wrong type (a file
    another program wrote) reads as None."""

    last_attempt: str | None = None  # ISO 8601 UTC
    last_success: str | None = None
    last_status: str | None = None  # "updated" | "unchanged" | "failed"
    last_error: str | None = None
    mode: str | None = None
    source_version: str | None = None
    last_run: Mapping[str, Any] | None = None  # the scheduler's last run: time, trigger, status, counts
    write_back: str | None = None  # the last write-back of the cache (`w`): "updated" | "refused"
    write_back_error: str | None = None  # why it was refused
    write_back_at: str | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ProviderState:
        last_run = obj.get("last_run")
        return cls(
            last_attempt=as_text(obj.get("last_attempt")),
            last_success=as_text(obj.get("last_success")),
            last_status=as_text(obj.get("last_status")),
            last_error=as_text(obj.get("last_error")),
            mode=as_text(obj.get("mode")),
            source_version=as_text(obj.get("source_version")),
            last_run=last_run if isinstance(last_run, dict) else None,
            write_back=as_text(obj.get("write_back")),
            write_back_error=as_text(obj.get("write_back_error")),
            write_back_at=as_text(obj.get("write_back_at")),
        )


@dataclass(frozen=True)
class Snapshot:
    provider: str
    catalog_path: Path
    catalog: Catalog | None = None  # None: `error` says why (or still loading)
    cache: PriceCache | None = None  # the latest fetch; None: none yet, or damaged (see problems)
    diff: CatalogDiff | None = None  # what a write-back of `cache` would change
    state: ProviderState = field(default_factory=ProviderState)
    next_run: datetime | None = None  # of the scheduler the snapshot was taken with
    error: str | None = None  # the catalog could not be loaded
    problems: tuple[str, ...] = ()  # a damaged cache or state file
    blocker: str | None = None  # why this provider cannot sync here (core.sources.check)

    @property
    def pending(self) -> bool:
        """A write-back would change the catalog."""
        return self.diff is not None and not self.diff.empty


def take_snapshot(settings: Settings, provider: str, scheduler: Schedule | None = None) -> Snapshot:
    data = settings.data_dir
    base = Snapshot(
        provider,
        catalog_path(data, provider),
        next_run=scheduler.next_run_for(provider) if scheduler is not None else None,
        blocker=check(settings, provider),
    )
    problems: list[str] = []
    try:
        state = ProviderState.from_json(provider_state(data, provider))
    except CatalogError as exc:
        problems.append(str(exc))
        state = ProviderState()
    try:
        catalog = load_catalog(ensure_catalog(data, provider), provider)
    except CatalogError as exc:
        return replace(base, state=state, error=str(exc), problems=tuple(problems))
    try:
        cache = load_cache(data, provider)
    except CatalogError as exc:
        problems.append(str(exc))
        cache = None
    return replace(
        base,
        catalog=catalog,
        cache=cache,
        diff=diff_catalog(catalog, cache.records, cache.regions) if cache is not None else None,
        state=state,
        problems=tuple(problems),
    )
