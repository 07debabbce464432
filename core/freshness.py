"""How fresh each provider's prices are, against `[sync] max_age`: the staleness alarm.

A provider is *stale* when its last successful sync is older than max_age, and *critical*
when it is older than twice max_age (or it never synced). The dashboard's header shows the
age in yellow, then red; `pricesync status` exits 1; the scheduler (daemon, dashboard, host
app) logs a warning and fires the webhooks' `stale` event once per episode. An episode is
the staleness that follows one last success: it ends with the next successful sync, and
state.json remembers which episode was announced, across processes and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from .config import Settings
from .cronspec import parse_cron
from .durations import short_duration
from .formats import iso_z, parse_utc, provider_name
from .state import claim_once, provider_state

log = logging.getLogger("pricesync.freshness")

Level = Literal["fresh", "stale", "critical"]
CRITICAL_FACTOR = 2  # past this many times max_age, stale turns critical (red)
ALERT_KEY = "stale_alert"  # state.json: the episode last announced
NEVER = "never"  # the episode of a provider that never synced


def level_of(last_success: datetime | None, max_age: timedelta | None, now: datetime) -> Level:
    """fresh, stale (older than max_age) or critical (older than twice max_age, or never synced).
    Without max_age everything is fresh: no alarm is configured."""
    if max_age is None:
        return "fresh"
    if last_success is None:
        return "critical"
    age = now - last_success
    if age > max_age * CRITICAL_FACTOR:
        return "critical"
    return "stale" if age > max_age else "fresh"


@dataclass(frozen=True, slots=True)
class Freshness:
    provider: str
    last_success: datetime | None  # None: never synced successfully
    source_version: str | None
    next_run: datetime | None  # the next scheduled run that syncs it; None: not scheduled
    max_age: timedelta | None
    now: datetime

    @property
    def age_s(self) -> int | None:
        return None if self.last_success is None else max(int((self.now - self.last_success).total_seconds()), 0)

    @property
    def level(self) -> Level:
        return level_of(self.last_success, self.max_age, self.now)

    @property
    def stale(self) -> bool:
        return self.level != "fresh"

    @property
    def episode(self) -> str:
        """Which staleness this is: the last success it follows."""
        return iso_z(self.last_success) if self.last_success else NEVER

    def describe(self) -> str:
        """One line for a log or a notification."""
        name = provider_name(self.provider)
        limit = f" (max_age {short_duration(self.max_age.total_seconds())})" if self.max_age else ""
        if self.age_s is None:
            return f"{name} prices are stale: never synced successfully{limit}"
        return f"{name} prices are stale: last successful sync {short_duration(self.age_s)} ago{limit}"

    def to_json(self) -> dict[str, Any]:
        return {
            "last_success": iso_z(self.last_success) if self.last_success else None,
            "age_s": self.age_s,
            "source_version": self.source_version,
            "next_run": iso_z(self.next_run) if self.next_run else None,
            "stale": self.stale,
            "level": self.level,
        }


def next_scheduled_run(settings: Settings, provider: str, now: datetime) -> datetime | None:
    """When the configured schedule next syncs `provider` (None: disabled, or not in it)."""
    if not settings.schedule.enabled or provider not in settings.scheduled_providers():
        return None
    times = parse_cron(settings.schedule.cron, settings.schedule.timezone).next_fire_times(1, now)
    return times[0] if times else None


def provider_freshness(
    settings: Settings,
    provider: str,
    now: datetime,
    *,
    next_run: datetime | None = None,
    max_age: timedelta | None = None,
) -> Freshness:
    """`provider`'s freshness from state.json (a damaged file: CatalogError). `next_run` defaults
    to the configured schedule's; `max_age` to [sync] max_age."""
    pstate = provider_state(settings.data_dir, provider)
    version = pstate.get("source_version")
    return Freshness(
        provider=provider,
        last_success=parse_utc(pstate.get("last_success")),
        source_version=version if isinstance(version, str) else None,
        next_run=next_run if next_run is not None else next_scheduled_run(settings, provider, now),
        max_age=max_age or settings.max_age,
        now=now,
    )


def watch_staleness(
    settings: Settings, providers: Iterable[str], now: datetime, alert: Callable[[Freshness], None]
) -> list[Freshness]:
    """Check each provider; for a stale one whose episode is not announced yet, log a warning
    and call `alert` (the webhooks), once per episode across every process. Returns the stale
    ones. Nothing happens without [sync] max_age."""
    if settings.max_age is None:
        return []
    stale = []
    for provider in providers:
        f = provider_freshness(settings, provider, now)
        if not f.stale:
            continue
        stale.append(f)
        if claim_once(settings.data_dir, provider, ALERT_KEY, f.episode, iso_z(now)):
            log.warning("%s", f.describe())
            alert(f)
    return stale
