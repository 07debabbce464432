"""`pricesync status`: per provider the last successful sync, its age, the source version, the
next scheduled run and whether the prices are stale ([sync] max_age). Exit 1 when one is stale:
one command a monitoring system can run."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from .. import (
    DURATION_FORMS,
    PROVIDERS,
    Settings,
    add_settings_options,
    iso_z,
    parse_duration,
    provider_freshness,
    provider_name,
    short_duration,
)
from .codes import EXIT_FAILED, EXIT_OK
from .output import Column, table


def _duration_arg(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration ({DURATION_FORMS})") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("status", help="how fresh each provider's prices are; exit 1 when one is stale")
    add_settings_options(s)
    s.add_argument("--provider", choices=PROVIDERS, help="only this provider (default: the configured ones)")
    s.add_argument("--max-age", type=_duration_arg, metavar="AGE", help="instead of [sync] max_age: 36h, 7d, ...")
    s.add_argument("--json", action="store_true", help='{"providers": {"aws": {...}, ...}}')
    s.set_defaults(handler=cmd_status)


def _when(moment: datetime | None) -> str:
    return iso_z(moment).replace("T", " ") if moment else "-"


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    providers = [args.provider] if args.provider else settings.enabled_providers()
    report = [provider_freshness(settings, p, now, max_age=args.max_age) for p in providers]
    if args.json:
        print(json.dumps({"providers": {f.provider: f.to_json() for f in report}}, indent=1))
    else:
        max_age = args.max_age or settings.max_age
        limit = f"max_age {short_duration(max_age.total_seconds())}" if max_age else "no max_age set"
        table(
            f"prices ({limit})",
            [
                Column("provider"),
                Column("last success (UTC)"),
                Column("age", right=True),
                Column("source version"),
                Column("next run (UTC)"),
                Column("stale"),
            ],
            [
                [
                    provider_name(f.provider),
                    _when(f.last_success) if f.last_success else "never",
                    short_duration(f.age_s) if f.age_s is not None else "-",
                    f.source_version or "-",
                    _when(f.next_run),
                    {"fresh": "no", "stale": "yes", "critical": "yes (critical)"}[f.level],
                ]
                for f in report
            ],
        )
    return EXIT_FAILED if any(f.stale for f in report) else EXIT_OK
