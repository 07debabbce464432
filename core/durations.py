"""Durations as an operator writes them: `90s`, `30m`, `36h`, `7d`, `2w` (`[sync] max_age`,
`pricesync changes --since`, `pricesync status --max-age`). A leaf module."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"([0-9]{1,9})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DURATION_FORMS = "a whole number and a unit: 90s, 30m, 36h, 7d, 2w"


def parse_duration(text: str) -> timedelta:
    """`36h` -> 36 hours. ValueError (without repeating the text) for anything else, zero included."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a duration ({DURATION_FORMS})")
    try:
        span = timedelta(**{_UNITS[m[2]]: int(m[1])})
    except OverflowError:
        raise ValueError("too long a duration") from None
    if not span:
        raise ValueError("a duration must be longer than 0")
    return span


def short_duration(seconds: float) -> str:
    """An age for a header or a table: '45s', '12m', '5h 03m', '2d 04h'."""
    s = max(int(seconds), 0)
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    if d:
        return f"{d}d {h:02d}h"
    if h:
        return f"{h}h {m:02d}m"
    return f"{m}m" if m else f"{sec}s"
