"""Everything the dashboard shows about one provider: core's snapshot of it, and the row index
the table, the filter and the sort work on. Loading never raises for bad files (see
pricesync.core.Snapshot). No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pricesync.core import ON_DEMAND, Catalog, CatalogDiff, PriceCache, Snapshot, SyncEngine

from .rowindex import RowIndex
from .rows import build_rows


@dataclass(frozen=True)
class Dataset:
    snapshot: Snapshot
    index: RowIndex | None = None  # over the catalog rows plus the cache's added ones

    @classmethod
    def loading(cls, engine: SyncEngine, provider: str) -> Dataset:
        """What is shown while the provider's catalog loads."""
        return cls(Snapshot(provider, engine.catalog_path(provider)))

    @property
    def provider(self) -> str:
        return self.snapshot.provider

    @property
    def catalog_path(self) -> Path:
        return self.snapshot.catalog_path

    @property
    def catalog(self) -> Catalog | None:
        return self.snapshot.catalog

    @property
    def cache(self) -> PriceCache | None:
        return self.snapshot.cache

    @property
    def diff(self) -> CatalogDiff | None:
        return self.snapshot.diff

    @property
    def error(self) -> str | None:
        return self.snapshot.error

    @property
    def total(self) -> int:
        return len(self.index.rows) if self.index else 0

    @property
    def kind(self) -> str:
        """The price kind of the price columns."""
        return self.index.rows.kind if self.index else ON_DEMAND

    def with_kind(self, kind: str) -> Dataset:
        """The same snapshot, its prices of `kind` (a thread worker for a big catalog)."""
        if self.snapshot.catalog is None:
            return self
        like = self.index.rows if self.index is not None else None  # the same snapshot's rows
        return Dataset(self.snapshot, RowIndex(build_rows(self.snapshot.catalog, self.snapshot.diff, kind, like)))


def load_dataset(engine: SyncEngine, provider: str, kind: str = ON_DEMAND) -> Dataset:
    """The provider's snapshot and its row index, prices of `kind` (a thread worker: this reads
    and parses files)."""
    return Dataset(engine.snapshot(provider)).with_kind(kind)
