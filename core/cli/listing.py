"""`pricesync list`: the catalog as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .. import (
    ON_DEMAND,
    PROVIDERS,
    Catalog,
    CatalogEntry,
    Settings,
    add_settings_options,
    build_engine,
    csv_cell,
    kind_price,
    monthly_price,
)
from .choosing import (
    add_list_options,
    check_list_options,
    kind_cells,
    kind_headers,
    kind_json,
    print_pivot,
    where_query,
)
from .codes import EXIT_OK
from .output import table

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
    ls.add_argument("--provider", choices=PROVIDERS, default="aws")
    ls.add_argument("--region", help="only this region")
    ls.add_argument("--os", help="only this OS (linux, windows, rhel, suse)")
    ls.add_argument("--filter", metavar="TEXT", help="substring of the instance type or family")
    ls.add_argument("--min-vcpu", type=int, metavar="N")
    ls.add_argument("--min-memory", type=float, metavar="GIB")
    ls.add_argument("--max-price", type=_price_arg, metavar="P")
    ls.add_argument(
        "--sort",
        default="instance_type",
        choices=["instance_type", "family", "region", "os", "vcpu", "memory_gib", "gpu", "price"],
    )
    add_list_options(ls)
    out = ls.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")


def _monthly(price: str | None) -> str | None:
    return None if price is None else f"{monthly_price(price).normalize():f}"


def _sort_key(col: str, kind: str) -> Callable[[CatalogEntry], Any]:
    """Unknown values last; instance types in size order within a family (large < xlarge < 2xlarge);
    prices of the kind shown."""
    if col == "price":
        return lambda e: (kind_price(e, kind) is None, kind_price(e, kind) or 0, e.key)
    if col == "instance_type":
        return lambda e: (e.family or "", e.vcpu or 0, e.memory_gib or 0, e.key)
    return lambda e: (getattr(e, col) is None, getattr(e, col) or 0, e.key)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    catalog = build_engine(settings, listeners=()).catalog(args.provider)
    text = (args.filter or "").lower()
    query = where_query(args.where)
    check_list_options(args)

    def keep(e: CatalogEntry) -> bool:
        return (
            (not args.region or e.region == args.region)
            and (not args.os or e.os == args.os.lower())
            and (not text or text in e.instance_type.lower() or text in (e.family or "").lower())
            and (args.min_vcpu is None or (e.vcpu or 0) >= args.min_vcpu)
            and (args.min_memory is None or (e.memory_gib or 0) >= args.min_memory)
            and (
                args.max_price is None or (e.price_per_hour is not None and Decimal(e.price_per_hour) <= args.max_price)
            )
            and query.matches(e, args.price)
        )

    rows = sorted((e for e in catalog.entries if keep(e)), key=_sort_key(args.sort, args.price))
    if args.pivot:
        return print_pivot(args, catalog.provider, rows)
    if args.json:
        print(
            json.dumps(
                [
                    e.to_json() | {"price_per_month": _monthly(e.price_per_hour)} | kind_json(e, args.price)
                    for e in rows
                ],
                indent=1,
            )
        )
    elif args.csv:
        w = csv.writer(sys.stdout)
        w.writerow(_COLUMNS)
        for e in rows:
            w.writerow(
                [csv_cell(getattr(e, c) if c != "price_per_month" else _monthly(e.price_per_hour)) for c in _COLUMNS]
            )
    else:
        _print_table(catalog, rows, args.price, args.units)
    return EXIT_OK


def _print_table(catalog: Catalog, rows: list[CatalogEntry], kind: str, units: bool) -> None:
    table(
        f"{catalog.provider} catalog ({len(rows)} of {len(catalog.entries)} entries, {catalog.currency}"
        + ("" if kind == ON_DEMAND else f", {kind}")
        + ")",
        [
            ("instance type", "left"),
            ("family", "left"),
            ("region", "left"),
            ("os", "left"),
            ("vCPU", "right"),
            ("mem GiB", "right"),
            ("GPU", "right"),
            ("arch", "left"),
            *kind_headers(kind, units),
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
                *kind_cells(e, kind, units),
                (e.price_synced_at or "never") + ("" if e.available else " (unavailable)"),
            ]
            for e in rows
        ],
    )
