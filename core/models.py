"""Value types shared by the engine, the CLI and the TUI.

Prices are decimal strings exactly as the source gave them ("0.0960000000"); they are
compared with `decimal.Decimal` and never pass through a binary float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

PROVIDERS = ("aws", "azure", "gcp")
HOURS_PER_MONTH = 730  # the cloud providers' own convention for monthly estimates
SCHEMA_VERSION = 1

Key = tuple[str, str, str]  # (instance_type, region, os)
_PRICE_RE = re.compile(r"[0-9]+(\.[0-9]+)?")
SyncStatus = Literal["updated", "unchanged", "failed", "busy"]


def is_price_string(value: object) -> bool:
    """A plain decimal string ("0.0960000000"). Decimal() also takes "1e-3", "Infinity" and
    non-ASCII digits, which a catalog must never hold."""
    return isinstance(value, str) and _PRICE_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class PriceRecord:
    """One on-demand hourly price as fetched from a source."""

    instance_type: str
    region: str
    os: str
    price_per_hour: str
    currency: str
    family: str | None = None
    vcpu: int | None = None
    memory_gib: float | None = None
    gpu: int | None = None
    arch: str | None = None

    @property
    def key(self) -> Key:
        return (self.instance_type, self.region, self.os)

    def to_json(self) -> dict:
        return {
            "instance_type": self.instance_type,
            "region": self.region,
            "os": self.os,
            "price_per_hour": self.price_per_hour,
            "currency": self.currency,
            "family": self.family,
            "vcpu": self.vcpu,
            "memory_gib": self.memory_gib,
            "gpu": self.gpu,
            "arch": self.arch,
        }


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One row of a catalog. `price_per_hour` is None until the first write-back."""

    instance_type: str
    family: str | None
    region: str
    os: str
    vcpu: int | None
    memory_gib: float | None
    gpu: int | None
    arch: str | None
    price_per_hour: str | None = None
    price_synced_at: str | None = None
    available: bool = True

    @property
    def key(self) -> Key:
        return (self.instance_type, self.region, self.os)

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def with_record(self, rec: PriceRecord, synced_at: str) -> CatalogEntry:
        """This entry with the record's price and any specs the record knows."""
        return replace(
            self,
            price_per_hour=rec.price_per_hour,
            price_synced_at=synced_at,
            available=True,
            family=rec.family if rec.family is not None else self.family,
            vcpu=rec.vcpu if rec.vcpu is not None else self.vcpu,
            memory_gib=rec.memory_gib if rec.memory_gib is not None else self.memory_gib,
            gpu=rec.gpu if rec.gpu is not None else self.gpu,
            arch=rec.arch if rec.arch is not None else self.arch,
        )

    @classmethod
    def from_record(cls, rec: PriceRecord, synced_at: str) -> CatalogEntry:
        return cls(
            instance_type=rec.instance_type,
            family=rec.family,
            region=rec.region,
            os=rec.os,
            vcpu=rec.vcpu,
            memory_gib=rec.memory_gib,
            gpu=rec.gpu,
            arch=rec.arch,
            price_per_hour=rec.price_per_hour,
            price_synced_at=synced_at,
            available=True,
        )


@dataclass(frozen=True, slots=True)
class SourceInfo:
    mode: str
    version: str | None = None
    publication_date: str | None = None

    def to_json(self) -> dict:
        return {"mode": self.mode, "version": self.version, "publication_date": self.publication_date}


@dataclass(frozen=True, slots=True)
class Catalog:
    provider: str
    currency: str
    updated_at: str | None
    source: SourceInfo
    entries: tuple[CatalogEntry, ...]
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "provider": self.provider,
            "currency": self.currency,
            "updated_at": self.updated_at,
            "source": self.source.to_json(),
            "entries": [e.to_json() for e in self.entries],
        }

    def regions(self) -> list[str]:
        return sorted({e.region for e in self.entries})


@dataclass(frozen=True, slots=True)
class PriceChange:
    key: Key
    old: str | None
    new: str

    @property
    def pct(self) -> float | None:
        if self.old is None or Decimal(self.old) == 0:
            return None
        return float((Decimal(self.new) - Decimal(self.old)) / Decimal(self.old) * 100)

    def to_json(self) -> dict:
        itype, region, os_ = self.key
        pct = self.pct
        return {
            "instance_type": itype,
            "region": region,
            "os": os_,
            "old": self.old,
            "new": self.new,
            "pct": None if pct is None else round(pct, 4),
        }


@dataclass(frozen=True, slots=True)
class CatalogDiff:
    """What merging a fetch into a catalog would do."""

    added: tuple[PriceRecord, ...] = ()
    changed: tuple[PriceChange, ...] = ()
    missing: tuple[Key, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.missing)


@dataclass(frozen=True, slots=True)
class SyncResult:
    provider: str
    mode: str
    status: SyncStatus
    regions: tuple[str, ...] = ()
    records: int = 0
    added: int = 0
    changed: int = 0
    missing: int = 0
    wrote_back: bool = False
    duration_s: float = 0.0
    error: str | None = None
    source_version: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    changes: tuple[PriceChange, ...] = ()
    warnings: tuple[str, ...] = ()  # one line each: a forced guard, an unrecorded history, ...

    def to_json(self) -> dict:
        return {
            "provider": self.provider,
            "mode": self.mode,
            "status": self.status,
            "regions": list(self.regions),
            "records": self.records,
            "added": self.added,
            "changed": self.changed,
            "missing": self.missing,
            "wrote_back": self.wrote_back,
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
            "source_version": self.source_version,
            "skipped": dict(self.skipped),
            "warnings": list(self.warnings),
        }
