"""Everything the dashboard shows about one provider, read through core's public API.

Loading never raises for bad files: a catalog that cannot be read becomes `error` (the
table shows it), a damaged cache or state file becomes a line in `problems`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from pricesync.core.cache import PriceCache
from pricesync.core.config import Settings
from pricesync.core.diff import diff_catalog
from pricesync.core.errors import CatalogError
from pricesync.core.models import Catalog, CatalogDiff
from pricesync.core.paths import catalog_path
from pricesync.core.sources import check
from pricesync.core.state import provider_state
from pricesync.core.sync import SyncEngine

from .rowindex import RowIndex
from .rows import build_rows


@dataclass(frozen=True)
class Dataset:
    provider: str
    catalog_path: Path
    catalog: Catalog | None = None
    cache: PriceCache | None = None
    diff: CatalogDiff | None = None
    index: RowIndex | None = None  # over the catalog rows plus the cache's added ones
    state: dict = field(default_factory=dict)  # core.state.provider_state
    error: str | None = None  # the catalog could not be loaded
    problems: tuple[str, ...] = ()  # a damaged cache or state file
    sync_blocker: str | None = None  # why this provider cannot sync here, if it cannot

    @property
    def total(self) -> int:
        return len(self.index.rows) if self.index else 0


def sync_blocker(settings: Settings, provider: str) -> str | None:
    """None if `provider` has a working source, else the engine's one-line reason."""
    return check(settings, provider)


def load_dataset(engine: SyncEngine, provider: str) -> Dataset:
    data = engine.settings.data_dir
    base = Dataset(provider, catalog_path(data, provider), sync_blocker=sync_blocker(engine.settings, provider))
    problems: list[str] = []
    try:
        state = provider_state(data, provider)
    except CatalogError as exc:
        problems.append(str(exc))
        state = {}
    try:
        catalog = engine.catalog(provider)
    except CatalogError as exc:
        return replace(base, state=state, error=str(exc), problems=tuple(problems))
    try:
        cache = engine.cache(provider)
    except CatalogError as exc:
        problems.append(str(exc))
        cache = None
    diff = diff_catalog(catalog, cache.records, cache.regions) if cache is not None else None
    return replace(
        base,
        catalog=catalog,
        cache=cache,
        diff=diff,
        state=state,
        index=RowIndex(build_rows(catalog, diff)),
        problems=tuple(problems),
    )
