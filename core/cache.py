"""`<provider>_cache.json`: every record of the latest successful fetch, per region.

The TUI shows it as "pending" beside the catalog; write-back applies it. Unchanged regions
are carried over from the previous cache, so the cache always covers every synced region.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import CatalogError
from .fileio import atomic_write_json, read_json
from .models import PriceRecord
from .paths import cache_path

CACHE_SCHEMA = 1


@dataclass(frozen=True, slots=True)
class PriceCache:
    provider: str
    mode: str
    fetched_at: str
    source_version: str | None
    regions: dict[str, dict]  # region -> {"version", "publication_date", "count", "fetched_at"}
    records: tuple[PriceRecord, ...]

    def by_region(self, region: str) -> list[PriceRecord]:
        return [r for r in self.records if r.region == region]

    def to_json(self) -> dict:
        return {
            "schema_version": CACHE_SCHEMA,
            "provider": self.provider,
            "mode": self.mode,
            "fetched_at": self.fetched_at,
            "source_version": self.source_version,
            "regions": self.regions,
            "records": [r.to_json() for r in self.records],
        }


def load_cache(data: Path, provider: str) -> PriceCache | None:
    """The cache, or None if there is none yet. A damaged cache is an error, not None."""
    path = cache_path(data, provider)
    if not path.exists():
        return None
    obj = read_json(path, "price cache")
    try:
        if obj["schema_version"] != CACHE_SCHEMA or obj["provider"] != provider:
            raise CatalogError(f"price cache {path} is for another schema or provider")
        return PriceCache(
            provider=obj["provider"],
            mode=obj["mode"],
            fetched_at=obj["fetched_at"],
            source_version=obj.get("source_version"),
            regions=dict(obj["regions"]),
            records=tuple(PriceRecord.from_json(r) for r in obj["records"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CatalogError(f"price cache {path} has the wrong shape ({exc})") from None


def write_cache(data: Path, cache: PriceCache) -> None:
    atomic_write_json(cache_path(data, cache.provider), cache.to_json())
