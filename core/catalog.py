"""`<provider>_catalog.json`: load with validation, atomic locked write, first-run copy.

The schema is documented in README.md ("Catalog format").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from . import wire
from .errors import CatalogError
from .fileio import atomic_write_bytes, decode_json, exclusive, json_bytes, lock_path, read_bytes, regular_file_exists
from .models import (
    PROVIDERS,
    READABLE_SCHEMAS,
    Catalog,
    CatalogEntry,
    Key,
    PriceRecord,
    SourceInfo,
    is_currency,
    is_instance_type,
    is_price_string,
    is_region,
    kind_prices,
    kind_prices_problem,
)
from .paths import catalog_path, writable_data_dir
from .specs import specs_from_json, specs_problem

WRITE_LOCK_WAIT_S = 10.0

_OPTIONAL_STR = (str, type(None))
_SPEC_TYPES: dict[str, tuple[type, ...]] = {
    "instance_type": (str,),
    "family": _OPTIONAL_STR,
    "region": (str,),
    "os": (str,),
    "vcpu": (int, type(None)),
    "memory_gib": (int, float, type(None)),
    "gpu": (int, type(None)),
    "arch": _OPTIONAL_STR,
}
# a catalog entry, and a price record (the price cache): the same rules for the fields they share
_ENTRY_TYPES = _SPEC_TYPES | {"price_per_hour": _OPTIONAL_STR, "price_synced_at": _OPTIONAL_STR, "available": (bool,)}
_RECORD_TYPES = _SPEC_TYPES | {"price_per_hour": (str,), "currency": (str,)}


# the identifiers every source's selection accepts (core.models); os: the same characters as a region
_IDENTIFIERS = {"instance_type": is_instance_type, "region": is_region, "os": is_region, "currency": is_currency}
QUOTE_MAX = 40  # characters of a refused value quoted in an error


def _quoted(value: object) -> str:
    """repr(value), cut to QUOTE_MAX characters: a 5,000-digit price makes no 5,000-character line."""
    text = repr(value)
    return text if len(text) <= QUOTE_MAX else f"{text[:QUOTE_MAX]}… ({len(text)} characters)"


def _checked(obj: object, where: str, types: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """The fields of `obj` after the catalog's rules: every field present with its type (a bool
    is never a number), identifiers in the sources' character sets, prices plain decimal strings
    within the limits, memory a finite number >= 0. (Each value has a type of `types`, checked
    here at run time from the table: Any to a type checker.)"""
    if not isinstance(obj, dict):
        raise CatalogError(f"{where} is not an object")
    for name, allowed in types.items():
        if name not in obj:
            raise CatalogError(f"{where} has no '{name}'")
        value = obj[name]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise CatalogError(f"{where} '{name}' has the wrong type ({type(value).__name__})")
    for name, valid in _IDENTIFIERS.items():
        if name in obj and not valid(obj[name]):
            raise CatalogError(f"{where} {name} {_quoted(obj[name])} is not a valid identifier")
    price = obj["price_per_hour"]
    if price is not None and not is_price_string(price):
        raise CatalogError(f"{where} price_per_hour {_quoted(price)} is not a decimal string within the limits")
    mem = obj["memory_gib"]
    if mem is not None:
        try:
            mem = float(mem)
        except OverflowError:  # an integer too large for a float
            mem = math.inf
        if not (math.isfinite(mem) and mem >= 0):
            raise CatalogError(f"{where} memory_gib {mem!r} is not a finite number >= 0")
    for name in ("vcpu", "gpu"):
        if obj[name] is not None and obj[name] < 0:
            raise CatalogError(f"{where} {name} {obj[name]!r} is negative")
    fields = {name: obj[name] for name in types} | {"memory_gib": mem}
    if "prices" in obj:  # optional: absent in schema 1 and where an entry has on-demand only
        problem = kind_prices_problem(obj["prices"])
        if problem:
            raise CatalogError(f"{where} {problem}")
        fields["prices"] = kind_prices(obj["prices"])
    specs = obj.get("specs")
    if specs is not None:  # optional: absent (or null) where nothing is known
        problem = specs_problem(specs)
        if problem:
            raise CatalogError(f"{where} {problem}")
        fields["specs"] = specs_from_json(specs)
    return fields


def _entry(obj: object, where: str) -> CatalogEntry:
    return CatalogEntry(**_checked(obj, where, _ENTRY_TYPES))


def parse_record(obj: object, where: str) -> PriceRecord:
    """A price record (from the cache or a source) checked with the catalog's own rules."""
    fields = _checked(obj, where, _RECORD_TYPES)
    sku = obj.get("sku") if isinstance(obj, dict) else None
    if sku is not None:
        if not is_instance_type(sku):  # AWS SKUs are 16 letters and digits
            raise CatalogError(f"{where} sku {_quoted(sku)} is not a valid identifier")
        fields["sku"] = sku
    return PriceRecord(**fields)


def check_records(
    records: Sequence[PriceRecord], where: Callable[[PriceRecord], str]
) -> tuple[list[PriceRecord], list[str]]:
    """The records that pass the catalog's rules, and one line per record that does not (`where`
    names it). All at once in C when every one passes, else one by one to name the problems."""
    try:
        wire.wire_records(records)
    except wire.Refused:
        pass
    else:
        return list(records), []
    valid, problems = [], []
    for rec in records:
        try:
            valid.append(parse_record(rec.to_json(), where(rec)))
        except CatalogError as exc:
            problems.append(str(exc))
    return valid, problems


def parse_catalog(obj: object, where: str, provider: str | None = None) -> Catalog:
    """Validate a decoded catalog; errors name `where` and the first problem found."""
    if not isinstance(obj, dict):
        raise CatalogError(f"{where}: not a JSON object")
    if obj.get("schema_version") not in READABLE_SCHEMAS or isinstance(obj.get("schema_version"), bool):
        raise CatalogError(f"{where}: schema_version {_quoted(obj.get('schema_version'))} is not one of 1, 2")
    if obj.get("provider") not in PROVIDERS or (provider and obj["provider"] != provider):
        raise CatalogError(f"{where}: provider {obj.get('provider')!r} is not {provider or '/'.join(PROVIDERS)}")
    if not isinstance(obj.get("currency"), str):
        raise CatalogError(f"{where}: 'currency' is missing")
    src = obj.get("source")
    if not isinstance(src, dict) or not isinstance(src.get("mode"), str):
        raise CatalogError(f"{where}: 'source' must be an object with a 'mode'")
    entries = obj.get("entries")
    if not isinstance(entries, list):
        raise CatalogError(f"{where}: 'entries' must be a list")
    parsed = tuple(_entry(e, f"{where}: entries[{i}]") for i, e in enumerate(entries))
    seen: set[Key] = set()
    for e in parsed:
        if e.key in seen:
            raise CatalogError(f"{where}: duplicate entry {'/'.join(e.key)}")
        seen.add(e.key)
    return Catalog(
        provider=obj["provider"],
        currency=obj["currency"],
        updated_at=obj.get("updated_at"),
        source=SourceInfo(src["mode"], src.get("version"), src.get("publication_date")),
        entries=parsed,
    )


def load_catalog(path: Path, provider: str | None = None) -> Catalog:
    """The catalog at `path`, checked: typed in C (core.wire) for a sound file, else field by
    field with `parse_catalog`, which names the first problem."""
    data = read_bytes(path, "catalog")
    try:
        return wire.catalog(data, provider)
    except wire.Refused:
        return parse_catalog(decode_json(data, path, "catalog"), str(path), provider)


def bundled_catalog_file(provider: str) -> Traversable:
    return resources.files(__package__) / "data" / f"{provider}_catalog.json"


def _write_lock(path: Path) -> AbstractContextManager[None]:
    return exclusive(lock_path(path), wait_s=WRITE_LOCK_WAIT_S, busy_message=f"{path} is being written")


def ensure_catalog(data: Path, provider: str) -> Path:
    """Return the data dir's catalog path, copying the bundled catalog there on first run
    (through the atomic writer, like every other write)."""
    path = catalog_path(data, provider)
    if regular_file_exists(path, "catalog"):
        return path
    writable_data_dir(data)
    with _write_lock(path):
        if not regular_file_exists(path, "catalog"):
            atomic_write_bytes(path, bundled_catalog_file(provider).read_bytes())
    return path


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Atomically replace the catalog under its lock, keeping the old one as `.bak`. The new
    catalog is first checked with the loader's own rules: a write never produces a file that
    `load_catalog` would refuse."""
    try:
        data = wire.catalog_json(catalog)
    except wire.Refused:  # the field-by-field checks name the problem, or pass a rare value the types refuse
        obj = catalog.to_json()
        parse_catalog(obj, f"{path} (not written)", catalog.provider)
        data = json_bytes(obj, path)
    with _write_lock(path):
        atomic_write_bytes(path, data, backup=True)
