"""`pricesync daemon` and `pricesync schedule show|install`."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from .. import (
    CronSpec,
    PriceSyncScheduler,
    Settings,
    add_settings_options,
    atomic_write_bytes,
    build_engine,
    iso_z,
    parse_cron,
    setup_logging,
)
from .output import line, lines

UNIT_NAME = "pricesync-sync"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser("daemon", help="run the scheduler in the foreground, no UI (SIGTERM/SIGINT stop it)")
    add_settings_options(d)
    d.set_defaults(handler=cmd_daemon, writes=True)

    s = sub.add_parser("schedule", help="show the schedule or print/install systemd or cron wrappers")
    ssub = s.add_subparsers(dest="schedule_command", required=True)
    show = ssub.add_parser("show", help="the next fire times of the schedule")
    add_settings_options(show)
    show.add_argument("--cron", metavar="EXPR", help="a crontab expression instead of the configured one")
    show.add_argument("--timezone", metavar="TZ", help="the schedule's zone instead of the configured one")
    show.add_argument("--count", type=int, default=5, metavar="N")
    show.add_argument("--json", action="store_true", help="a JSON list of ISO-8601 UTC times")
    show.set_defaults(handler=cmd_schedule_show)

    inst = ssub.add_parser("install", help="print (or --write) a systemd service+timer, or a crontab line")
    add_settings_options(inst)
    kind = inst.add_mutually_exclusive_group(required=True)
    kind.add_argument("--systemd", action="store_true")
    kind.add_argument("--cron", action="store_true")
    inst.add_argument("--user", action="store_true", help="a systemd user unit (~/.config/systemd/user)")
    inst.add_argument("--write", action="store_true", help="write the unit files instead of printing them")
    inst.add_argument("--unit-dir", metavar="DIR", help="where --write puts the units (default: the systemd dir)")
    inst.set_defaults(handler=cmd_schedule_install)


def _spec(settings: Settings, cron: str | None = None, tz: str | None = None) -> CronSpec:
    return parse_cron(cron or settings.schedule.cron, tz or settings.schedule.timezone)


def cmd_schedule_show(args: argparse.Namespace, settings: Settings) -> int:
    spec = _spec(settings, args.cron, args.timezone)
    times = spec.next_fire_times(max(args.count, 0), datetime.now(UTC))
    if args.json:
        print(json.dumps([iso_z(t) for t in times]))
        return 0
    line(f"Schedule: {spec.describe()} (cron '{spec.expr}', zone {spec.timezone})")
    for t in times:
        local = t.astimezone(spec.zone)
        line(f"  {t.astimezone(UTC):%Y-%m-%d %H:%M %Z}   {local:%Y-%m-%d %H:%M %Z (%z)}")
    return 0


def _sync_command(args: argparse.Namespace) -> str:
    exe = shutil.which("pricesync") or str(Path(sys.argv[0]).resolve())
    parts = [exe, "sync", "--write-back"]
    if args.config:
        parts += ["--config", str(Path(args.config).resolve())]
    if args.data_dir:
        parts += ["--data-dir", str(Path(args.data_dir).resolve())]
    return shlex.join(parts)


def systemd_units(spec: CronSpec, command: str) -> dict[str, str]:
    service = f"""[Unit]
Description=pricesync: sync cloud instance prices and write back the catalog
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={command}
# exit 3 means another sync held the lock: not a failure of this unit
SuccessExitStatus=3
Nice=10
"""
    timer = f"""[Unit]
Description=pricesync schedule ({spec.describe()})

[Timer]
OnCalendar={spec.on_calendar()}
# run at boot when the box was off at the scheduled time
Persistent=true
RandomizedDelaySec=60

[Install]
WantedBy=timers.target
"""
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def cmd_schedule_install(args: argparse.Namespace, settings: Settings) -> int:
    spec = _spec(settings)
    command = _sync_command(args)
    if args.cron:
        # cron reads times in the system zone unless CRON_TZ (cronie) says otherwise
        line(f"CRON_TZ={spec.timezone}")
        line(f"{spec.expr} {command} >/dev/null 2>&1")
        return 0
    units = systemd_units(spec, command)
    if not args.write:
        for name, text in units.items():
            lines(f"# {name}\n{text}")
        return 0
    unit_dir = (
        Path(args.unit_dir)
        if args.unit_dir
        else (Path.home() / ".config/systemd/user" if args.user else Path("/etc/systemd/system"))
    )
    unit_dir.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        atomic_write_bytes(unit_dir / name, text.encode())
        line(f"wrote {unit_dir / name}")
    ctl = "systemctl --user" if args.user else "systemctl"
    line(f"enable it with: {ctl} daemon-reload && {ctl} enable --now {UNIT_NAME}.timer")
    return 0


def cmd_daemon(args: argparse.Namespace, settings: Settings) -> int:
    setup_logging(settings.data_dir, stderr_level=logging.INFO)
    scheduler = PriceSyncScheduler(settings, build_engine(settings))
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("pricesync").info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    if not scheduler.enabled:
        logging.getLogger("pricesync").warning("the schedule is disabled in the config; the daemon has nothing to do")
    while not stop.wait(1.0):
        pass
    scheduler.shutdown()
    return 0
