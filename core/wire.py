"""The catalog's and the price cache's JSON documents as msgspec types: the fast path of their
loaders and writers (an all-regions catalog is ~300k entries, ~90 MB).

Decoding into these types checks every field's presence, type (a bool is never a number) and
numeric range in C; the rules no type states (the identifiers' characters, the price strings,
the kinds, unique keys) are checked once per distinct value. What these types refuse goes to
the field-by-field checks of core.catalog and core.cache, which name the first problem in one
line and accept everything these types accept: the fast path never admits more, it only skips
the per-field Python work for a sound file. The cyclic garbage collector is paused while the
objects are built: they hold no cycles, and a collection every few hundred of the millions of
new objects costs as much as the parse.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta, Struct

from .kinds import KINDS
from .models import (
    PRICE_STRING_RE,
    PROVIDERS,
    READABLE_SCHEMAS,
    Catalog,
    CatalogEntry,
    KindPrice,
    PriceRecord,
    SourceInfo,
    is_currency,
    is_instance_type,
    is_region,
    is_spot_band,
    is_time_text,
)

_Count = Annotated[int, Meta(ge=0)]
_Memory = Annotated[float, Meta(ge=0, le=sys.float_info.max)]  # finite: never inf or nan
_Percent = Annotated[int, Meta(ge=0, le=100)]


class WireKindPrice(Struct, forbid_unknown_fields=True, omit_defaults=True):
    hourly: str
    upfront: str
    effective_hourly: str
    fetched_at: str | None = None
    interruption: str | None = None
    savings_pct: _Percent | None = None


_Prices = dict[str, WireKindPrice]  # absent (and not written) where empty: on demand only; never null


class WireEntry(Struct, omit_defaults=True):
    """A catalog entry: CatalogEntry's fields in its order, every one but `prices` required."""

    instance_type: str
    family: str | None
    region: str
    os: str
    vcpu: _Count | None
    memory_gib: _Memory | None
    gpu: _Count | None
    arch: str | None
    price_per_hour: str | None
    price_synced_at: str | None
    available: bool
    prices: _Prices = {}


class WireRecord(Struct, omit_defaults=True):
    """A price record of the cache: PriceRecord's fields in its order."""

    instance_type: str
    region: str
    os: str
    price_per_hour: str
    currency: str
    family: str | None
    vcpu: _Count | None
    memory_gib: _Memory | None
    gpu: _Count | None
    arch: str | None
    prices: _Prices = {}
    sku: str | None = None


class WireSource(Struct):
    mode: str
    version: str | None = None
    publication_date: str | None = None


class WireCatalog(Struct, kw_only=True):
    """A catalog: Catalog.to_json's fields in its order."""

    schema_version: int
    provider: str
    currency: str
    updated_at: str | None = None
    source: WireSource
    entries: list[WireEntry]


class WireCache(Struct):
    """A price cache: PriceCache.to_json's fields in its order."""

    schema_version: int
    provider: str
    mode: str
    fetched_at: str
    source_version: str | None
    regions: dict[str, dict[str, Any]]
    records: list[WireRecord]


class Refused(Exception):
    """The fast path refuses: the field-by-field checks decide, and name the problem."""


class _GcPause:
    """`with gc_paused:` the cyclic garbage collector is off for the block (nested and
    concurrent blocks included), and back on after the last one if it was on before the first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


gc_paused = _GcPause()


_T = TypeVar("_T")


def decode(data: bytes, wire_type: type[_T]) -> _T:
    """`data` decoded into `wire_type`; Refused if it is not JSON of that shape."""
    try:
        return msgspec.json.decode(data, type=wire_type)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise Refused from None


def convert(value: object, wire_type: type[_T]) -> _T:
    """Value objects (dataclasses) -> `wire_type`, with the same checks as `decode`."""
    try:
        return msgspec.convert(value, wire_type, from_attributes=True)
    except msgspec.ValidationError:
        raise Refused from None


def encode(doc: Struct) -> bytes:
    """The document as the files have always been written: `json.dumps(indent=1,
    ensure_ascii=False)`'s layout, UTF-8, a final newline."""
    try:
        return msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n"
    except UnicodeEncodeError:  # a lone surrogate: the field-by-field path says it cannot be written
        raise Refused from None


def _holds(check: Callable[[Any], object], values: Iterable[object]) -> None:
    if not all(map(check, values)):
        raise Refused


def check_rows(rows: Sequence[WireEntry] | Sequence[WireRecord]) -> None:
    """The catalog's rules no type states, for entries or records: identifiers in the sources'
    character sets, prices plain decimal strings within the limits, kinds from core.kinds with
    their spot fields in shape. Raises Refused at the first one broken."""
    _holds(is_instance_type, {r.instance_type for r in rows})
    _holds(is_region, {r.region for r in rows} | {r.os for r in rows})
    _holds(PRICE_STRING_RE.fullmatch, {r.price_per_hour for r in rows} - {None})
    priced = [r.prices for r in rows if r.prices]
    if priced:
        _holds(KINDS.__contains__, {kind for prices in priced for kind in prices})
        kind_prices = [p for prices in priced for p in prices.values()]
        _holds(PRICE_STRING_RE.fullmatch, {p.hourly for p in kind_prices} | {p.upfront for p in kind_prices})
        _holds(PRICE_STRING_RE.fullmatch, {p.effective_hourly for p in kind_prices})
        _holds(is_time_text, {p.fetched_at for p in kind_prices} - {None})
        _holds(is_spot_band, {p.interruption for p in kind_prices} - {None})


def _check_catalog(doc: WireCatalog, provider: str | None) -> None:
    if doc.schema_version not in READABLE_SCHEMAS or doc.provider not in PROVIDERS:
        raise Refused
    if provider and doc.provider != provider:
        raise Refused
    check_rows(doc.entries)
    if len({(e.instance_type, e.region, e.os) for e in doc.entries}) != len(doc.entries):
        raise Refused  # a duplicate entry


_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def _in_kinds_order(item: tuple[str, WireKindPrice]) -> int:
    return _KIND_ORDER[item[0]]


def _kind_prices(prices: _Prices) -> dict[str, KindPrice]:
    """Wire prices -> KindPrice per kind, in KINDS order (as core.models.kind_prices)."""
    return {
        kind: KindPrice(p.hourly, p.upfront, p.effective_hourly, p.fetched_at, p.interruption, p.savings_pct)
        for kind, p in sorted(prices.items(), key=_in_kinds_order)
    }


def catalog(data: bytes, provider: str | None) -> Catalog:
    """The catalog in `data` if it passes every rule of core.catalog.parse_catalog; else Refused."""
    with gc_paused:
        doc = decode(data, WireCatalog)
        _check_catalog(doc, provider)
        entries = tuple(
            CatalogEntry(
                e.instance_type,
                e.family,
                e.region,
                e.os,
                e.vcpu,
                e.memory_gib,
                e.gpu,
                e.arch,
                e.price_per_hour,
                e.price_synced_at,
                e.available,
                _kind_prices(e.prices) if e.prices else {},
            )
            for e in doc.entries
        )
    src = doc.source
    source = SourceInfo(src.mode, src.version, src.publication_date)
    return Catalog(doc.provider, doc.currency, doc.updated_at, source, entries)


def catalog_json(value: Catalog) -> bytes:
    """The file `value` is written as, if it passes every rule the loader checks; else Refused."""
    with gc_paused:
        doc = convert(value, WireCatalog)
        _check_catalog(doc, None)
        return encode(doc)


def records(rows: list[WireRecord]) -> tuple[PriceRecord, ...]:
    """Checked wire records (`check_rows`) -> PriceRecords."""
    with gc_paused:
        return tuple(
            PriceRecord(
                r.instance_type,
                r.region,
                r.os,
                r.price_per_hour,
                r.currency,
                r.family,
                r.vcpu,
                r.memory_gib,
                r.gpu,
                r.arch,
                _kind_prices(r.prices) if r.prices else {},
                r.sku,
            )
            for r in rows
        )


def check_records(rows: Sequence[WireRecord]) -> None:
    """`check_rows` and the fields only a record has: its currency and its SKU."""
    check_rows(rows)
    _holds(is_currency, {r.currency for r in rows})
    _holds(is_instance_type, {r.sku for r in rows} - {None})  # AWS SKUs are 16 letters and digits


def wire_records(values: Sequence[PriceRecord]) -> list[WireRecord]:
    """PriceRecords -> wire records, if every one passes the catalog's rules; else Refused."""
    with gc_paused:
        rows = convert(values, list[WireRecord])
        check_records(rows)
        return rows
