"""`pricesync list`: the catalog as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .. import (
    PROVIDERS,
    Catalog,
    CatalogEntry,
    ExportTable,
    Settings,
    add_settings_options,
    build_engine,
    find_view,
    monthly_price,
    pending_texts,
)
from .codes import EXIT_OK
from .output import table
from .viewprint import VIEW_SORT, chosen_format, print_export, print_view, warn_unapplied

_COLUMNS = [
    "instance_type",
    "family",
    "region",
    "os",
    "vcpu",
    "memory_gib",
    "gpu",
    "arch",
    "price_per_hour",
    "price_per_month",
    "price_synced_at",
    "available",
]


def _price_arg(text: str) -> Decimal:
    """A finite decimal: `nan` would make every price comparison raise."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ls = sub.add_parser("list", help="print the catalog")
    add_settings_options(ls)
    ls.set_defaults(handler=cmd_list)
    ls.add_argument("--provider", choices=PROVIDERS, help="default: the view's, else aws")
    ls.add_argument(
        "--view", metavar="NAME", help="a view saved in the dashboard: its provider, regions, sort, columns"
    )
    ls.add_argument("--region", help="only this region")
    ls.add_argument("--os", help="only this OS (linux, windows, rhel, suse)")
    ls.add_argument("--filter", metavar="TEXT", help="substring of the instance type or family")
    ls.add_argument("--min-vcpu", type=int, metavar="N")
    ls.add_argument("--min-memory", type=float, metavar="GIB")
    ls.add_argument("--max-price", type=_price_arg, metavar="P")
    ls.add_argument(
        "--sort",
        choices=["instance_type", "family", "region", "os", "vcpu", "memory_gib", "gpu", "price"],
    )
    out = ls.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    out.add_argument("--tsv", action="store_true")
    out.add_argument("--markdown", action="store_true", help="a Markdown table, every cell escaped")


def _monthly(price: str | None) -> str | None:
    return None if price is None else f"{monthly_price(price).normalize():f}"


def _sort_key(col: str) -> Callable[[CatalogEntry], Any]:
    """Unknown values last; instance types in size order within a family (large < xlarge < 2xlarge)."""
    if col == "price":
        return lambda e: (e.price_per_hour is None, Decimal(e.price_per_hour or 0), e.key)
    if col == "instance_type":
        return lambda e: (e.family or "", e.vcpu or 0, e.memory_gib or 0, e.key)
    return lambda e: (getattr(e, col) is None, getattr(e, col) or 0, e.key)


def _sorted(rows: list[CatalogEntry], col: str, descending: bool) -> list[CatalogEntry]:
    """Sorted by `col`; descending keeps unknown values last, as the dashboard does."""
    if not descending:
        return sorted(rows, key=_sort_key(col))
    field = "price_per_hour" if col == "price" else col
    rows = sorted(rows, key=_sort_key(col), reverse=True)
    return [e for e in rows if getattr(e, field) is not None] + [e for e in rows if getattr(e, field) is None]


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    view = find_view(settings.data_dir, args.view) if args.view else None
    provider = args.provider or (view.provider if view else "aws")
    engine = build_engine(settings, listeners=())
    catalog = engine.catalog(provider)
    text = (args.filter or "").lower()
    sort = args.sort or (VIEW_SORT.get(view.sort, view.sort) if view else "instance_type")

    def keep(e: CatalogEntry) -> bool:
        return (
            (view is None or view.regions is None or e.region in view.regions)
            and (not args.region or e.region == args.region)
            and (not args.os or e.os == args.os.lower())
            and (not text or text in e.instance_type.lower() or text in (e.family or "").lower())
            and (args.min_vcpu is None or (e.vcpu or 0) >= args.min_vcpu)
            and (args.min_memory is None or (e.memory_gib or 0) >= args.min_memory)
            and (
                args.max_price is None or (e.price_per_hour is not None and Decimal(e.price_per_hour) <= args.max_price)
            )
        )

    rows = _sorted([e for e in catalog.entries if keep(e)], sort, bool(view and view.descending))
    fmt = chosen_format(args)
    if view is not None:
        warn_unapplied(view)
        pending = pending_texts(engine.pending(provider)) if "pending" in view.columns else {}
        print_view(view, catalog, rows, pending, fmt)
    elif args.json:
        print(json.dumps([e.to_json() | {"price_per_month": _monthly(e.price_per_hour)} for e in rows], indent=1))
    elif fmt is not None:
        cells = [
            [getattr(e, c) if c != "price_per_month" else _monthly(e.price_per_hour) for c in _COLUMNS] for e in rows
        ]
        print_export(ExportTable(tuple(_COLUMNS), cells), fmt)
    else:
        _print_table(catalog, rows)
    return EXIT_OK


def _print_table(catalog: Catalog, rows: list[CatalogEntry]) -> None:
    table(
        f"{catalog.provider} catalog ({len(rows)} of {len(catalog.entries)} entries, {catalog.currency})",
        [
            ("instance type", "left"),
            ("family", "left"),
            ("region", "left"),
            ("os", "left"),
            ("vCPU", "right"),
            ("mem GiB", "right"),
            ("GPU", "right"),
            ("arch", "left"),
            ("$/hour", "right"),
            ("$/month", "right"),
            ("synced", "left"),
        ],
        [
            [
                e.instance_type,
                e.family or "?",
                e.region,
                e.os,
                e.vcpu if e.vcpu is not None else "?",
                f"{e.memory_gib:g}" if e.memory_gib is not None else "?",
                e.gpu if e.gpu is not None else "?",
                e.arch or "?",
                e.price_per_hour or "never synced",
                _monthly(e.price_per_hour) or "-",
                (e.price_synced_at or "never") + ("" if e.available else " (unavailable)"),
            ]
            for e in rows
        ],
    )
