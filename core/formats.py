"""How pricesync writes a time, names a provider and sums up skipped prices: one definition of
each for the engine, the CLI and the dashboard. A leaf module: it imports only other leaves
(numbers are core.numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from .textsafe import terminal

PROVIDER_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


def provider_name(provider: str) -> str:
    """'aws' -> 'AWS'; a name it does not know stays as it is."""
    return PROVIDER_NAMES.get(provider, provider)


def iso_z(moment: datetime) -> str:
    """An aware time as pricesync stores and prints it: ISO 8601 in UTC, whole seconds, `Z`
    ('2025-11-03T09:30:05Z')."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def utc_now() -> str:
    return iso_z(datetime.now(UTC))


def parse_utc(text: object) -> datetime | None:
    """An ISO 8601 time from a file (state.json, the history) as an aware datetime; a time
    without a zone is UTC (pricesync writes UTC). None for anything that is not such a time:
    the file may have been written by another program."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def when(at: str | None) -> str:
    """A stored time as every table shows it: '2025-11-03T09:30:05Z' -> '2025-11-03 09:30', in
    UTC (the column or the line says so). A value that is not a time (a file another program
    wrote) is cut the same way and neutralised; none is ''."""
    moment = parse_utc(at)
    if moment is None:
        return terminal((at or "")[:16].replace("T", " "))
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def skipped_summary(skipped: Mapping[str, int]) -> str:
    """What a source skipped, for a log line: 'bad_price 2, spot 10' (by reason), or 'none'."""
    return ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items())) or "none"
