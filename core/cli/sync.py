"""`pricesync sync`: fetch prices into the cache, optionally write them back."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .. import (
    KINDS,
    ON_DEMAND,
    PROVIDERS,
    Settings,
    SyncResult,
    add_settings_options,
    build_engine,
    check_url,
    hourly_text,
    is_region,
    pct_text,
    setup_logging,
    wait_for_deliveries,
)
from .codes import EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_WRITE_BACK_REFUSED, UsageError
from .output import ProgressBar, line

SHOWN_CHANGES = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("sync", help="fetch prices into the cache; --write-back updates the catalog")
    add_settings_options(s)
    s.set_defaults(handler=cmd_sync, writes=True)
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
    s.add_argument(
        "--kinds",
        metavar="K[,K]",
        type=kinds_arg,
        help="fetch only these price kinds (of [sync] price_kinds, e.g. spot); the cache and catalog keep "
        "on-demand and every other kind as they were",
    )
    s.add_argument("--json", action="store_true", help="print one JSON object")


def kinds_arg(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = next((k for k in kinds if k not in KINDS), None)
    if bad is not None or not kinds:
        raise argparse.ArgumentTypeError(
            f"{bad!r} is not a price kind (e.g. spot, reserved-1yr-standard-no-upfront)" if bad else "no kind named"
        )
    return kinds


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
        + (f"{result.kinds_changed} prices of other kinds changed; " if result.kinds_changed else "")
        + f"{'written back' if result.wrote_back else 'catalog untouched'} ({result.duration_s:.1f}s)"
    )
    if result.write_back_refused:
        line(f"pricesync: {result.provider} write-back refused: {result.write_back_refused}", err=True)
    for change in result.changes[:SHOWN_CHANGES]:
        old = hourly_text(change.old) if change.old is not None else "never synced"
        new = hourly_text(change.new) if change.new is not None else "gone"
        kind = "" if change.price_kind == ON_DEMAND else f" {change.price_kind}"
        pct = pct_text(change.pct)
        line(f"  {'/'.join(change.key)}{kind}: {old} -> {new}" + (f" ({pct})" if pct else ""))
    if len(result.changes) > SHOWN_CHANGES:
        line(f"  ... and {len(result.changes) - SHOWN_CHANGES} more")


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
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
        with ProgressBar(sys.stderr.isatty() and not args.json) as progress:
            result = engine.sync(
                provider,
                regions=args.region,
                all_regions=args.all_regions,
                write_back=args.write_back or settings.sync.write_back,
                force=args.force,
                mode=args.mode,
                endpoint=args.endpoint,
                progress=progress,
                kinds=args.kinds,
            )
        results.append(result)
        code = max(code, _exit_code(result), key=_EXIT_PRECEDENCE.index)
        if not args.json:
            _print_result(result)
        _print_warnings(result)
    wait_for_deliveries()  # webhooks of these syncs: each waited for within its own time bound
    if args.json:
        out = [_json_result(r) for r in results]
        print(json.dumps(out[0] if len(out) == 1 else out))
    return code


# of several providers' results, the exit code says the worst: a held lock, a failure, a refused write-back
_EXIT_PRECEDENCE = (EXIT_OK, EXIT_WRITE_BACK_REFUSED, EXIT_FAILED, EXIT_BUSY)


def _exit_code(result: SyncResult) -> int:
    if result.status == "busy":
        return EXIT_BUSY
    if result.status == "failed":
        return EXIT_FAILED
    return EXIT_WRITE_BACK_REFUSED if result.write_back_refused else EXIT_OK


def _json_result(result: SyncResult) -> dict[str, Any]:
    obj = result.to_json()
    if result.status == "busy":
        obj["status"] = "failed"
    return obj
