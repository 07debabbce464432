"""Snapshots of the pivot and the compare view at 80x24 (an SSH pane), on the choosing fixture.
Update with `--snapshot-update` after looking at the report."""

from __future__ import annotations

import pytest
from pricesync.tui.screens_choose import CompareScreen, PivotScreen

from tests.fakes import choosedata
from tests.tui.conftest import wait_for
from tests.tui.test_choose import table_rows, type_filter
from tests.tui.test_snapshots import make_app, until_loaded

SIZE = (80, 24)


@pytest.fixture
def choose_settings(settings, home, frozen_log_time):
    choosedata.write_catalog(settings.data_dir / "aws_catalog.json")
    return settings


def test_pivot_80x24(snap_compare, choose_settings):

    async def pivoted(pilot):
        app = pilot.app
        await until_loaded(pilot)
        await type_filter(pilot, "os:linux")
        await pilot.press("v", "h")
        await wait_for(pilot, lambda: isinstance(app.screen, PivotScreen) and app.screen.home is not None, "home")
        await wait_for(pilot, lambda: "%" in str(table_rows(app.screen)), "the delta")

    assert snap_compare(make_app(choose_settings), terminal_size=SIZE, run_before=pivoted)


async def compare_with(pilot, other: str) -> None:
    """Mark m5.large (us-east-1, linux) and the rows `other` filters, and open the compare view."""
    await until_loaded(pilot)
    await type_filter(pilot, "m5.large region:us-east-1 os:linux")
    await pilot.press("space")
    await type_filter(pilot, other)
    await pilot.press("space", "x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "the compare view")


def test_compare_80x24(snap_compare, choose_settings):
    async def compared(pilot):
        await compare_with(pilot, "t4g")

    assert snap_compare(make_app(choose_settings), terminal_size=SIZE, run_before=compared)


def test_compare_specs_80x24(snap_compare, choose_settings):
    """The richer specs, after the prices: the compare view scrolled to its end."""

    async def compared(pilot):
        await compare_with(pilot, "m6a region:us-east-1")
        await pilot.press("ctrl+end")
        await pilot.pause()
        await wait_for(pilot, lambda: "storage" in str(table_rows(pilot.app.screen)), "the spec lines")

    assert snap_compare(make_app(choose_settings), terminal_size=SIZE, run_before=compared)
