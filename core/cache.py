"""`<provider>_cache.json`: every record of the latest successful fetch, per region.

The TUI shows it as "pending" beside the catalog; write-back applies it. Unchanged regions
are carried over from the previous cache, so the cache always covers every synced region.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import parse_record
from .errors import CatalogError
from .fileio import atomic_write_json, decode_json, read_bytes, regular_file_exists
from .models import JsonObject, PriceRecord
from .paths import cache_path

CACHE_SCHEMA = 2  # written; 1 (records without `prices`) is still read
_READABLE = (1, 2)
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "schema_version": int,
    "provider": str,
    "mode": str,
    "fetched_at": str,
    "source_version": (str, type(None)),
    "regions": dict,
    "records": list,
}


@dataclass(frozen=True, slots=True)
class PriceCache:
    provider: str
    mode: str
    fetched_at: str
    source_version: str | None
    regions: dict[str, JsonObject]  # region -> {"version", "publication_date", "count", "fetched_at"}
    records: tuple[PriceRecord, ...]
    # sha256 of the file it was loaded from (None: not loaded from a file); a write-back compares it
    fingerprint: str | None = field(default=None, compare=False)

    def by_region(self, region: str) -> list[PriceRecord]:
        return [r for r in self.records if r.region == region]

    def to_json(self) -> JsonObject:
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
    """The cache, or None if there is none yet. A damaged cache is an error naming the file and
    the first problem, not None: its records pass the catalog's own rules or nothing is used."""
    path = cache_path(data, provider)
    if not regular_file_exists(path, "price cache"):
        return None
    raw = read_bytes(path, "price cache")
    obj = decode_json(raw, path, "price cache")
    where = f"price cache {path}"
    if not isinstance(obj, dict):
        raise CatalogError(f"{where} has the wrong shape (not a JSON object)")
    for name, allowed in _FIELDS.items():
        if not isinstance(obj.get(name), allowed) or isinstance(obj.get(name), bool):
            raise CatalogError(f"{where} has the wrong shape ('{name}' is missing or has the wrong type)")
    if obj["schema_version"] not in _READABLE or obj["provider"] != provider:
        raise CatalogError(f"{where} is for another schema or provider")
    regions = obj["regions"]
    if not all(isinstance(r, str) and isinstance(v, dict) for r, v in regions.items()):
        raise CatalogError(f"{where} has the wrong shape ('regions' must map names to objects)")
    records = tuple(parse_record(r, f"{where}: records[{i}]") for i, r in enumerate(obj["records"]))
    return PriceCache(
        provider=provider,
        mode=obj["mode"],
        fetched_at=obj["fetched_at"],
        source_version=obj["source_version"],
        regions=dict(regions),
        records=records,
        fingerprint=hashlib.sha256(raw).hexdigest(),
    )


def write_cache(data: Path, cache: PriceCache) -> None:
    atomic_write_json(cache_path(data, cache.provider), cache.to_json())
