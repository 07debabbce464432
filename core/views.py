"""Saved views: a name for what the dashboard shows (filter, columns, sort, regions, provider,
price kind, pivot with its home region), kept in `views.json` in the data dir, opened by
`pricesync-tui --view NAME` and printed by `pricesync list --view NAME` in the same columns.

Each part is a plain named field, so a part a client cannot apply yet is kept, not lost. The
file is the data dir owner's (trusted), but it may be edited by hand: a broken one is refused
with one line naming the file and the view; it is written atomically under `views.json.lock`,
never through a link (core.fileio).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .choose import UNIT_FIELDS, decimal_text, entry_unit_price, kind_price, kind_price_text, savings_pct
from .errors import CatalogError, ConfigError
from .exports import Cell, ExportTable
from .fileio import atomic_write_json, exclusive, lock_path, read_json, regular_file_exists
from .kinds import KINDS, ON_DEMAND
from .models import PROVIDERS, CatalogDiff, CatalogEntry, Key, is_region, monthly_price
from .numbers import exact_decimal

VIEWS_FILE = "views.json"
SCHEMA = 1
LOCK_WAIT_S = 10.0
MAX_FILTER = 1000  # characters
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit"
PIVOTS = ("region",)


@dataclass(frozen=True, slots=True)
class ViewColumn:
    title: str  # as the dashboard's header and `list` show it
    field: str  # the export's header and JSON key


# The dashboard's columns, by the key a view stores (tui.cells.COLUMNS has the same keys).
VIEW_COLUMNS = {  # in the dashboard's order
    "type": ViewColumn("instance type", "instance_type"),
    "price": ViewColumn("$/hour", "price_per_hour"),
    "month": ViewColumn("$/month", "price_per_month"),
    "savings": ViewColumn("savings %", "savings_pct"),  # a kind's, against on demand: not with on demand
    "per_vcpu": ViewColumn("$/vCPU-h", "per_vcpu"),
    "per_gib": ViewColumn("$/GiB-h", "per_gib"),
    "per_gpu": ViewColumn("$/GPU-h", "per_gpu"),
    "pending": ViewColumn("pending", "pending"),
    "vcpu": ViewColumn("vCPU", "vcpu"),
    "mem": ViewColumn("mem GiB", "memory_gib"),
    "os": ViewColumn("OS", "os"),
    "region": ViewColumn("region", "region"),
    "family": ViewColumn("family", "family"),
    "arch": ViewColumn("arch", "arch"),
    "gpu": ViewColumn("GPU", "gpu"),
    "gen": ViewColumn("gen", "current_generation"),  # the richer specs (core.specs), chosen with C
    "processor": ViewColumn("processor", "processor"),
    "clock": ViewColumn("GHz", "clock_ghz"),
    "network": ViewColumn("network", "network"),
    "storage": ViewColumn("storage", "storage"),
}
SPEC_VIEW_COLUMNS = ("gen", "processor", "clock", "network", "storage")
KIND_FIELDS = {"price": "kind_price_per_hour", "month": "kind_price_per_month"}  # as a kind's export names them
DEFAULT_COLUMNS = ("type", "price", "month", "pending", "vcpu", "mem", "os", "region", "family", "arch", "gpu")


@dataclass(frozen=True)
class SavedView:
    name: str
    provider: str = "aws"
    filter: str = ""  # the dashboard's filter language, as typed
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    sort: str = "type"  # a column key
    descending: bool = False
    regions: tuple[str, ...] | None = None  # None: every region
    price_kind: str = ON_DEMAND
    pivot: str | None = None  # None, or one of PIVOTS
    pending_only: bool = False
    home: str | None = None  # the pivot's home region (its prices' Δ% against it)
    in_all_regions: bool = False  # the pivot keeps only the types priced in every region shown

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "filter": self.filter,
            "columns": list(self.columns),
            "sort": self.sort,
            "descending": self.descending,
            "regions": None if self.regions is None else list(self.regions),
            "price_kind": self.price_kind,
            "pivot": self.pivot,
            "pending_only": self.pending_only,
            "home": self.home,
            "in_all_regions": self.in_all_regions,
        }


def check_view_name(name: str) -> str:
    """`name` if a view may be called so, else ConfigError."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"a view's name must be {NAME_RULE}")
    return name


def _is_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


# a view's field -> what the file may hold for it
_CHECKS: dict[str, Callable[[object], bool]] = {
    "provider": lambda v: v in PROVIDERS,
    "filter": lambda v: isinstance(v, str) and len(v) <= MAX_FILTER,
    "columns": lambda v: isinstance(v, list) and all(map(_is_name, v)),
    "sort": _is_name,
    "descending": lambda v: isinstance(v, bool),
    "regions": lambda v: v is None or (isinstance(v, list) and all(map(is_region, v))),
    "price_kind": lambda v: isinstance(v, str) and (v == ON_DEMAND or v in KINDS),
    "pivot": lambda v: v is None or v in PIVOTS,
    "pending_only": lambda v: isinstance(v, bool),
    "home": lambda v: v is None or is_region(v),
    "in_all_regions": lambda v: isinstance(v, bool),
}


def _view(name: str, obj: object, where: str) -> SavedView:
    """A view from the file; CatalogError naming it and the field that is wrong. Keys this
    version does not know are ignored (a newer pricesync may have written them)."""
    if not _is_name(name) or not isinstance(obj, dict):
        raise CatalogError(f"{where}: a view must be named ({NAME_RULE}) and be an object")
    bad = next((key for key, ok in _CHECKS.items() if key in obj and not ok(obj[key])), None)
    if bad is not None:
        raise CatalogError(f"{where}: view {name!r}: {bad!r} is not valid")
    fields = {key: obj[key] for key in _CHECKS if key in obj}
    if "columns" in fields:
        fields["columns"] = tuple(fields["columns"])
    if fields.get("regions") is not None:
        fields["regions"] = tuple(sorted(set(fields["regions"])))
    return SavedView(name, **fields)


def views_path(data: Path) -> Path:
    return data / VIEWS_FILE


def load_views(data: Path) -> dict[str, SavedView]:
    """Every saved view by name ({} when none was saved)."""
    path = views_path(data)
    if not regular_file_exists(path, "views file"):
        return {}
    obj = read_json(path, "views file")
    views = obj.get("views") if isinstance(obj, dict) else None
    if not isinstance(views, dict):
        raise CatalogError(f"views file {path} has the wrong shape (no 'views' object)")
    return {name: _view(name, v, f"views file {path}") for name, v in views.items()}


def find_view(data: Path, name: str) -> SavedView:
    """The view called `name`; ConfigError (one line, the saved names) if there is none."""
    views = load_views(data)
    if name not in views:
        saved = ", ".join(sorted(views)) or "none"
        raise ConfigError(f"no saved view {name!r} in {views_path(data)} (saved: {saved})")
    return views[name]


def save_view(data: Path, view: SavedView) -> None:
    """Add or replace the view of that name (read-modify-write under the file's lock)."""
    check_view_name(view.name)
    path = views_path(data)
    data.mkdir(parents=True, exist_ok=True)
    with exclusive(lock_path(path), wait_s=LOCK_WAIT_S, busy_message=f"{path} is locked"):
        views = load_views(data)
        views[view.name] = view
        atomic_write_json(path, {"schema_version": SCHEMA, "views": {n: v.to_json() for n, v in sorted(views.items())}})


# -- a view's columns over catalog entries (pricesync list --view) ------------------------------


def pending_texts(diff: CatalogDiff) -> dict[Key, str]:
    """What a write-back would change in each entry, as the `pending` column says it."""
    out = dict.fromkeys(diff.missing, "missing")
    for c in diff.changed:
        pct = c.pct
        new = c.new if c.new is not None else "gone"
        out[c.key] = f"{new} new" if c.old is None else f"{new} {pct:+.1f}%" if pct is not None else new
    return out


def _cell(column: str, e: CatalogEntry, pending: Mapping[Key, str], kind: str) -> Cell:
    if column == "type":
        return e.instance_type
    if column == "mem":
        return e.memory_gib
    if column in ("price", "month"):
        price = kind_price_text(e, kind)
        return price if column == "price" or price is None else exact_decimal(monthly_price(price))
    if column == "savings":
        return decimal_text(savings_pct(kind_price(e, ON_DEMAND), kind_price(e, kind)))
    if column in UNIT_FIELDS:
        return decimal_text(entry_unit_price(e, column, kind))
    if column == "pending":
        return pending.get(e.key)
    if column in SPEC_VIEW_COLUMNS:
        spec: Cell = None if e.specs is None else getattr(e.specs, VIEW_COLUMNS[column].field)
        return spec
    value: Cell = getattr(e, column)
    return value


def known_columns(columns: Iterable[str], kind: str = ON_DEMAND) -> tuple[str, ...]:
    """The view's columns `list` can show (a column a newer client added is left out; savings,
    as in the dashboard, only with a kind other than on demand)."""
    return tuple(c for c in columns if c in VIEW_COLUMNS and (c != "savings" or kind != ON_DEMAND))


def column_field(column: str, kind: str = ON_DEMAND) -> str:
    """A view column's name in an export: $/hour and $/month of a kind are the kind's fields."""
    return KIND_FIELDS[column] if kind != ON_DEMAND and column in KIND_FIELDS else VIEW_COLUMNS[column].field


def view_table(
    columns: Iterable[str], entries: Iterable[CatalogEntry], pending: Mapping[Key, str], kind: str = ON_DEMAND
) -> ExportTable:
    """The entries in the view's columns, prices of `kind`, with the export's field names as
    the header."""
    keys = known_columns(columns, kind)
    return ExportTable(
        tuple(column_field(c, kind) for c in keys), [tuple(_cell(c, e, pending, kind) for c in keys) for e in entries]
    )
