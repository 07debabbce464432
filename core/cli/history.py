"""`pricesync changes`, `pricesync history` and `pricesync notify test`."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from itertools import groupby

from .. import (
    PROVIDERS,
    ChangeRow,
    HistoryStore,
    Settings,
    add_settings_options,
    deliver,
    iso_z,
    parse_duration,
    sample_payload,
)
from .output import line, table

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
    c.add_argument(
        "--limit", type=int, metavar="N", help=f"at most N rows (default {DEFAULT_LIMIT}, all with --json; 0 = all)"
    )
    c.add_argument("--json", action="store_true", help="a JSON list")
    c.set_defaults(handler=cmd_changes)

    h = sub.add_parser("history", help="one instance type's price over time")
    add_settings_options(h)
    h.add_argument("instance", metavar="INSTANCE")
    h.add_argument("--provider", choices=PROVIDERS, default="aws")
    h.add_argument("--region", metavar="R")
    h.add_argument("--os", help="linux, windows, rhel, suse")
    h.add_argument("--json", action="store_true")
    h.set_defaults(handler=cmd_history)

    n = sub.add_parser("notify", help="webhook notifications")
    nsub = n.add_subparsers(dest="notify_command", required=True)
    t = nsub.add_parser("test", help="send a sample summary to every configured webhook and show each outcome")
    add_settings_options(t)
    t.set_defaults(handler=cmd_notify_test)


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


def _move(row: ChangeRow) -> str:
    return f"{row.old or 'new'} -> {row.new or 'gone'}"


def _pct(row: ChangeRow) -> str:
    return "" if row.pct is None else f"{row.pct:+.2f}%"


def _when(at: str) -> str:
    return at.replace("T", " ")


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    limit = args.limit if args.limit is not None else (0 if args.json else DEFAULT_LIMIT)
    rows = HistoryStore(settings.data_dir).changes(
        provider=args.provider,
        since=args.since,
        instance=args.instance,
        region=args.region,
        os=args.os.lower() if args.os else None,
        limit=limit + 1 if limit else None,
    )
    more = bool(limit) and len(rows) > limit
    rows = rows[:limit] if limit else rows
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=1))
        return 0
    if not rows:
        line(
            "no price changes recorded"
            + (" that match" if any((args.provider, args.since, args.instance, args.region, args.os)) else " yet")
        )
        return 0
    table(
        f"price changes, newest first ({len(rows)}{'+' if more else ''})",
        [
            ("when (UTC)", "left"),
            ("provider", "left"),
            ("region", "left"),
            ("os", "left"),
            ("instance type", "left"),
            ("old -> new", "left"),
            ("change", "right"),
            ("source", "left"),
        ],
        [
            [_when(r.at), r.provider, r.region, r.os, r.instance_type, _move(r), _pct(r), r.source_version or "-"]
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
            provider=args.provider, instance=args.instance, region=args.region, os=args.os.lower() if args.os else None
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
        lines = [[f"before {_when(group[0].at)}", group[0].old or "(not listed)", "", ""]]
        lines += [[_when(r.at), r.new or "(no longer listed)", _pct(r), r.source_version or "-"] for r in group]
        table(
            f"{args.provider} {itype} {region} {os_}",
            [("when (UTC)", "left"), ("$/hour", "right"), ("change", "right"), ("source", "left")],
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
