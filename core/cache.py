"""`<provider>_cache.json`: every record of the latest successful fetch, per region.

The TUI shows it as "pending" beside the catalog; write-back applies it. Unchanged regions
are carried over from the previous cache, so the cache always covers every synced region.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import wire
from .catalog import parse_record
from .errors import CatalogError
from .fileio import atomic_write_bytes, decode_json, json_bytes, read_bytes, regular_file_exists
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
    the first problem, not None: its records pass the catalog's own rules or nothing is used.
    A sound cache is typed in C (core.wire); anything else is checked field by field."""
    path = cache_path(data, provider)
    if not regular_file_exists(path, "price cache"):
        return None
    raw = read_bytes(path, "price cache")
    try:
        cache = _typed(raw, provider)
    except wire.Refused:
        cache = _checked(decode_json(raw, path, "price cache"), f"price cache {path}", provider)
    return replace(cache, fingerprint=hashlib.sha256(raw).hexdigest())


def _typed(raw: bytes, provider: str) -> PriceCache:
    doc, records = wire.cache(raw, _READABLE, provider)
    return PriceCache(provider, doc.mode, doc.fetched_at, doc.source_version, doc.regions, records)


def _checked(obj: object, where: str, provider: str) -> PriceCache:
    """A decoded cache checked field by field; errors name `where` and the first problem."""
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
    return PriceCache(provider, obj["mode"], obj["fetched_at"], obj["source_version"], dict(regions), records)


def write_cache(data: Path, cache: PriceCache) -> None:
    path = cache_path(data, cache.provider)
    try:
        records = wire.wire_records(cache.records)
        doc = wire.WireCache[wire.WireRecord](
            CACHE_SCHEMA, cache.provider, cache.mode, cache.fetched_at, cache.source_version, cache.regions, records
        )
        payload = wire.encode(doc)
    except wire.Refused:  # written as before: the records are checked where they are read
        payload = json_bytes(cache.to_json(), path)
    atomic_write_bytes(path, payload)
