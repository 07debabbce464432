"""Choosing an instance from the command line: `list`'s --where / --price / --pivot options,
`pricesync show` (every price kind of one instance type, with break-even) and `pricesync
equivalents` (cheaper instance types with at least its vCPU, memory and GPU)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from .. import (
    ON_DEMAND,
    PRICE_KINDS,
    PROVIDERS,
    CatalogEntry,
    CatalogError,
    Equivalent,
    KindLine,
    PivotRow,
    Query,
    Settings,
    add_settings_options,
    build_engine,
    decimal_text,
    entry_unit_price,
    equivalents,
    find_entry,
    kind_lines,
    kind_price,
    matching_entries,
    monthly_price,
    parse_query,
    pivot,
    provider_name,
    savings_pct,
    spec_value,
)
from .codes import EXIT_OK, UsageError
from .output import Column, line, table

UNIT_COLUMNS = (("per_vcpu", "$/vCPU-h"), ("per_gib", "$/GiB-h"), ("per_gpu", "$/GPU-h"))


def shown(value: Decimal | None, none: str = "-") -> str:
    """A decimal for a table: exact, trailing zeros trimmed."""
    return none if value is None else f"{value.normalize():f}" if value else "0"


def where_query(where: str | None) -> Query:
    """`--where`'s expression, the dashboard's filter language; a bad term is a usage error
    (a script must not get every row because of a typo)."""
    query = parse_query(where or "")
    if query.bad:
        raise UsageError(f"--where: {'; '.join(str(b) for b in query.bad)}")
    return query


def check_list_options(args: argparse.Namespace) -> None:
    """--regions, --home and --in-all-regions go with --pivot, which prints a table or JSON."""
    if not args.pivot and (args.regions or args.home or args.in_all_regions):
        raise UsageError("--regions, --home and --in-all-regions go with --pivot region")
    if args.pivot and args.csv:
        raise UsageError("--pivot prints a table or --json, not --csv")


def split_regions(value: str | None) -> list[str] | None:
    return None if value is None else [r for r in value.split(",") if r]


# -- list --where / --price / --pivot -------------------------------------------------------------


def add_list_options(ls: argparse.ArgumentParser) -> None:
    ls.add_argument("--where", metavar="EXPR", help="the dashboard's filter language, e.g. 'm7g vcpu>=4 price<0.2'")
    ls.add_argument(
        "--price", choices=PRICE_KINDS, metavar="KIND", help="price kind shown (default: the view's, else on-demand)"
    )
    ls.add_argument("--units", action="store_true", help="add $/vCPU-h, $/GiB-h and $/GPU-h columns (and to exports)")
    ls.add_argument("--specs", action="store_true", help="add gen, GHz, network, storage and processor columns")
    ls.add_argument("--pivot", choices=["region"], help="one row per (type, OS), one price column per region")
    ls.add_argument("--regions", metavar="R1,R2", help="with --pivot: the region columns, in this order")
    ls.add_argument("--home", metavar="REGION", help="with --pivot: show each price's difference to this region")
    ls.add_argument("--in-all-regions", action="store_true", help="with --pivot: only types priced in every column")


TableColumn = tuple[Column, Callable[[CatalogEntry], Any], Callable[[Any], str]]  # column, value, text


def _spec(name: str, show: Callable[[Any], str] = str) -> tuple[Callable[[CatalogEntry], Any], Callable[[Any], str]]:
    return lambda e: spec_value(e.specs, name), lambda v: "?" if v is None else show(v)


def _first(words: tuple[str, ...]) -> str:
    """The text shown of a spec a pattern matches in several forms (core.specs.spec_value)."""
    return words[0]


def spec_columns() -> list[TableColumn]:
    """`list --specs`' columns, after the others: on a narrow terminal the processor (the
    widest) goes first, then synced and the columns before these; the prices always stay."""
    return [
        (Column("gen", drop=4), *_spec("gen")),
        (Column("GHz", right=True, drop=5), *_spec("clock", lambda v: f"{v:g}")),
        (Column("network", drop=6), *_spec("network")),
        (Column("storage", drop=7), *_spec("storage", _first)),
        (Column("processor", drop=12), *_spec("processor", _first)),
    ]


def kind_json(entry: CatalogEntry, kind: str) -> dict[str, object]:
    """What `list --json` adds to an entry: for --price KIND, that kind's hourly and monthly
    price and its saving; the unit prices of the kind shown."""
    price = kind_price(entry, kind)
    out: dict[str, object] = {}
    if kind != ON_DEMAND:
        month = _monthly(price)
        out |= {
            "price_kind": kind,
            "kind_price_per_hour": decimal_text(price),
            "kind_price_per_month": None if month is None else decimal_text(month.normalize()),
            "savings_pct": decimal_text(savings_pct(kind_price(entry, ON_DEMAND), price)),
        }
    return out | {unit: decimal_text(entry_unit_price(entry, unit, kind)) for unit, _ in UNIT_COLUMNS}


def _monthly(price: Decimal | None) -> Decimal | None:
    return None if price is None else monthly_price(price)


def savings_text(entry: CatalogEntry, kind: str) -> str:
    """The saving of `kind` against the entry's on-demand price, in %, for a table."""
    return shown(savings_pct(kind_price(entry, ON_DEMAND), kind_price(entry, kind)))


def print_pivot(args: argparse.Namespace, provider: str, rows: Iterable[CatalogEntry]) -> int:
    regions, pivoted = pivot(rows, args.price, split_regions(args.regions), in_all_regions=args.in_all_regions)
    if args.home and args.home not in regions:
        raise UsageError(f"--home {args.home} is not one of the regions shown")
    if args.json:
        print(json.dumps([r.to_json() for r in pivoted], indent=1))
        return EXIT_OK
    table(
        f"{provider_name(provider)} {args.price} $/hour by region ({len(pivoted)} types; * cheapest"
        + (f", % against {args.home})" if args.home else ")"),
        [Column("instance type"), Column("os"), *(Column(region, right=True) for region in regions)],
        [[r.instance_type, r.os, *(pivot_cell(r, region, args.home) for region in regions)] for r in pivoted],
    )
    return EXIT_OK


def pivot_cell(row: PivotRow, region: str, home: str | None) -> str:
    """A price, `*` after the cheapest region's, and its difference to `home`."""
    price = row.prices[region]
    if price is None:
        return "-"
    cell = shown(price) + ("*" if region == row.cheapest_region else "")
    delta = row.delta_pct(region, home) if home and region != home else None
    return cell if delta is None else f"{cell} ({delta:+}%)"


# -- pricesync show / equivalents -----------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    show = sub.add_parser("show", help="every price kind of one instance type, with break-even")
    add_settings_options(show)
    show.set_defaults(handler=cmd_show)
    _entry_options(show)
    show.add_argument("--json", action="store_true")

    eq = sub.add_parser("equivalents", help="cheaper instance types with at least the vCPU, memory and GPU of one")
    add_settings_options(eq)
    eq.set_defaults(handler=cmd_equivalents)
    _entry_options(eq)
    eq.add_argument("--kind", default=ON_DEMAND, choices=PRICE_KINDS, metavar="KIND", help="price kind compared")
    eq.add_argument("--arch", default="any", choices=["any", "same"], help="same: only its CPU architecture")
    eq.add_argument("--regions", metavar="R1,R2", help="search these regions (default: its own region)")
    eq.add_argument("--any-region", action="store_true", help="search every region")
    eq.add_argument("--all-clouds", action="store_true", help="search AWS, Azure and GCP alike (every region)")
    eq.add_argument("--json", action="store_true")


def _entry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instance_type", metavar="TYPE")
    parser.add_argument("--provider", choices=PROVIDERS, default="aws")
    parser.add_argument("--region", help="its region (default: every region for show, the cheapest otherwise)")
    parser.add_argument("--os", default="linux", help="its OS (default linux)")


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    entries = build_engine(settings, listeners=()).catalog(args.provider).entries
    found = matching_entries(entries, args.instance_type, args.region, args.os.lower())
    if args.json:
        print(json.dumps([e.to_json() | {"kinds": [k.to_json() for k in kind_lines(e)]} for e in found], indent=1))
        return EXIT_OK
    for entry in found:
        table(
            f"{entry.instance_type} {entry.region} {entry.os}: {_specs(entry)}",
            [
                Column("kind"),
                Column("$/hour", right=True),
                Column("upfront", right=True),
                Column("effective $/hour", right=True),
                Column("$/month", right=True),
                Column("savings %", right=True),
                Column("break-even"),
            ],
            [_kind_row(k) for k in kind_lines(entry)],
        )
    return EXIT_OK


def _specs(entry: CatalogEntry) -> str:
    def known(value: object) -> str:
        return "?" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return f"{known(entry.vcpu)} vCPU, {known(entry.memory_gib)} GiB, {known(entry.gpu)} GPU, {known(entry.arch)}"


def _kind_row(k: KindLine) -> list[str]:
    return [
        k.kind,
        shown(k.hourly),
        shown(k.upfront),
        shown(k.effective_hourly),
        shown(_monthly(k.effective_hourly)),
        shown(k.savings_pct, ""),
        k.break_even,
    ]


def cmd_equivalents(args: argparse.Namespace, settings: Settings) -> int:
    engine = build_engine(settings, listeners=())
    candidates: list[tuple[str, CatalogEntry]] = []
    for provider in PROVIDERS if args.all_clouds else (args.provider,):
        try:
            candidates += [(provider, e) for e in engine.catalog(provider).entries]
        except CatalogError as exc:
            if provider == args.provider:
                raise
            line(f"pricesync: warning: {provider} left out: {exc}", err=True)
    own = [e for p, e in candidates if p == args.provider]
    base = find_entry(own, args.instance_type, args.region, args.os.lower())
    regions: Sequence[str] | None = [] if args.any_region or args.all_clouds else split_regions(args.regions)
    found = equivalents(candidates, base, args.kind, regions=regions, same_arch=args.arch == "same")
    if args.json:
        print(json.dumps([q.to_json() for q in found], indent=1))
        return EXIT_OK
    base_price = shown(kind_price(base, args.kind))
    table(
        f"cheaper than {base.instance_type} in {base.region} ({base.os}, {_specs(base)}): "
        f"{args.kind} ${base_price}/hour; {len(found)} found",
        [
            Column("provider"),
            Column("instance type"),
            Column("region"),
            Column("vCPU", right=True),
            Column("mem GiB", right=True),
            Column("GPU", right=True),
            Column("arch"),
            Column("$/hour", right=True),
            Column("saving %", right=True),
            Column("saving $/month", right=True),
        ],
        [_equivalent_row(q) for q in found],
    )
    return EXIT_OK


def _equivalent_row(q: Equivalent) -> list[object]:
    e = q.entry
    return [
        provider_name(q.provider),
        e.instance_type,
        e.region,
        e.vcpu,
        f"{e.memory_gib:g}" if e.memory_gib is not None else "?",
        e.gpu if e.gpu is not None else "?",
        e.arch or "?",
        shown(q.price),
        shown(q.saving_pct),
        shown(q.saving_per_month),
    ]
