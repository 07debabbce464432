"""`<provider>_catalog.json`: load with validation, atomic locked write, first-run copy.

The schema is documented in README.md ("Catalog format").
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .errors import CatalogError
from .fileio import atomic_write_json, exclusive, lock_path, read_json
from .models import PROVIDERS, SCHEMA_VERSION, Catalog, CatalogEntry, SourceInfo, is_price_string
from .paths import catalog_path

WRITE_LOCK_WAIT_S = 10.0

_ENTRY_TYPES: dict[str, tuple[type, ...]] = {
    "instance_type": (str,),
    "family": (str, type(None)),
    "region": (str,),
    "os": (str,),
    "vcpu": (int, type(None)),
    "memory_gib": (int, float, type(None)),
    "gpu": (int, type(None)),
    "arch": (str, type(None)),
    "price_per_hour": (str, type(None)),
    "price_synced_at": (str, type(None)),
    "available": (bool,),
}


def _entry(obj: object, where: str) -> CatalogEntry:
    if not isinstance(obj, dict):
        raise CatalogError(f"{where} is not an object")
    for name, types in _ENTRY_TYPES.items():
        if name not in obj:
            raise CatalogError(f"{where} has no '{name}'")
        value = obj[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise CatalogError(f"{where} '{name}' has the wrong type ({type(value).__name__})")
    price = obj["price_per_hour"]
    if price is not None and not is_price_string(price):
        raise CatalogError(f"{where} price_per_hour {price!r} is not a decimal string")
    mem = obj["memory_gib"]
    return CatalogEntry(**{name: obj[name] for name in _ENTRY_TYPES} | {"memory_gib": None if mem is None else float(mem)})


def parse_catalog(obj: object, where: str, provider: str | None = None) -> Catalog:
    """Validate a decoded catalog; errors name `where` and the first problem found."""
    if not isinstance(obj, dict):
        raise CatalogError(f"{where}: not a JSON object")
    if obj.get("schema_version") != SCHEMA_VERSION:
        raise CatalogError(f"{where}: schema_version {obj.get('schema_version')!r} is not {SCHEMA_VERSION}")
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
    seen: set = set()
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
    return parse_catalog(read_json(path, "catalog"), str(path), provider)


def bundled_catalog_file(provider: str):
    return resources.files("core") / "data" / f"{provider}_catalog.json"


def ensure_catalog(data: Path, provider: str) -> Path:
    """Return the data dir's catalog path, copying the bundled catalog there on first run."""
    path = catalog_path(data, provider)
    if path.exists():
        return path
    try:
        data.mkdir(parents=True, exist_ok=True)
        with resources.as_file(bundled_catalog_file(provider)) as src, exclusive(
            lock_path(path), wait_s=WRITE_LOCK_WAIT_S, busy_message=f"{path} is being written"
        ):
            if not path.exists():
                tmp = path.with_name(f".{path.name}.first")
                shutil.copyfile(src, tmp)
                tmp.chmod(0o644)
                tmp.replace(path)
    except OSError as exc:
        raise CatalogError(f"cannot create {path}: {exc.strerror or exc}") from exc
    return path


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Atomically replace the catalog under its lock, keeping the old one as `.bak`."""
    with exclusive(lock_path(path), wait_s=WRITE_LOCK_WAIT_S, busy_message=f"{path} is being written"):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer killed mid-write
            stale.unlink(missing_ok=True)
        atomic_write_json(path, catalog.to_json(), backup=True)
