"""Snapshots (pytest-textual-snapshot) of the dashboard at 80x24 (an SSH pane) and 200x50: the
first run, main screen, a filtered view, a sync in progress, pending changes, the write-back
dialog with the sanity guard's word, the error states, and the price changes screen. Time is
frozen: the app's clock, the log records' time, and a next run far in the future. Update with
`--snapshot-update` after looking at the report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from apscheduler.triggers.date import DateTrigger
from pricesync.core import build_engine
from pricesync.core.scheduler import PriceSyncScheduler
from pricesync.core.state import update_provider_state
from pricesync.tui.app import PriceSyncApp
from pricesync.tui.screens import ChangesScreen, ConfirmWriteBack
from textual.widgets import Input

from tests.conftest import OFFER
from tests.tui.conftest import FIXED_NOW, log_text, settle, wait_for, write_history, write_pending_data

SIZES = pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])


@pytest.fixture
def snap_settings(settings, home, frozen_log_time):
    return settings


def make_app(settings, **kwargs) -> PriceSyncApp:
    kwargs.setdefault("clock", lambda: FIXED_NOW)
    kwargs.setdefault("scheduler_enabled", False)
    app = PriceSyncApp(settings, **kwargs)
    app.animation_level = "none"  # the indeterminate progress bar stands still
    return app


async def until_loaded(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.data is not None and (app.data.error or app.table.message is None), "the catalog")


@SIZES
def test_main_screen(size, snap_compare, snap_settings):
    now = datetime(2099, 1, 1, 0, 0, 0, tzinfo=UTC)
    when = datetime(2099, 1, 1, 2, 0, 0, tzinfo=UTC)
    app = make_app(
        snap_settings,
        clock=lambda: now,
        scheduler=PriceSyncScheduler(
            snap_settings, build_engine(snap_settings), enabled=True, trigger=DateTrigger(when)
        ),
    )
    assert snap_compare(app, terminal_size=size, run_before=until_loaded)


@SIZES
def test_filtered_view_with_a_bad_term(size, snap_compare, snap_settings):
    async def filtered(pilot):
        await until_loaded(pilot)
        await pilot.press("slash", *"vcpu>=2 region:us-* bogus:1", "enter")

    assert snap_compare(make_app(snap_settings), terminal_size=size, run_before=filtered)


@SIZES
def test_sync_in_progress(size, snap_compare, served_settings, home, frozen_log_time, aws_server):
    aws_server.routes[OFFER].delay_s = 5.0
    app = make_app(served_settings)

    async def syncing(pilot):
        await until_loaded(pilot)
        app.scheduler.progress = None  # the download line's MB and MB/s depend on timing
        await pilot.press("s")
        await wait_for(pilot, lambda: "us-east-1: downloading price list" in log_text(app), "the download")

    assert snap_compare(app, terminal_size=size, run_before=syncing)
    settle(app)


@SIZES
def test_pending_changes(size, snap_compare, snap_settings):
    write_pending_data(snap_settings.data_dir)
    assert snap_compare(make_app(snap_settings), terminal_size=size, run_before=until_loaded)


@SIZES
def test_failed_sync_in_red(size, snap_compare, snap_settings):
    update_provider_state(
        snap_settings.data_dir,
        "aws",
        {
            "last_attempt": "2025-11-03T09:00:00Z",
            "last_status": "failed",
            "last_error": "HTTP 503 Service Unavailable from http://127.0.0.1/offers/v1.0/aws/AmazonEC2/current/region_index.json",
        },
    )
    assert snap_compare(make_app(snap_settings), terminal_size=size, run_before=until_loaded)


@SIZES
def test_corrupt_catalog(size, snap_compare, snap_settings):
    (snap_settings.data_dir / "aws_catalog.json").write_text('{"schema_version": 1, "provider": "aws", ')
    assert snap_compare(make_app(snap_settings), terminal_size=size, run_before=until_loaded)


@SIZES
def test_changes_screen(size, snap_compare, snap_settings):
    """`c` over a recorded history: the runs, the last run with changes highlighted, then
    stepped back (left) to the earlier run with five changes."""
    write_pending_data(snap_settings.data_dir)
    write_history(snap_settings.data_dir)

    async def changes(pilot):
        await until_loaded(pilot)
        app = pilot.app
        await wait_for(pilot, lambda: app.marks.run is not None, "the marks")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen) and len(app.screen.shown) == 1, "the run")
        await pilot.press("left")
        await wait_for(pilot, lambda: len(app.screen.shown) == 5, "the earlier run")

    assert snap_compare(make_app(snap_settings), terminal_size=size, run_before=changes)


@SIZES
def test_first_run(snap_compare, snap_settings, size):
    """A catalog never synced: the hint above the table says what it is and how prices come."""
    app = make_app(
        snap_settings,
        clock=lambda: datetime(2099, 1, 1, 0, 0, 0, tzinfo=UTC),
        scheduler=PriceSyncScheduler(
            snap_settings,
            build_engine(snap_settings),
            enabled=True,
            trigger=DateTrigger(datetime(2099, 1, 1, 2, 0, 0, tzinfo=UTC)),
        ),
    )
    assert snap_compare(app, terminal_size=size, run_before=until_loaded)


@SIZES
def test_write_back_dialog_with_the_guard(snap_compare, snap_settings, size):
    settings = replace(snap_settings, sync=replace(snap_settings.sync, max_missing_pct=0.0))
    write_pending_data(settings.data_dir)

    async def confirm(pilot):
        await until_loaded(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmWriteBack), "the dialog")
        pilot.app.screen.query_one(Input).cursor_blink = False  # a still frame
        await pilot.pause()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=confirm)
