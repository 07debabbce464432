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
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field, fields, make_dataclass
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, is_not
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct
from msgspec.structs import astuple

from .kinds import KINDS
from .models import (
    INSTANCE_TYPE_RE,
    PRICE_STRING_RE,
    PROVIDERS,
    READABLE_SCHEMAS,
    REGION_RE,
    UPFRONT_STRING_RE,
    Catalog,
    CatalogEntry,
    KindPrice,
    PriceRecord,
    SourceInfo,
    is_currency,
    is_interruption_band,
    is_time_text,
)
from .specs import MAX_CLOCK_GHZ, MAX_NETWORK_GBPS, MAX_STORAGE_GB, SPEC_TEXT_MAX, TEXT_SPECS, Specs

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
_SpecText = Annotated[str, Meta(min_length=1, max_length=SPEC_TEXT_MAX)]  # printable: checked in check_rows


class WireSpecs(Struct, omit_defaults=True):
    """core.specs.Specs in its order: only the known ones are written; other keys are ignored,
    as core.specs.specs_problem ignores them."""

    current_generation: bool | None = None
    processor: _SpecText | None = None
    processor_features: _SpecText | None = None
    clock: _SpecText | None = None
    clock_ghz: Annotated[float, Meta(ge=0, le=MAX_CLOCK_GHZ)] | None = None
    network: _SpecText | None = None
    network_gbps: Annotated[float, Meta(ge=0, le=MAX_NETWORK_GBPS)] | None = None
    storage: _SpecText | None = None
    storage_gb: Annotated[float, Meta(ge=0, le=MAX_STORAGE_GB)] | None = None
    storage_type: Literal["nvme", "ssd", "hdd", "ebs-only"] | None = None


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
    specs: WireSpecs | None = None


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
    specs: WireSpecs | None = None


class WireSource(Struct):
    mode: str
    version: str | None = None
    publication_date: str | None = None


_Row = TypeVar("_Row")


class WireCatalog(Struct, Generic[_Row], kw_only=True):
    """A catalog: Catalog.to_json's fields in its order."""

    schema_version: int
    provider: str
    currency: str
    updated_at: str | None = None
    source: WireSource
    entries: list[_Row]


class WireCache(Struct, Generic[_Row]):
    """A price cache: PriceCache.to_json's fields in its order."""

    schema_version: int
    provider: str
    mode: str
    fetched_at: str
    source_version: str | None
    regions: dict[str, dict[str, Any]]
    records: list[_Row]


def _decoded_as(value_type: type, wire_type: type[Struct], types: dict[str, Any] | None = None) -> Any:
    """A dataclass to decode rows of `value_type` into: `wire_type`'s types (or `types`' for
    the fields it names), required fields and defaults (a field with a default in `value_type`
    may still be required in the file) in `value_type`'s slots, so that a decoded row becomes a
    `value_type` in place (`_become`). Building the values while decoding costs a third of
    building them afterwards."""
    specs: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(wire_type):
        kind = (types or {}).get(f.name, f.type)
        if f.default_factory is not msgspec.NODEFAULT:
            specs.append((f.name, kind, field(default_factory=f.default_factory)))
        else:
            specs.append((f.name, kind, field() if f.required else field(default=f.default)))
    if [s[0] for s in specs] != [f.name for f in fields(value_type)]:
        raise TypeError(f"{wire_type.__name__} does not have {value_type.__name__}'s fields in its order")
    return make_dataclass(f"Decoded{value_type.__name__}", specs, frozen=True, slots=True)


_DecodedSpecs = _decoded_as(Specs, WireSpecs)
_DecodedEntry = _decoded_as(CatalogEntry, WireEntry, {"specs": _DecodedSpecs | None})
_DecodedRecord = _decoded_as(PriceRecord, WireRecord, {"specs": _DecodedSpecs | None})
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def _in_kinds_order(item: tuple[str, WireKindPrice]) -> int:
    return _KIND_ORDER[item[0]]


def _kind_prices(prices: _Prices) -> dict[str, KindPrice]:
    """Wire prices -> KindPrice per kind, in KINDS order (as core.models.kind_prices)."""
    items = prices.items()
    order = [_KIND_ORDER[kind] for kind in prices]
    if order != sorted(order):  # written by pricesync: already in order
        items = sorted(items, key=_in_kinds_order)  # type: ignore[assignment]
    return {kind: KindPrice(*astuple(p)) for kind, p in items}


def _become(value_type: type, rows: list[Any]) -> None:
    """Each decoded row becomes a `value_type` (the same slots: nothing is copied), its kind
    prices KindPrice values and its specs Specs. Only for rows of `_decoded_as(value_type, ...)`."""
    set_field = object.__setattr__  # the rows are frozen dataclasses: this is their construction
    deque(map(set_field, rows, repeat("__class__"), repeat(value_type)), maxlen=0)
    for row in compress(rows, _column(rows, "prices")):
        set_field(row, "prices", _kind_prices(row.prices))
    specs = list(filter(_not_none, _column(rows, "specs")))
    deque(map(set_field, specs, repeat("__class__"), repeat(Specs)), maxlen=0)


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


def _each_matches(pattern: re.Pattern[str]) -> Callable[[list[str]], bool]:
    """A check that every string of a list matches `pattern` whole, in one regex pass over the
    strings joined by newlines (which no value of these patterns holds: a value holding one
    adds a line, and the count of lines tells)."""
    lines = re.compile(f"(?:{pattern.pattern}\n)*+")

    def check(values: list[str]) -> bool:
        text = "".join(values[:1] and ["\n".join(values), "\n"])
        return text.count("\n") == len(values) and lines.fullmatch(text) is not None

    return check


_instance_types = _each_matches(INSTANCE_TYPE_RE)
_regions = _each_matches(REGION_RE)
_prices = _each_matches(PRICE_STRING_RE)
_upfronts = _each_matches(UPFRONT_STRING_RE)
_not_none = partial(is_not, None)


def _column(rows: Sequence[object], name: str) -> list[Any]:
    return list(map(attrgetter(name), rows))


def _holds(ok: bool) -> None:
    if not ok:
        raise Refused


def plain_text(data: bytes) -> bool:
    """Is every string of the JSON document `data` printable? Yes when its bytes are ASCII
    without DEL or a backslash: JSON has no raw control character in a string, and without an
    escape none can be written. Three scans at memchr speed, where checking each decoded spec
    string costs about a tenth of a big catalog's load."""
    return data.isascii() and b"\\" not in data and b"\x7f" not in data


def check_rows(rows: Sequence[Any], *, unique: bool = False, printable: bool = False) -> None:
    """The catalog's rules no type states, for entries or records (wire or decoded): identifiers
    in the sources' character sets, prices plain decimal strings within the limits, kinds from
    core.kinds with their spot fields in shape, spec descriptions printable (unless `printable`
    says every string is: `plain_text`), and with `unique` one row per key. Raises Refused at
    the first one broken."""
    types, regions, oses = _column(rows, "instance_type"), _column(rows, "region"), _column(rows, "os")
    # few distinct identifiers: their hashes, cached in the strings, serve the keys below too
    _holds(_instance_types(list(set(types))) and _regions(list(set(regions).union(oses))))
    _holds(_prices(list(filter(_not_none, _column(rows, "price_per_hour")))))
    priced = list(filter(None, _column(rows, "prices")))
    if priced:
        _holds(set().union(*priced) <= KINDS.keys())
        kind_prices = [p for prices in priced for p in prices.values()]
        _holds(all(_prices(_column(kind_prices, name)) for name in ("hourly", "effective_hourly")))
        _holds(_upfronts(_column(kind_prices, "upfront")))
        _holds(all(map(is_time_text, set(_column(kind_prices, "fetched_at")) - {None})))
        _holds(all(map(is_interruption_band, set(_column(kind_prices, "interruption")) - {None})))
    specs = [] if printable else list(filter(_not_none, _column(rows, "specs")))
    if specs:  # their types and lengths are the wire types'; printable text is checked once per value
        _holds(all(all(map(str.isprintable, set(_column(specs, name)) - {None})) for name in TEXT_SPECS))
    if unique:
        # hashes of the keys: a collision (never seen at 64 bits) only sends the file to the slow path
        _holds(len(set(map(hash, zip(types, regions, oses, strict=True)))) == len(rows))


def check_records(rows: Sequence[Any], *, printable: bool = False) -> None:
    """`check_rows` and the fields only a record has: its currency and its SKU."""
    check_rows(rows, printable=printable)
    _holds(all(map(is_currency, set(_column(rows, "currency")))))
    _holds(_instance_types(list(filter(_not_none, _column(rows, "sku")))))  # AWS SKUs: 16 letters and digits


def _check_catalog(doc: WireCatalog[Any], provider: str | None, *, printable: bool = False) -> None:
    _holds(doc.schema_version in READABLE_SCHEMAS and doc.provider in PROVIDERS)
    _holds(not provider or doc.provider == provider)
    check_rows(doc.entries, unique=True, printable=printable)


def catalog(data: bytes, provider: str | None) -> Catalog:
    """The catalog in `data` if it passes every rule of core.catalog.parse_catalog; else Refused."""
    with gc_paused:
        doc: WireCatalog[Any] = decode(data, WireCatalog[_DecodedEntry])  # type: ignore[valid-type]
        _check_catalog(doc, provider, printable=plain_text(data))
        _become(CatalogEntry, doc.entries)
    src = doc.source
    source = SourceInfo(src.mode, src.version, src.publication_date)
    return Catalog(doc.provider, doc.currency, doc.updated_at, source, tuple(doc.entries))


def catalog_json(value: Catalog) -> bytes:
    """The file `value` is written as, if it passes every rule the loader checks; else Refused."""
    with gc_paused:
        doc = convert(value, WireCatalog[WireEntry])
        _check_catalog(doc, None)
        return encode(doc)


def cache(
    data: bytes, readable: Iterable[int], provider: str
) -> tuple[WireCache[PriceRecord], tuple[PriceRecord, ...]]:
    """The cache in `data` (its records PriceRecords) if it passes every rule of core.cache's
    checks for a cache of `provider` in a `readable` schema; else Refused."""
    with gc_paused:
        doc: WireCache[Any] = decode(data, WireCache[_DecodedRecord])  # type: ignore[valid-type]
        _holds(doc.schema_version in readable and doc.provider == provider)
        check_records(doc.records, printable=plain_text(data))
        _become(PriceRecord, doc.records)
    return doc, tuple(doc.records)


def wire_records(values: Sequence[PriceRecord]) -> list[WireRecord]:
    """PriceRecords -> wire records, if every one passes the catalog's rules; else Refused."""
    with gc_paused:
        rows = convert(values, list[WireRecord])
        check_records(rows)
        return rows
