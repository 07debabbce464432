"""Crontab expressions with crontab's meaning, turned into APScheduler triggers, words and
systemd calendar specs.

APScheduler's `CronTrigger.from_crontab` reads day-of-week 0 as Monday; crontab reads 0 and
7 as Sunday. Day-of-week is therefore parsed here and handed over as names. A trigger is
always built with an explicit zone (without one APScheduler uses the machine's local zone).
Crontab ORs a restricted day-of-month with a restricted day-of-week; APScheduler ANDs them,
so that combination is refused rather than silently meaning something else. An expression
that never fires (`0 0 30 2 *`) is refused too: it would be a schedule that silently never
runs, and a systemd timer that never elapses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from .errors import ConfigError

DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # crontab numbering, 0 = Sunday
_APS_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_FIELD_RE = re.compile(r"^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]{1,4}))?$")
FIRES_WITHIN = timedelta(days=8 * 366)  # every valid day (29 February included) comes round in 8 years


def _dow_number(token: str, expr: str) -> int:
    """A day of week, 0-7 with 7 kept as 7 (the end of a range such as 5-7)."""
    token = token.lower()
    if len(token) == 1 and token in "01234567":
        return int(token)
    if token[:3] in DAY_NAMES and len(token) == 3:
        return DAY_NAMES.index(token)
    raise ConfigError(f"cron {expr!r}: bad day of week {token!r}")


def parse_days_of_week(field: str, expr: str) -> list[int] | None:
    """Crontab day-of-week field -> sorted day numbers (0 = Sunday), None for '*'."""
    if field == "*":
        return None
    days: set[int] = set()
    for part in field.split(","):
        m = _FIELD_RE.match(part.lower())
        if not m:
            raise ConfigError(f"cron {expr!r}: bad day-of-week part {part!r}")
        rng, step = m.group(1), int(m.group(2) or 1)
        if step == 0:
            raise ConfigError(f"cron {expr!r}: day-of-week step in {part!r} must be at least 1")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-")
            lo, hi = _dow_number(a, expr), _dow_number(b, expr)
            if hi < lo:
                raise ConfigError(f"cron {expr!r}: day-of-week range {part!r} runs backwards")
        else:
            lo = hi = _dow_number(rng, expr)
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return sorted(days)


@dataclass(frozen=True)
class CronSpec:
    expr: str
    timezone: str
    minute: str
    hour: str
    day: str
    month: str
    days_of_week: list[int] | None  # crontab numbering

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def trigger(self, end: datetime | None = None) -> CronTrigger:
        dow = "*" if self.days_of_week is None else ",".join(DAY_NAMES[d] for d in self.days_of_week)
        return CronTrigger(
            minute=self.minute,
            hour=self.hour,
            day=self.day,
            month=self.month,
            day_of_week=dow,
            timezone=self.zone,
            end_date=end,
        )

    def next_fire_times(self, count: int, after: datetime) -> list[datetime]:
        """The next `count` fire times at or after `after` (aware datetimes in the zone)."""
        trigger = self.trigger()
        times: list[datetime] = []
        previous, now = None, after
        while len(times) < count:
            t = trigger.get_next_fire_time(previous, now)
            if t is None:
                break
            times.append(t)
            previous, now = t, t + timedelta(seconds=1)
        return times

    def describe(self) -> str:
        """The schedule in words, e.g. 'daily at 02:00 UTC' or 'every Sunday at 06:00 UTC'."""
        if self.minute.isdigit() and self.hour.isdigit() and self.day == "*" and self.month == "*":
            at = f"at {int(self.hour):02d}:{int(self.minute):02d} {self.timezone}"
            days = self.days_of_week
            if days is None or len(days) == 7:
                return f"daily {at}"
            if days == [1, 2, 3, 4, 5]:
                return f"on weekdays (Mon-Fri) {at}"
            if len(days) == 1:
                return f"every {_FULL[days[0]]} {at}"
            return f"on {', '.join(DAY_NAMES[d].title() for d in days)} {at}"
        return f"on cron '{self.expr}' ({self.timezone})"

    def on_calendar(self) -> str:
        """The systemd OnCalendar= equivalent, e.g. 'Sun *-*-* 06:00:00 UTC'."""
        dow = "" if self.days_of_week is None else ",".join(DAY_NAMES[d].title() for d in self.days_of_week) + " "
        return (
            f"{dow}*-{_systemd_field(self.month, self.expr)}-{_systemd_field(self.day, self.expr)} "
            f"{_systemd_field(self.hour, self.expr)}:{_systemd_field(self.minute, self.expr)}:00 {self.timezone}"
        )


_FULL = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _systemd_field(field: str, expr: str) -> str:
    parts = []
    for part in field.split(","):
        m = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        if not m:
            raise ConfigError(f"cron {expr!r}: field {field!r} has no systemd equivalent; use --cron")
        start, end, step = m.groups()
        if start == "*":
            parts.append("*" if not step else f"00/{step}")
            continue
        text = f"{int(start):02d}" + (f"..{int(end):02d}" if end else "")
        if step:
            if end:
                raise ConfigError(f"cron {expr!r}: stepped range {part!r} has no systemd equivalent; use --cron")
            text += f"/{step}"
        parts.append(text)
    return ",".join(parts)


def check_zone(timezone: str) -> None:
    """ConfigError unless `timezone` names a time zone (`Europe/Paris`, `UTC`)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory such as "America"
        raise ConfigError(f"unknown time zone {timezone!r}") from None


def parse_cron(expr: str, timezone: str = "UTC") -> CronSpec:
    """Validate a 5-field crontab expression in `timezone` that fires at least once; ConfigError
    names what is wrong."""
    fields = expr.split()
    if len(fields) != 5:
        raise ConfigError(f"cron {expr!r}: need 5 fields (minute hour day month day-of-week), got {len(fields)}")
    check_zone(timezone)
    minute, hour, day, month, dow = fields
    days = parse_days_of_week(dow, expr)
    if day != "*" and days is not None:
        raise ConfigError(
            f"cron {expr!r}: restricting both day-of-month and day-of-week means 'either' in crontab "
            "but 'both' in APScheduler; use one of them"
        )
    spec = CronSpec(expr, timezone, minute, hour, day, month.lower(), days)
    now = datetime.now(spec.zone)
    try:
        first = spec.trigger(end=now + FIRES_WITHIN).get_next_fire_time(None, now)
    except ValueError as exc:
        raise ConfigError(f"cron {expr!r}: {exc}") from None
    if first is None:
        raise ConfigError(f"cron {expr!r} never fires (no such date, e.g. 30 February)")
    return spec
