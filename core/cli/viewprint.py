"""How `pricesync list` prints rows in a saved view's columns (`--view NAME`) and in the export
formats (`--csv`, `--tsv`, `--markdown`, `--json`): the same cells as the dashboard's export."""

from __future__ import annotations

import argparse
import sys

from .. import (
    ON_DEMAND,
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


def apply_view_options(args: argparse.Namespace, view: SavedView) -> None:
    """What a view sets that the command line did not: its price kind and its pivot (with its
    regions as the columns, its home region and "in all regions"). An option given wins."""
    args.price = args.price or view.price_kind
    if view.pivot == "region" and not args.pivot:
        args.pivot = "region"
        args.regions = args.regions or (",".join(view.regions) if view.regions else None)
        args.home = args.home or view.home
        args.in_all_regions = args.in_all_regions or view.in_all_regions


PRICES = {"price", "month", "savings", "per_vcpu", "per_gib", "per_gpu"}
RIGHT = {"vcpu", "mem", "gpu", "pending", *PRICES}  # columns aligned right
NO_VALUE = dict.fromkeys(PRICES, "-") | {"pending": ""}  # else "?": unknown, as in the dashboard


def print_view(
    view: SavedView, kind: str, catalog: Catalog, rows: list[CatalogEntry], pending: dict[Key, str], fmt: str | None
) -> None:
    """`rows` of `catalog` in the view's columns, prices of `kind`: a table, or in `fmt`."""
    export = view_table(view.columns, rows, pending, kind)
    if fmt is not None:
        print_export(export, fmt)
        return
    keys = known_columns(view.columns, kind)
    shown = f"{len(rows)} of {len(catalog.entries)} entries, {catalog.currency}"
    shown += "" if kind == ON_DEMAND else f", {kind}"
    table(
        f"{catalog.provider} catalog, view {view.name} ({shown})",
        [Column(VIEW_COLUMNS[c].title, right=c in RIGHT) for c in keys],
        [[NO_VALUE.get(c, "?") if v is None else v for c, v in zip(keys, row, strict=True)] for row in export.rows],
    )
