"""The header's staleness alarm ([sync] max_age): yellow past it, red past twice it, with the age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pricesync.core import load_settings
from pricesync.core.state import update_provider_state
from pricesync.tui.widgets.status_bar import stale_badge

from tests.tui.conftest import FIXED_NOW, SIZE, loaded, make_app, status

MAX_AGE = timedelta(hours=36)


def _iso(ago: timedelta) -> str:
    return (FIXED_NOW - ago).isoformat()


@pytest.mark.parametrize(
    "ago, text, style",
    [
        (timedelta(hours=37), " STALE 1d 13h (max_age 1d 12h) ", "bold black on yellow"),
        (timedelta(hours=73), " STALE 3d 01h (max_age 1d 12h) ", "bold white on red"),
        (None, " STALE never synced (max_age 1d 12h) ", "bold white on red"),
    ],
)
def test_the_badge_turns_yellow_then_red(ago, text, style):
    badge = stale_badge(None if ago is None else _iso(ago), MAX_AGE, FIXED_NOW)
    assert badge is not None and (badge.plain, str(badge.style)) == (text, style)


def test_no_badge_while_fresh_or_without_max_age():
    assert stale_badge(_iso(timedelta(hours=35)), MAX_AGE, FIXED_NOW) is None
    assert stale_badge(_iso(timedelta(days=365)), None, FIXED_NOW) is None


async def test_the_header_shows_the_age_of_stale_prices(settings):
    text = settings.config_path.read_text()  # the suite's config has a [sync]: add to it
    settings.config_path.write_text(text.replace("[sync]\n", '[sync]\nmax_age = "36h"\n', 1))
    settings = load_settings(settings.config_path, settings.data_dir)
    update_provider_state(
        settings.data_dir, "aws", {"last_success": _iso(timedelta(hours=50)), "last_status": "updated"}
    )
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert "\n STALE 2d 02h (max_age 1d 12h)  last sync 2025-11-01 07:30 UTC (2d ago)" in status(app)
