"""`pricesync`: the headless client of the engine (cron, systemd, scripts).

Exit codes: 0 updated or unchanged (warnings, e.g. a run the history could not record, go to
stderr as `pricesync: warning: ...` and into --json), 1 sync failed, 2 usage or config error,
3 another sync holds the lock.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal

from . import build_engine, cli_history, cli_schedule
from .catalog import ensure_catalog, load_catalog
from .cli_output import line, table
from .config import Settings, check_url, load_settings
from .errors import ConfigError, PriceSyncError
from .logs import setup_logging
from .models import PROVIDERS, CatalogEntry, SyncResult, is_region, monthly_price
from .paths import check_data_dir
from .textsafe import csv_cell, markup, terminal

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too; keep one line and our prefix
        self.exit(EXIT_USAGE, f"pricesync: {terminal(message)}\n")


def add_common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default: $PRICESYNC_DATA_DIR or the user data dir)"
    )
    p.add_argument("--config", metavar="FILE", help="config file (default: config.toml in the user config dir)")


def _price_arg(text: str) -> Decimal:
    """A finite decimal: `nan` would make every price comparison raise."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pricesync", description="Keep a local catalog of cloud instance prices current.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("sync", help="fetch prices into the cache; --write-back updates the catalog")
    add_common_options(s)
    s.set_defaults(handler=cmd_sync)
    s.add_argument(
        "--provider", choices=PROVIDERS, help="which source (default: [sync] providers and the enabled [azure]/[gcp])"
    )
    mode = s.add_mutually_exclusive_group()
    mode.add_argument(
        "--public",
        dest="mode",
        action="store_const",
        const="public",
        help="AWS Price List Bulk API (default; no credentials)",
    )
    mode.add_argument(
        "--boto3",
        dest="mode",
        action="store_const",
        const="boto3",
        help="AWS Pricing API via boto3 (needs AWS credentials; aws.profile, aws.endpoint_url)",
    )
    where = s.add_mutually_exclusive_group()
    where.add_argument(
        "--region",
        action="append",
        metavar="R",
        help="a region to sync (repeatable; default: the config's, else the catalog's)",
    )
    where.add_argument("--all-regions", action="store_true", help="every region the source lists")
    s.add_argument("--write-back", action="store_true", help="merge the fetched prices into the catalog")
    s.add_argument(
        "--force",
        action="store_true",
        help="ignore stored versions; take a fetch past the sanity guard's empty/missing/<=0 rules "
        "(never the currency rule)",
    )
    s.add_argument("--endpoint", metavar="URL", help="base URL of the price source (mirrors, tests)")
    s.add_argument("--json", action="store_true", help="print one JSON object")

    ls = sub.add_parser("list", help="print the catalog")
    add_common_options(ls)
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
    out = ls.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    # Further command groups register themselves here: each module's register(sub) adds
    # subparsers with set_defaults(handler=fn), fn(args, settings) -> exit code.
    cli_schedule.register(sub, add_common_options)
    cli_history.register(sub, add_common_options)
    return parser


# -- sync ---------------------------------------------------------------------------------------


class _Progress:
    """A rich progress bar on a terminal (bytes and records per region); plain lines when piped."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        self.tasks: dict[str, int] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            self.bar = Progress(
                TextColumn("{task.description:<16}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[records]} prices"),
                transient=True,
                console=Console(stderr=True),
            )

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def __call__(self, region: str, done: int, total: int | None, records: int) -> None:
        if self.bar is None:
            return
        if region not in self.tasks:
            self.tasks[region] = self.bar.add_task(markup(region), total=total, records=0)
        self.bar.update(self.tasks[region], completed=done, total=total, records=records)


def _print_warnings(result: SyncResult) -> None:
    for warning in result.warnings:
        line(f"pricesync: warning: {warning}", err=True)


def _print_result(result: SyncResult) -> None:
    if result.status in ("failed", "busy"):
        line(f"pricesync: {result.provider} sync failed: {result.error}", err=True)
        return
    line(
        f"{result.provider} ({result.mode}): {result.status}; regions {', '.join(result.regions) or '-'}; "
        f"{result.records} prices; {result.added} added, {result.changed} changed, {result.missing} missing; "
        f"{'written back' if result.wrote_back else 'catalog untouched'} ({result.duration_s:.1f}s)"
    )
    for change in result.changes[:20]:
        pct = change.pct
        line(
            f"  {'/'.join(change.key)}: {change.old or 'never synced'} -> {change.new}"
            + (f" ({pct:+.2f}%)" if pct is not None else "")
        )
    if len(result.changes) > 20:
        line(f"  ... and {len(result.changes) - 20} more")


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from .notify import wait_for_deliveries

    setup_logging(settings.data_dir, stderr_level=None)
    providers = [args.provider] if args.provider else settings.enabled_providers()
    if args.mode and providers != ["aws"]:
        raise UsageError("--public/--boto3 apply to --provider aws only")
    if args.endpoint is not None:
        check_url(args.endpoint, "--endpoint")
    bad = next((r for r in args.region or () if not is_region(r)), None)
    if bad is not None:
        raise UsageError(f"--region {bad!r} is not a region code (like us-east-1, eastus, europe-west4)")
    engine = build_engine(settings)
    code = EXIT_OK
    results = []
    for provider in providers:
        with _Progress(sys.stderr.isatty() and not args.json) as progress:
            result = engine.sync(
                provider,
                regions=args.region,
                all_regions=args.all_regions,
                write_back=args.write_back or settings.sync.write_back,
                force=args.force,
                mode=args.mode,
                endpoint=args.endpoint,
                progress=progress,
            )
        results.append(result)
        if result.status == "busy":
            code = max(code, EXIT_BUSY)
        elif result.status == "failed":
            code = EXIT_BUSY if code == EXIT_BUSY else EXIT_FAILED
        if not args.json:
            _print_result(result)
        _print_warnings(result)
    wait_for_deliveries()  # webhooks of these syncs: each waited for within its own time bound
    if args.json:
        out = [_json_result(r) for r in results]
        print(json.dumps(out[0] if len(out) == 1 else out))
    return code


def _json_result(result: SyncResult) -> dict:
    obj = result.to_json()
    if result.status == "busy":
        obj["status"] = "failed"
    return obj


# -- list ---------------------------------------------------------------------------------------

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


def _monthly(price: str | None) -> str | None:
    return None if price is None else f"{monthly_price(price).normalize():f}"


def _sort_key(col: str):
    """Unknown values last; instance types in size order within a family (large < xlarge < 2xlarge)."""
    if col == "price":
        return lambda e: (e.price_per_hour is None, Decimal(e.price_per_hour or 0), e.key)
    if col == "instance_type":
        return lambda e: (e.family or "", e.vcpu or 0, e.memory_gib or 0, e.key)
    return lambda e: (getattr(e, col) is None, getattr(e, col) or 0, e.key)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_catalog(ensure_catalog(settings.data_dir, args.provider), args.provider)
    text = (args.filter or "").lower()

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
        )

    rows = sorted((e for e in catalog.entries if keep(e)), key=_sort_key(args.sort))
    if args.json:
        print(json.dumps([e.to_json() | {"price_per_month": _monthly(e.price_per_hour)} for e in rows], indent=1))
    elif args.csv:
        w = csv.writer(sys.stdout)
        w.writerow(_COLUMNS)
        for e in rows:
            w.writerow(
                [csv_cell(getattr(e, c) if c != "price_per_month" else _monthly(e.price_per_hour)) for c in _COLUMNS]
            )
    else:
        _print_table(catalog, rows)
    return EXIT_OK


def _print_table(catalog, rows: list[CatalogEntry]) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config, args.data_dir)
        check_data_dir(settings.data_dir)
        return args.handler(args, settings)
    except (ConfigError, UsageError) as exc:
        line(f"pricesync: {exc}", err=True)
        return EXIT_USAGE
    except PriceSyncError as exc:
        line(f"pricesync: {exc}", err=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
