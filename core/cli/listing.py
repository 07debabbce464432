"""`pricesync list`: the catalog as a table (streamed: it starts at once at any size), JSON or
CSV (the columns of every pricesync CSV)."""

from __future__ import annotations

import argparse
import gc
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .. import (
    HOUR_DECIMALS,
    MONTH_DECIMALS,
    ON_DEMAND,
    PROVIDERS,
    Catalog,
    CatalogEntry,
    ExportTable,
    SavedView,
    Settings,
    SyncEngine,
    add_settings_options,
    build_engine,
    count_text,
    csv_fields,
    entry_unit_price,
    exact_decimal,
    export_columns,
    find_view,
    first_run_text,
    hourly_text,
    kind_export_values,
    kind_price_text,
    money_width,
    monthly_decimals,
    monthly_price,
    monthly_text,
    never_synced,
    parse_cron,
    pending_texts,
    price_column,
    terminal,
    when,
)
from .choosing import (
    UNIT_COLUMNS,
    add_list_options,
    check_list_options,
    kind_json,
    print_pivot,
    savings_text,
    spec_columns,
    where_query,
)
from .codes import EXIT_OK
from .listsort import RowOrder, row_order
from .output import Column, line, table
from .viewprint import VIEW_SORT, apply_view_options, chosen_format, print_export, print_view


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
    add_list_options(ls)
    out = ls.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    out.add_argument("--tsv", action="store_true")
    out.add_argument("--markdown", action="store_true", help="a Markdown table, every cell escaped")


def _monthly(price: str | None) -> str | None:
    """The exact monthly cost a machine reads (JSON, CSV)."""
    return None if price is None else exact_decimal(monthly_price(price))


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    view = find_view(settings.data_dir, args.view) if args.view else None
    if view is not None:
        apply_view_options(args, view)
    args.price = args.price or ON_DEMAND
    provider = args.provider or (view.provider if view else "aws")
    engine = build_engine(settings, listeners=())
    catalog = engine.catalog(provider)
    with _collector_off():
        return _list(args, settings, engine, catalog, view, provider)


@contextmanager
def _collector_off() -> Iterator[None]:
    """The loaded catalog frozen out of the cyclic collector's scans, and the collector off
    until the command is done: it makes no cycles, and neither the catalog's millions of
    objects nor the passes of the sort and the widths (a tenth of their time) need it. Frozen
    objects are still freed when unreferenced (they hold no cycles); thawing them would only
    make the collection at exit scan them."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _list(
    args: argparse.Namespace,
    settings: Settings,
    engine: SyncEngine,
    catalog: Catalog,
    view: SavedView | None,
    provider: str,
) -> int:
    text = (args.filter or "").lower()
    query = where_query(args.where or (view.filter if view else None))
    check_list_options(args)
    sort = args.sort or (VIEW_SORT.get(view.sort, view.sort) if view else "instance_type")

    tests: list[Callable[[CatalogEntry], bool]] = []  # only the filters given: 300k entries pass each
    if view is not None and view.regions is not None:
        tests.append(lambda e: e.region in view.regions)  # type: ignore[operator]
    if args.region:
        tests.append(lambda e: e.region == args.region)
    if args.os:
        tests.append(lambda e: e.os == args.os.lower())
    if text:
        tests.append(lambda e: text in e.instance_type.lower() or text in (e.family or "").lower())
    if args.min_vcpu is not None:
        tests.append(lambda e: (e.vcpu or 0) >= args.min_vcpu)
    if args.min_memory is not None:
        tests.append(lambda e: (e.memory_gib or 0) >= args.min_memory)
    if args.max_price is not None:
        tests.append(lambda e: e.price_per_hour is not None and Decimal(e.price_per_hour) <= args.max_price)
    if not query.empty:
        tests.append(lambda e: query.matches(e, args.price))
    kept = [e for e in catalog.entries if all(test(e) for test in tests)] if tests else list(catalog.entries)
    order = row_order(kept, sort, args.price, bool(view and view.descending))
    rows: Iterable[CatalogEntry] = order.rows
    wanted = view is not None and ("pending" in view.columns or view.pending_only)
    pending = pending_texts(engine.pending(provider)) if wanted else {}
    if view is not None and view.pending_only:
        rows = [e for e in rows if e.key in pending]
    if args.pivot:
        return print_pivot(args, catalog.provider, list(rows))
    fmt = chosen_format(args)
    first_run, failed = never_synced(settings, provider)
    if first_run:
        hint = first_run_text(
            provider, f"run `pricesync sync --provider {provider}`", _schedule(settings, provider), failed
        )
        line(hint, err=args.json or fmt is not None)
    if view is not None:
        print_view(view, args.price, catalog, list(rows), pending, fmt)
    elif args.json:
        print(
            json.dumps(
                [
                    e.to_json() | {"price_per_month": _monthly(e.price_per_hour)} | kind_json(e, args.price)
                    for e in rows
                ],
                indent=1,
            )
        )
    elif fmt is not None:
        columns = export_columns(args.price, args.units)
        values = (_csv_values(e) | kind_export_values(e, args.price, args.units) for e in rows)
        print_export(ExportTable(columns, [csv_fields(v, columns) for v in values]), fmt)
    else:
        _print_table(catalog, kept, order, args.price, args.units, args.specs)
    return EXIT_OK


def _csv_values(e: CatalogEntry) -> dict[str, object]:
    return {
        "instance_type": e.instance_type,
        "family": e.family,
        "vcpu": e.vcpu,
        "memory_gib": e.memory_gib,
        "gpu": e.gpu,
        "arch": e.arch,
        "region": e.region,
        "os": e.os,
        "price_per_hour": e.price_per_hour,
        "price_per_month": _monthly(e.price_per_hour),
        "price_synced_at": e.price_synced_at,
        "available": e.available,
    } | (e.specs.to_json() if e.specs else {})


def _schedule(settings: Settings, provider: str) -> str:
    """When the schedule would fetch `provider`'s prices (where the daemon, the dashboard or the
    systemd timer runs it)."""
    schedule = settings.schedule
    if not schedule.enabled:
        return "no schedule is enabled ([schedule] enabled)"
    if provider not in (schedule.providers or settings.enabled_providers()):
        return f"the schedule does not sync {provider} ([schedule] providers)"
    spec = parse_cron(schedule.cron, schedule.timezone)
    return f"the schedule fetches them {spec.describe()} wherever `pricesync daemon`, the dashboard or its timer runs"


def _print_table(
    catalog: Catalog, kept: list[CatalogEntry], order: RowOrder, kind: str, units: bool, specs: bool
) -> None:
    """`kept` in `order`, streamed: the widths come first, from `kept`'s distinct values (the
    key's from the sort, the price columns' from the price strings alone: their decimals and
    whole digits), then each row is written as it is formatted; a value is formatted and
    neutralised once, when first written."""

    def price_of(e: CatalogEntry) -> str | None:
        return kind_price_text(e, kind)

    prices = list(filter(None, map(price_of, kept)))  # price strings are never '' (None: no price)
    needed, whole = price_column(prices)
    hour, month = max(HOUR_DECIMALS, needed), max(MONTH_DECIMALS, monthly_decimals(needed))
    widths = {  # x 730 adds at most three digits before the point
        "$/hour": money_width(whole, hour) if prices else 0,
        "$/month": money_width(whole + 3, month) if prices else 0,
    }

    def per_month(price: str | None) -> str:
        return "-" if price is None else monthly_text(monthly_price(price), month)

    shown: list[tuple[Column, Callable[[CatalogEntry], Any], Callable[[Any], str]]] = [
        (Column("instance type"), attrgetter("instance_type"), str),
        (Column("$/hour", right=True), price_of, lambda p: hourly_text(p, hour)),
        (Column("$/month", right=True), price_of, per_month),
        (Column("vCPU", right=True, drop=4), attrgetter("vcpu"), _or_unknown(str)),
        (Column("mem GiB", right=True, drop=5), attrgetter("memory_gib"), _or_unknown(lambda m: f"{m:g}")),
        (Column("os", drop=6), attrgetter("os"), str),
        (Column("region", drop=3), attrgetter("region"), str),
        (Column("family", drop=8), attrgetter("family"), _or_unknown(str)),
        (Column("arch", drop=9), attrgetter("arch"), _or_unknown(str)),
        (Column("GPU", right=True, drop=10), attrgetter("gpu"), _or_unknown(str)),
        (Column("synced (UTC)", drop=11), attrgetter("price_synced_at", "available"), _synced),
    ]
    if kind != ON_DEMAND:
        shown.insert(3, (Column("savings %", right=True, drop=2), lambda e: savings_text(e, kind), str))
    if units:
        for i, (unit, title) in enumerate(UNIT_COLUMNS):
            shown.insert(3 + i, (Column(title, right=True, drop=7), _unit(unit, kind), str))
    if specs:
        shown += spec_columns()
    columns, texts = [], []
    for column, value, show in shown:
        text = _Texts(show)
        if column.name in widths:  # sized from the price strings: no price formatted yet
            width = max(len(text[None]), widths[column.name])
        else:
            field = SORTED_BY.get(column.name)
            distinct = order.distinct[field] if field else set(map(value, kept))
            width = max(map(len, map(text.__getitem__, distinct)), default=0)
        columns.append(replace(column, width=width))
        texts.append(text)
    values = [value for _, value, _ in shown]
    table(
        f"{catalog.provider} catalog ({count_text(len(kept))} of {count_text(len(catalog.entries))} entries, "
        f"{catalog.currency}{'' if kind == ON_DEMAND else ', ' + kind})",
        columns,
        ([text[value(e)] for text, value in zip(texts, values, strict=True)] for e in order.rows),
        neutralised=True,
    )


SORTED_BY = {"instance type": "instance_type", "region": "region", "os": "os"}  # columns the sort knows


class _Texts(dict[Any, str]):
    """A column's value -> its text, formatted and neutralised on first use."""

    def __init__(self, show: Callable[[Any], str]) -> None:
        super().__init__()
        self.show = show

    def __missing__(self, value: Any) -> str:
        text = self[value] = terminal(self.show(value))
        return text


def _unit(unit: str, kind: str) -> Callable[[CatalogEntry], str]:
    def text(e: CatalogEntry) -> str:
        price = entry_unit_price(e, unit, kind)
        return "-" if price is None else f"{price:f}"

    return text


def _or_unknown(show: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda value: "?" if value is None else show(value)


def _synced(value: tuple[str | None, bool]) -> str:
    synced_at, available = value
    return (when(synced_at) or "never") + ("" if available else " (unavailable)")
