"""`pricesync changes`, `pricesync history` and `pricesync notify test`."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from itertools import groupby

from .. import (
    HOUR_DECIMALS,
    KINDS,
    ON_DEMAND,
    PROVIDERS,
    HistoryStore,
    Settings,
    add_settings_options,
    column_decimals,
    deliver,
    hourly_text,
    iso_z,
    parse_duration,
    pct_text,
    sample_payload,
    when,
)
from .output import Column, line, table

DEFAULT_LIMIT = 100


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("changes", help="price changes recorded by past syncs, newest first")
    add_settings_options(c)
    c.add_argument("--provider", choices=PROVIDERS)
    c.add_argument(
        "--since",
        type=since_arg,
        metavar="7d|DATE",
        help="only changes from then on: 12h, 7d, 2w, 2025-11-01 or an ISO time",
    )
    c.add_argument("--instance", metavar="PATTERN", help="an instance type, a family (m5 = m5.*) or a glob (m5*.x*)")
    c.add_argument("--region", metavar="R")
    c.add_argument("--os", help="linux, windows, rhel, suse")
    c.add_argument("--kind", choices=(ON_DEMAND, *KINDS), metavar="KIND", help="one price kind (default: every kind)")
    c.add_argument(
        "--limit", type=_count, metavar="N", help=f"at most N rows (default {DEFAULT_LIMIT}, all with --json; 0 = all)"
    )
    c.add_argument("--json", action="store_true", help="a JSON list")
    c.set_defaults(handler=cmd_changes)

    h = sub.add_parser("history", help="one instance type's price over time")
    add_settings_options(h)
    h.add_argument("instance", metavar="INSTANCE")
    h.add_argument("--provider", choices=PROVIDERS, default="aws")
    h.add_argument("--region", metavar="R")
    h.add_argument("--os", help="linux, windows, rhel, suse")
    h.add_argument(
        "--kind",
        choices=(ON_DEMAND, *KINDS),
        default=ON_DEMAND,
        metavar="KIND",
        help="the price kind (default on-demand; other kinds in effective $/hour)",
    )
    h.add_argument("--json", action="store_true")
    h.set_defaults(handler=cmd_history)

    n = sub.add_parser("notify", help="webhook notifications")
    nsub = n.add_subparsers(dest="notify_command", required=True)
    t = nsub.add_parser("test", help="send a sample summary to every configured webhook and show each outcome")
    add_settings_options(t)
    t.set_defaults(handler=cmd_notify_test)


def _count(text: str) -> int:
    """A whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def since_arg(text: str) -> str:
    """`7d`, `12h`, `2w` (any duration core.parse_duration reads), a date or an ISO-8601 time ->
    the UTC time the history stores."""
    try:
        try:
            when = datetime.now(UTC) - parse_duration(text)
        except ValueError:
            when = datetime.fromisoformat(text.strip())
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither like 7d, 12h, 2w nor a date such as 2025-11-01"
        ) from None
    return iso_z(when)


def _price(price: str | None, absent: str, decimals: int) -> str:
    return absent if price is None else hourly_text(price, decimals)


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    limit = args.limit if args.limit is not None else (0 if args.json else DEFAULT_LIMIT)
    rows = HistoryStore(settings.data_dir).changes(
        provider=args.provider,
        since=args.since,
        instance=args.instance,
        region=args.region,
        os=args.os.lower() if args.os else None,
        limit=limit + 1 if limit else None,
        price_kind=args.kind,
    )
    more = bool(limit) and len(rows) > limit
    rows = rows[:limit] if limit else rows
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=1))
        return 0
    if not rows:
        line(
            "no price changes recorded"
            + (
                " that match"
                if any((args.provider, args.since, args.instance, args.region, args.os, args.kind))
                else " yet"
            )
        )
        return 0
    decimals = column_decimals([p for r in rows for p in (r.old, r.new)], HOUR_DECIMALS)
    table(
        f"price changes, newest first ({len(rows)}{'+' if more else ''})",
        [
            Column("when (UTC)"),
            Column("instance type"),
            Column("price", drop=1),
            Column("old $/hour", right=True),
            Column("new $/hour", right=True),
            Column("change", right=True),
            Column("region", drop=2),
            Column("os", drop=3),
            Column("provider", drop=4),
            Column("source", drop=5),
        ],
        [
            [
                when(r.at),
                r.instance_type,
                r.price_kind,
                _price(r.old, "new", decimals),
                _price(r.new, "gone", decimals),
                pct_text(r.pct),
                r.region,
                r.os,
                r.provider,
                r.source_version or "-",
            ]
            for r in rows
        ],
    )
    if more:
        line(f"... more changes than {limit}: narrow with --since/--instance/--region, or --limit 0 for all")
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    rows = [
        r
        for r in HistoryStore(settings.data_dir).changes(
            provider=args.provider,
            instance=args.instance,
            region=args.region,
            os=args.os.lower() if args.os else None,
            price_kind=args.kind,
        )
        if r.instance_type == args.instance
    ]
    rows.sort(key=lambda r: (r.region, r.os, r.at, r.run_id))
    entries = [(key, list(group)) for key, group in groupby(rows, key=lambda r: r.key)]
    if args.json:
        print(
            json.dumps(
                [
                    {"instance_type": k[0], "region": k[1], "os": k[2], "changes": [r.to_json() for r in g]}
                    for k, g in entries
                ],
                indent=1,
            )
        )
        return 0
    if not entries:
        line(
            f"no price changes recorded for {args.instance} ({args.provider}); "
            "the history starts at the first sync and holds only prices that moved"
        )
        return 0
    for (itype, region, os_), group in entries:
        decimals = column_decimals([p for r in group for p in (r.old, r.new)], HOUR_DECIMALS)
        lines = [[f"before {when(group[0].at)}", _price(group[0].old, "(not listed)", decimals), "", ""]]
        lines += [
            [when(r.at), _price(r.new, "(no longer listed)", decimals), pct_text(r.pct), r.source_version or "-"]
            for r in group
        ]
        table(
            f"{args.provider} {itype} {region} {os_}" + ("" if args.kind == ON_DEMAND else f" {args.kind}"),
            [
                Column("when (UTC)"),
                Column("$/hour" if args.kind == ON_DEMAND else "effective $/hour", right=True),
                Column("change", right=True),
                Column("source", drop=1),
            ],
            lines,
        )
    return 0


def cmd_notify_test(args: argparse.Namespace, settings: Settings) -> int:
    hooks = settings.webhooks
    if not hooks:
        line(
            "pricesync: no webhooks configured "
            f"(add [[notify.webhook]] to {settings.config_path or 'the config file'})",
            err=True,
        )
        return 1
    payload = sample_payload()
    failed = 0
    for hook in hooks:
        outcome = deliver(hook, payload, settings.http)
        failed += not outcome.ok
        line(f"{hook.name}: {outcome.describe()}")
    return 1 if failed else 0
