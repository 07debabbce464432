"""How `pricesync list` prints rows in a saved view's columns (`--view NAME`) and in the export
formats (`--csv`, `--tsv`, `--markdown`, `--json`): the same cells as the dashboard's export."""

from __future__ import annotations

import sys

from .. import (
    VIEW_COLUMNS,
    Catalog,
    CatalogEntry,
    ExportTable,
    Key,
    SavedView,
    known_columns,
    render_export,
    view_table,
)
from .output import Column, table

FORMATS = ("csv", "tsv", "markdown", "json")
# a view's sort column -> `list --sort`
VIEW_SORT = {"type": "instance_type", "mem": "memory_gib", "month": "price", "pending": "instance_type"}


def chosen_format(args: object) -> str | None:
    """Which of --csv/--tsv/--markdown/--json was given (None: a table)."""
    return next((fmt for fmt in FORMATS if getattr(args, fmt, False)), None)


def print_export(export: ExportTable, fmt: str) -> None:
    sys.stdout.write(render_export(export, fmt).decode())


RIGHT = {"vcpu", "mem", "gpu", "price", "month", "pending"}  # columns aligned right
NO_VALUE = {"price": "-", "month": "-", "pending": ""}  # else "?": unknown, as in the dashboard


def print_view(
    view: SavedView, catalog: Catalog, rows: list[CatalogEntry], pending: dict[Key, str], fmt: str | None
) -> None:
    """`rows` of `catalog` in the view's columns: a table, or in `fmt`."""
    export = view_table(view.columns, rows, pending)
    if fmt is not None:
        print_export(export, fmt)
        return
    keys = known_columns(view.columns)
    shown = f"{len(rows)} of {len(catalog.entries)} entries, {catalog.currency}"
    table(
        f"{catalog.provider} catalog, view {view.name} ({shown})",
        [Column(VIEW_COLUMNS[c].title, right=c in RIGHT) for c in keys],
        [[NO_VALUE.get(c, "?") if v is None else v for c, v in zip(keys, row, strict=True)] for row in export.rows],
    )
