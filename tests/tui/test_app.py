"""The dashboard driven through Pilot: every binding, the filter language, faults, a real
sync against the local price server, and quitting during a sync."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger
from pricesync.core import build_engine
from pricesync.core import parse_query as parse
from pricesync.core.scheduler import PriceSyncScheduler
from pricesync.tui import app as app_module
from pricesync.tui.app import COMMANDS, main
from pricesync.tui.screens import ConfirmWriteBack, HelpScreen, ProviderPicker, RegionPicker
from pricesync.tui.widgets.catalog_table import GAP, CatalogTable
from pricesync.tui.widgets.filter_bar import FilterInput
from pricesync.tui.widgets.log_pane import LogPane
from textual.widgets import Input

from tests.conftest import INDEX, OFFER, US_EAST_1
from tests.fakes import offerdata
from tests.tui.conftest import (
    ADDED,
    SIZE,
    WAIT_S,
    loaded,
    log_text,
    make_app,
    notes,
    screen_text,
    status,
    wait_for,
    write_pending_data,
)


def next_run(app) -> str:
    return str(app.query_one("#next-run").render())


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key_at_cursor(app):
    return app.table.cursor_key


# -- layout, filter, sort --------------------------------------------------------------------------


async def test_main_screen_shows_the_catalog_the_status_and_no_scheduler(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.shown == 9 and len(app.table.order) == 9
        text = status(app)
        assert "AWS" in text and "aws_catalog.json" in text and "9 of 9 shown" in text
        assert "write-back: manual" in text and "last sync never" in text
        assert "scheduler disabled" in next_run(app)
        assert "m5.large" in screen_text(app) and "$/month" in screen_text(app)
        assert "Scheduler disabled" in log_text(app)
        assert isinstance(app.focused, CatalogTable)


async def test_the_first_run_hint_names_the_mirror_setting_after_a_failure(settings):
    """[aws] is the setting's section, shown as typed (not read as markup and dropped)."""
    (settings.data_dir / "state.json").write_text('{"providers": {"aws": {"last_status": "failed"}}}')
    async with make_app(settings).run_test(size=(80, 24)) as pilot:
        app = await loaded(pilot)
        hint = str(app.query_one("#hint").render())
        assert "No AWS prices yet" in hint and "[aws] endpoint in the config" in hint


async def test_filter_language_filters_live_and_shows_bad_terms(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, FilterInput)
        await pilot.press(*"vcpu>=4")
        assert app.shown == 3  # m5.xlarge x2, p4d.24xlarge
        await pilot.press(*" region:us-*")
        assert app.shown == 2
        await pilot.press(*" mem>=x")
        assert app.shown == 2  # the bad term filters nothing
        feedback = str(app.query_one("#filter-feedback").render())
        assert "bad term" in feedback and "mem>=x" in feedback and "not a number" in feedback
        await pilot.press("escape")
        assert app.query_one(FilterInput).value == "" and app.shown == 9
        assert isinstance(app.focused, CatalogTable)
        assert not app.query_one("#filter-feedback").display
        for text, shown in [
            ("m5", 5),
            ("gpu>0", 1),
            ("price<0.5", 0),
            ("os:linux arch:arm64", 2),
            ("region:eu-* xlarge", 1),
            ("os:windows,rhel", 2),
        ]:
            await pilot.press("slash", "ctrl+a", "ctrl+k", *text, "enter")
            assert app.shown == shown, text
        assert isinstance(app.focused, CatalogTable)


async def test_typing_s_in_the_filter_types_an_s_and_starts_no_sync(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", "s", "w", "q", "p")
        await pilot.pause(0.3)
        assert app.query_one(FilterInput).value == "swqp"
        assert not app.syncing and "run started" not in log_text(app)
        assert app.is_running and app.screen is app.screen_stack[0]


async def test_big_catalogs_filter_in_a_worker_and_only_the_latest_view_lands(settings, monkeypatch):
    monkeypatch.setattr(app_module, "SMALL_CATALOG", 0)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", *"m5 vcpu>=4")
        await wait_for(pilot, lambda: app.view_settled, "the worker's rows")
        assert app.shown == 2
        assert {app.data.index.rows.keys[r] for r in app.table.order} == {
            ("m5.xlarge", "us-east-1", "linux"),
            ("m5.xlarge", "eu-west-1", "linux"),
        }


async def test_a_new_sort_goes_to_the_first_row_and_a_reload_keeps_the_row(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("down", "down", "down")
        await pilot.press("greater_than_sign")
        assert app.view.sort == "price" and app.table.cursor == 0
        await pilot.press("less_than_sign", "less_than_sign")
        assert app.view.sort == "gpu"
        await pilot.press("down", "down")
        await pilot.press("o")
        assert app.view.descending and app.table.cursor == 0
        widths = app.table.widths
        shown = [c.key for c in app.table.columns]
        x = sum(widths[k] + GAP for k in shown[: shown.index("vcpu")]) + 1
        await pilot.click(CatalogTable, offset=(x, 0))
        assert (app.view.sort, app.view.descending) == ("vcpu", False)
        vcpus = [app.data.index.rows.value("vcpu", r) for r in app.table.order]
        assert vcpus == sorted(vcpus)
        await pilot.click(CatalogTable, offset=(x, 0))
        assert app.view.descending
        vcpus = [app.data.index.rows.value("vcpu", r) for r in app.table.order]
        assert vcpus == sorted(vcpus, reverse=True) and vcpus[0] == 96
        await pilot.press("down", "down")
        key = key_at_cursor(app)
        app._load()  # a reload (after a sync, or a change on disk) keeps the row
        await pilot.pause(0.3)
        assert key_at_cursor(app) == key and app.table.cursor == 2
        await pilot.click(CatalogTable, offset=(2, 3))
        assert app.table.cursor == 2 + round(app.table.scroll_y)


# -- bindings ----------------------------------------------------------------------------------------


async def test_d_shows_only_pending_rows_and_the_pending_column(settings):
    write_pending_data(settings.data_dir)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.shown == 10  # 9 catalog entries + 1 added by the cache
        assert "pending: 2 changed, 1 added, 1 missing" in status(app)
        await pilot.press("d")
        assert app.shown == 4 and app.view.pending_only and "4 of 10 shown (pending only)" in status(app)
        text = screen_text(app)
        assert "0.1000 ▲4.2%" in text and "0.0700 ▼9.1%" in text
        assert "26.6880 added" in text and "missing" in text
        await pilot.press("d")
        assert app.shown == 10


async def test_w_asks_with_counts_then_writes_back(settings):
    write_pending_data(settings.data_dir)
    catalog = settings.data_dir / "aws_catalog.json"

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        before = digest(catalog)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmWriteBack), "the confirmation")
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "2 changed" in text and "1 added" in text and "1 missing" in text
        assert "m5.large us-east-1 linux: 0.0960 → 0.1000 +4.2%" in text
        await pilot.press("s")  # app keys are off while a dialog is open
        assert not app.syncing
        await pilot.press("n")
        assert digest(catalog) == before and not isinstance(app.screen, ConfirmWriteBack)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmWriteBack), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("written back" in n for n in notes(app)), "the write-back")
        await wait_for(pilot, lambda: app.data.diff is not None and app.data.diff.empty, "the reload")
        assert digest(catalog) != before
        assert "catalog written back: 1 added, 2 changed, 1 marked unavailable" in log_text(app)
        assert app.data.catalog.entries and any(e.key == ADDED.key for e in app.data.catalog.entries)
        await pilot.press("w")
        await wait_for(pilot, lambda: any("Nothing to write back" in n for n in notes(app)), "nothing to do")


async def test_w_shows_the_guard_before_y_and_takes_a_typed_force(settings):
    """One entry of a region would be marked unavailable: over a max_missing_pct of 0, the
    dialog says so before `y`, names the setting, refuses `y` and writes back on a typed force."""
    settings = replace(settings, sync=replace(settings.sync, max_missing_pct=0.0))
    write_pending_data(settings.data_dir)
    catalog = settings.data_dir / "aws_catalog.json"

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        before = digest(catalog)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmWriteBack), "the confirmation")
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "The sanity guard would refuse this write-back" in text
        assert "[sync] max_missing_pct = 0% in the config" in text and "--force" not in text
        await pilot.press("y")  # typed into the confirmation field, not an answer
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmWriteBack) and digest(catalog) == before
        app.screen.query_one(Input).value = ""
        await pilot.press(*"force", "enter")
        await wait_for(pilot, lambda: any("written back" in n for n in notes(app)), "the write-back")
        assert digest(catalog) != before


async def test_a_refused_write_back_reads_as_such_and_clears_when_one_succeeds(settings):
    settings = replace(settings, sync=replace(settings.sync, max_missing_pct=0.0))
    write_pending_data(settings.data_dir)
    engine = build_engine(settings)
    refused = engine.write_back(engine.snapshot("aws"))
    assert refused.status == "failed" and "write-back refused" in (refused.error or "")

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert "write-back refused" in status(app) and "FAILED" not in status(app)
        assert engine.write_back(engine.snapshot("aws"), force=True).wrote_back
        app._load()
        await wait_for(pilot, lambda: "write-back refused" not in status(app), "the header to clear")
        assert "FAILED" not in status(app)


async def test_w_without_a_cache_says_to_sync_first(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: any("press s to sync first" in n for n in notes(app)), "the message")
        assert not isinstance(app.screen, ConfirmWriteBack)


async def test_a_toggles_automatic_write_back(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.scheduler.write_back is False
        await pilot.press("a")
        assert app.scheduler.write_back is True and "write-back: auto (this session)" in status(app)
        assert "automatic write-back after every sync (scheduled and s): on, for this session" in log_text(app)
        assert any("[schedule] write_back in the config keeps it" in n for n in notes(app))
        await pilot.press("a")
        assert app.scheduler.write_back is False and "write-back: manual\n" in status(app)


async def test_p_switches_provider_and_s_says_why_it_cannot_sync(settings, monkeypatch):
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("p")
        assert isinstance(app.screen, ProviderPicker)
        options = app.screen.query_one("OptionList")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(3)]
        assert "catalog + sync" in prompts[0] and "(shown)" in prompts[0]
        assert "catalog only: no GCP API key" in prompts[2]
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: app.data.provider == "gcp" and app.table.message is None, "the GCP catalog")
        assert app.shown == app.data.total > 0 and "GCP" in status(app)
        assert "-standard-" in screen_text(app)
        await pilot.press("s")
        await pilot.pause(0.3)
        assert any(n.startswith("GCP cannot sync: no GCP API key") for n in notes(app))
        assert not app.syncing and "run started" not in log_text(app)
        await pilot.press("p", "escape")
        assert app.provider == "gcp"


async def test_r_chooses_the_regions_shown(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("r")
        assert isinstance(app.screen, RegionPicker)
        await pilot.press("n", "space", "enter")  # none, then the first (eu-west-1)
        assert app.view.regions == frozenset({"eu-west-1"}) and app.shown == 3
        assert "3 of 9 shown (regions eu-west-1)" in status(app)
        await pilot.press("r", "a", "enter")
        assert app.view.regions is None and app.shown == 9
        await pilot.press("r", "n", "escape")
        assert app.view.regions is None


async def test_e_exports_the_rows_shown_and_says_where(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", *"region:eu-*", "enter", "e")
        path = settings.data_dir / "exports" / "aws-20251103-093005.csv"
        await wait_for(pilot, lambda: any(str(path) in n for n in notes(app)), "the export")
        assert path.read_text().count("\n") == 1 + 3
        assert f"exported 3 rows to {path}" in log_text(app)


async def test_l_toggles_the_log_and_question_mark_opens_help(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        pane = app.query_one(LogPane)
        await pilot.press("l")
        assert not pane.display
        await pilot.press("l")
        assert pane.display
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(settings):
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the exit")
    assert app.scheduler.next_run_time is None


async def test_every_binding_is_in_the_command_palette(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        actions = {b.action.split("(")[0] for b in app.BINDINGS}
        assert actions <= {a for a, _, _ in COMMANDS} | {"sort_step"}
        for _, title, _ in COMMANDS:
            assert titles.count(title) == 1, title
        assert "Sort by $/hour" in titles and "Sort by pending" in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"export csv")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("Exported 9 rows" in n for n in notes(app)), "the export")
        await pilot.press("ctrl+p", *"sort by $/hour")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.view.sort == "price", "the sort")


# -- the scheduler display ----------------------------------------------------------------------------


async def test_next_run_counts_down_live(settings):
    now = [datetime(2099, 1, 1, 0, 0, 0, tzinfo=UTC)]
    when = datetime(2099, 1, 1, 2, 0, 0, tzinfo=UTC)

    app = make_app(
        settings,
        clock=lambda: now[0],
        scheduler=PriceSyncScheduler(settings, build_engine(settings), enabled=True, trigger=DateTrigger(when)),
    )
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert "next run 2099-01-01 02:00 UTC in 2h 00m 00s · daily at 02:00 UTC" in next_run(app)
        now[0] += timedelta(minutes=59, seconds=30)
        await wait_for(pilot, lambda: "in 1h 00m 30s" in next_run(app), "the countdown to tick")


# -- a real sync, faults, quitting -----------------------------------------------------------------------


async def test_end_to_end_sync_from_the_app_then_write_back(served_settings, aws_server):
    aws_server.routes[OFFER].delay_s = 1.0  # long enough to see the sync running

    async with make_app(served_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert "new" not in screen_text(app)
        await pilot.press("s")
        assert app.syncing and app.check_action("sync_now", ()) is None
        assert app.query_one("#sync-progress").display and "syncing AWS" in str(app.query_one("#sync-label").render())
        await pilot.press("s")  # disabled: no second run
        await wait_for(pilot, lambda: not app.syncing, "the sync")
        await wait_for(pilot, lambda: app.data.cache is not None, "the reload")
        assert log_text(app).count("manual run started: aws") == 1
        assert set(app._downloads) == {"us-east-1", "eu-west-1"}  # the sync's progress reached the app
        assert all(done > 0 for _, done, _, _ in app._downloads.values())
        assert "aws sync updated: 9 prices, 0 added, 9 changed, 0 missing" in log_text(app)
        assert "0.0960 new" in screen_text(app) and "last sync" in status(app) and "updated" in status(app)
        assert app.check_action("sync_now", ()) is True
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmWriteBack), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.data.diff is not None and app.data.diff.empty, "the written catalog")
        await pilot.press("slash", *"m5.large region:us-east-1 os:linux", "enter")
        row = screen_text(app).splitlines()[1]
        assert "0.0960" in row and "70.08" in row and "new" not in row


async def test_a_failed_sync_is_red_in_the_status_and_the_app_keeps_running(served_settings, aws_server):
    aws_server.routes[INDEX].status = 500

    async with make_app(served_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.syncing and "FAILED" in status(app), "the failure")
        assert "HTTP 500" in status(app) and "aws sync failed: HTTP 500" in log_text(app)
        assert any("AWS sync failed" in n for n in notes(app))
        await pilot.press("slash", *"m5", "enter")
        assert app.is_running and app.shown == 5


async def test_a_change_on_disk_reloads_keeping_the_filter_and_the_row(settings):
    """Another process (the CLI, the daemon) syncs: the dashboard notices and shows the new
    pending changes without losing the filter or the selected row."""
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", *"region:us-*", "enter", "down")
        key, shown = key_at_cursor(app), app.shown
        await pilot.pause(app_module.POLL_S + 0.5)  # a look at the files with nothing changed
        assert app.data.cache is None
        write_pending_data(settings.data_dir)
        await wait_for(pilot, lambda: app.data.cache is not None and app.view_settled, "the reload")
        assert "changed on disk: reloading" in log_text(app) and "pending:" in status(app)
        assert app.view.query == parse("region:us-*") and key_at_cursor(app) == key and app.shown >= shown


async def test_the_download_line_says_region_mb_and_rate(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        app._sync_since = app.clock()
        app._downloads = {"us-east-1": (10.0, 3_000_000, 12_000_000, 12.0), "eu-west-1": (12.0, 500_000, None, 12.5)}
        assert app._download_text() == "region 2/2 eu-west-1 0.5 MB 1.0 MB/s"
        app._downloads = {"us-east-1": (10.0, 3_000_000, 12_000_000, 12.0)}
        assert app._download_text() == "region 1/2 us-east-1 3.0/12.0 MB 1.5 MB/s"
        app._sync_since = None


async def test_a_corrupt_catalog_is_one_clear_message_and_the_app_still_works(settings):
    (settings.data_dir / "aws_catalog.json").write_text("{not json")
    (settings.data_dir / "state.json").write_text("[]")

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.data.error and "is not valid JSON" in app.data.error
        assert "is not valid JSON" in screen_text(app) and "is not valid JSON" in status(app)
        assert "state file" in status(app)
        for key in ("w", "e", "r", "d", "d", "slash", "x", "enter"):
            await pilot.press(key)
        assert app.is_running
        await pilot.press("slash", "backspace", "enter", "p", "down", "enter")  # another provider still opens
        await wait_for(pilot, lambda: app.data.provider == "azure" and app.shown > 0, "the Azure catalog")


async def test_a_corrupt_cache_still_shows_the_catalog(settings):
    (settings.data_dir / "aws_cache.json").write_text("{}")

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.shown == 9 and "price cache" in status(app)


async def test_quitting_during_a_sync_stops_it_and_writes_nothing(served_settings, aws_server):
    offer = offerdata.region_offer("us-east-1", US_EAST_1)
    offer["attributesList"]["filler"] = "x" * 3_000_000  # about 46 chunks of 64 KiB
    aws_server.set(OFFER, offerdata.dump(offer), chunk_delay_s=0.2)
    catalog = served_settings.data_dir / "aws_catalog.json"
    before = {p.name for p in served_settings.data_dir.iterdir()}
    catalog_digest = digest(catalog)

    app = make_app(served_settings)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: "us-east-1: downloading price list" in log_text(app), "the slow download")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the exit")

    for thread in threading.enumerate():  # the engine thread stops at its next cancel check
        if thread.name == "pricesync-aws":
            thread.join(WAIT_S)
            assert not thread.is_alive()
    names = {p.name for p in served_settings.data_dir.iterdir()}
    assert "aws_cache.json" not in names  # the download never completed
    assert not [n for n in names - before if n.endswith((".tmp", ".bak", ".json")) and n != "state.json"]
    assert digest(catalog) == catalog_digest


# -- options ------------------------------------------------------------------------------------------


def test_a_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\n")
    assert main(["--config", str(bad), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown section(s): nope" in err


def test_options_are_parsed(tmp_path):
    args = app_module.build_parser().parse_args(
        ["--config", "c.toml", "--data-dir", "d", "--provider", "gcp", "--no-scheduler"]
    )
    assert (args.config, args.data_dir, args.provider, args.no_scheduler) == ("c.toml", "d", "gcp", True)
    with pytest.raises(SystemExit):
        app_module.build_parser().parse_args(["--provider", "oracle"])


def test_the_next_run_line_shows_the_spot_schedule_beside_the_daily_one():
    from pricesync.tui.widgets.next_run import next_run_text

    now = datetime(2026, 11, 29, 19, 40, tzinfo=UTC)
    daily = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    text = str(next_run_text(daily, "daily at 02:00 UTC", now, now + timedelta(minutes=37)))
    assert text == "next run 2026-11-30 02:00 UTC in 6h 20m 00s · daily at 02:00 UTC · spot 20:17 UTC"
    assert "spot" not in str(next_run_text(daily, "daily at 02:00 UTC", now))
