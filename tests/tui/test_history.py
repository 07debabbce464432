"""The price history in the dashboard: `c` (the runs and their changes), `h` (one row's dated
prices and sparkline), the marks on rows the last sync moved (across real syncs), the palette
and help entries, a broken history file; and the plain loaders and formats of tui.changes."""

from __future__ import annotations

from pricesync.core import KINDS
from pricesync.core.history import HistoryStore
from pricesync.tui.app import COMMANDS, PriceSyncApp
from pricesync.tui.cells import MARK
from pricesync.tui.changes import (
    change_text,
    history_text,
    kind_label,
    load_changes,
    load_entry_history,
    load_marks,
    load_runs,
    sparkline_points,
    step,
)
from pricesync.tui.screens import HELP, ChangesScreen, EntryHistoryScreen
from textual.widgets import DataTable, OptionList, Sparkline, Static

from tests.conftest import EU_V2, M5_US, US_V2, US_V3, V2, V3, serve_version
from tests.tui.conftest import (
    HISTORY_V2,
    SIZE,
    loaded,
    make_app,
    notes,
    screen_text,
    status,
    wait_for,
    write_history,
    write_pending_data,
)

P4D_US = ("p4d.24xlarge", "us-east-1", "linux")


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def change_rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_changes(pilot) -> ChangesScreen:
    app = pilot.app
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen) and app.screen.runs.runs, "the runs")
    return app.screen


async def changes_shown(pilot, screen: ChangesScreen, n: int) -> None:
    await wait_for(
        pilot, lambda: len(screen.shown) == n and "Loading" not in text_of(screen, "#changes-note"), f"{n} changes"
    )


async def open_history(pilot) -> EntryHistoryScreen:
    app = pilot.app
    await pilot.press("h")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, EntryHistoryScreen) and "Loading" not in text_of(app.screen, "#entry-prices"),
        "the history",
    )
    return app.screen


async def select_row(pilot, query: str) -> None:
    await pilot.press("slash", "ctrl+a", "ctrl+k", *query, "enter")


# -- c: the changes screen ---------------------------------------------------------------------------


async def test_c_opens_the_last_run_with_changes_and_steps_through_runs(settings):
    write_history(settings.data_dir)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        screen = await open_changes(pilot)
        runs = screen.query_one(OptionList)
        lines = [str(runs.get_option_at_index(i).prompt) for i in range(runs.option_count)]
        assert len(lines) == 5
        assert lines[0].startswith("2025-11-03 08:00  unchanged") and "no price changes" in lines[0]
        assert "1 changed · 0 added · 0 removed  written back" in lines[1]
        assert "failed" in lines[2] and "HTTP 503 Service Unavailable" in lines[2]
        assert "3 changed · 1 added · 1 removed" in lines[3] and "written back" not in lines[3]
        assert runs.highlighted == 1  # the last run that stored changes, not the newest run
        await changes_shown(pilot, screen, 1)
        assert change_rows(screen) == [["m5.large", "us-east-1", "linux", "on-demand", "0.1000", "0.1050", "+5.0%"]]
        summary = text_of(screen, "#run-summary")
        assert "2025-11-03 02:00 UTC · updated · written back · source 20251103000000" in summary

        await pilot.press("left")  # the earlier run with changes, over the failed one
        assert runs.highlighted == 3
        await changes_shown(pilot, screen, 5)
        rows = {tuple(r[:3]): r[3:] for r in change_rows(screen)}
        # the prices of a run aligned on its most precise one (29.49534: five decimals), each
        # change with its price kind (abbreviated, as the help says)
        assert rows[M5_US] == ["on-demand", "0.09600", "0.10000", "+4.2%"]
        assert rows[P4D_US] == ["on-demand", "32.77260", "29.49534", "-10.0%"]
        assert rows[("c6g.large", "eu-west-1", "linux")] == ["RI1s-all", "0.07700", "0.07315", "-5.0%"]
        assert rows[("x1e.32xlarge", "us-east-1", "linux")] == ["on-demand", "-", "26.68800", "new"]
        assert rows[("t3.micro", "us-east-1", "rhel")] == ["on-demand", "0.03920", "-", "removed"]
        cells = {str(r[0]): r[6] for r in (screen.query_one(DataTable).get_row_at(i) for i in range(5))}
        assert str(cells["m5.large"].style) == "red" and str(cells["p4d.24xlarge"].style) == "green"
        await pilot.press("left")  # nothing earlier has changes: stays
        assert runs.highlighted == 3

        await pilot.press("up")  # the failed run: its error, no changes
        await wait_for(pilot, lambda: "HTTP 503" in text_of(screen, "#changes-note"), "the failed run")
        assert screen.shown == [] and screen.query_one(DataTable).row_count == 0
        await pilot.press("right")
        assert runs.highlighted == 1
        await changes_shown(pilot, screen, 1)

        await pilot.press("tab", "enter")  # a change's own history
        await wait_for(pilot, lambda: isinstance(app.screen, EntryHistoryScreen), "the entry's history")
        assert app.screen.key == M5_US
        await pilot.press("escape", "escape")
        assert app.screen is app.screen_stack[0]
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen), "the screen again")
        await pilot.press("c")  # c closes it too
        assert app.screen is app.screen_stack[0]


async def test_c_without_history_says_so_and_creates_nothing(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("c")
        app = pilot.app
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ChangesScreen)
                and "No syncs recorded yet" in text_of(app.screen, "#changes-note")
            ),
            "the message",
        )
        assert app.screen.query_one(OptionList).option_count == 0
        await pilot.press("left", "right", "up", "enter")  # nothing to step to
        assert isinstance(app.screen, ChangesScreen)
    assert not (settings.data_dir / "history.sqlite3").exists()


async def test_a_broken_history_file_is_shown_never_a_crash(settings):
    (settings.data_dir / "history.sqlite3").write_text("not a database, just text " * 100)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await wait_for(pilot, lambda: app.marks.error is not None, "the marks")
        assert "cannot read" in status(app) and "history.sqlite3" in status(app)
        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ChangesScreen) and "cannot read" in text_of(app.screen, "#changes-note"),
            "the error",
        )
        await pilot.press("escape")
        screen = await open_history(pilot)
        assert "cannot read" in text_of(screen, "#entry-prices")
        await pilot.press("escape")
        assert app.is_running and app.shown == 9


async def test_a_changes_kind_is_labelled_and_enter_opens_that_kinds_history(settings):
    """A reserved change reads RI1s-all in the kind column; its history is of that kind (the
    entry's on-demand price never moved)."""
    write_history(settings.data_dir)
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        screen = await open_changes(pilot)
        await pilot.press("left")
        await changes_shown(pilot, screen, 5)
        at = next(i for i, r in enumerate(change_rows(screen)) if r[0] == "c6g.large")
        assert change_rows(screen)[at][3] == "RI1s-all"
        await pilot.press("tab", *["down"] * at, "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, EntryHistoryScreen) and "Loading" not in text_of(app.screen, "#entry-prices")
            ),
            "the reserved price's history",
        )
        title = str(app.screen.query_one(".dialog-title").render())
        assert "c6g.large · eu-west-1 · linux · reserved-1yr-standard-all-upfront" in title
        assert "0.0731" in text_of(app.screen, "#entry-prices")


def test_kind_labels_fit_the_changes_view_and_stay_distinct():
    labels = {kind: kind_label(kind) for kind in ("on-demand", *KINDS)}
    assert labels["reserved-3yr-convertible-partial-upfront"] == "RI3c-pa"
    assert labels["savings-plan-ec2-instance-1yr-no-upfront"] == "SP1e-no"
    assert labels["spot"] == "spot" and labels["on-demand"] == "on-demand"
    assert len(set(labels.values())) == len(labels) and max(map(len, labels.values())) <= len("on-demand")


# -- h: one row's history ------------------------------------------------------------------------------


async def test_h_shows_the_dated_prices_and_a_sparkline_or_no_history_yet(settings):
    write_pending_data(settings.data_dir)  # the cache adds x1e.32xlarge as a row
    write_history(settings.data_dir)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await select_row(pilot, "m5.large region:us-east-1 os:linux")
        assert app.table.cursor_key == M5_US
        screen = await open_history(pilot)
        title = str(screen.query_one(".dialog-title").render())
        assert "Price history · m5.large · us-east-1 · linux · on-demand · AWS" in title
        lines = [line.split() for line in text_of(screen, "#entry-prices").splitlines()]
        assert lines == [
            ["when", "(UTC)", "$/hour", "change", "source"],
            ["before", "2025-11-02", "0.0960"],
            ["2025-11-02", "02:00", "0.1000", "+4.2%", "20251102000000"],
            ["2025-11-03", "02:00", "0.1050", "+5.0%", "20251103000000"],
        ]
        sparkline = screen.query_one(Sparkline)
        assert sparkline.display and list(sparkline.data) == [0.096, 0.1, 0.105]
        await pilot.press("h")  # h closes it again
        assert app.screen is app.screen_stack[0]

        await select_row(pilot, "m5.xlarge region:us-east-1")
        screen = await open_history(pilot)
        assert "No history yet" in text_of(screen, "#entry-prices") and not screen.query_one(Sparkline).display
        await pilot.press("escape")

        await select_row(pilot, "x1e")  # appeared in a run: one price, no sparkline
        screen = await open_history(pilot)
        assert "not listed" in text_of(screen, "#entry-prices") and "26.6880" in text_of(screen, "#entry-prices")
        assert not screen.query_one(Sparkline).display
        await pilot.press("escape")

        await select_row(pilot, "nothing-matches")
        await pilot.press("h")
        assert "No row selected" in notes(app) and app.screen is app.screen_stack[0]


# -- the marks, across real syncs from the app ------------------------------------------------------------


def marked_rows(app) -> set[str]:
    """The rows of the table (as 'type region os') that carry the mark."""
    widths = app.table.widths
    out = set()
    top = round(app.table.scroll_y)
    for i, line in enumerate(screen_text(app).splitlines()[1:]):
        if line[widths["type"] - 1 : widths["type"]] == MARK:
            out.add(" ".join(app.table.rows.keys[app.table.order[top + i]]))
    return out


async def sync(pilot, runs: int) -> None:
    """Press s and wait until the history holds `runs` runs and the app has finished the run."""
    app = pilot.app
    await pilot.press("s")
    store = HistoryStore(app.settings.data_dir)
    await wait_for(pilot, lambda: not app.syncing and len(store.runs("aws")) == runs, "the sync")


async def test_rows_the_last_sync_moved_are_marked_and_the_marks_follow_each_sync(served_settings, aws_server):
    async with make_app(served_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.marks.run is None and marked_rows(app) == set()
        await sync(pilot, 1)  # the baseline stores no changes
        await wait_for(pilot, lambda: app.data.cache is not None, "the cache")
        assert marked_rows(app) == set() and MARK not in status(app)

        serve_version(aws_server, V2, US_V2, EU_V2)
        await sync(pilot, 2)
        await wait_for(pilot, lambda: len(app.marks.keys) == 5, "the marks of the second sync")
        assert marked_rows(app) == {
            "m5.large us-east-1 linux",
            "p4d.24xlarge us-east-1 linux",
            "c6g.large eu-west-1 linux",
            "x1e.32xlarge us-east-1 linux",
            "t3.micro us-east-1 rhel",
        }
        assert f"{MARK} 5 moved " in status(app)

        serve_version(aws_server, V3, US_V3, EU_V2)
        await sync(pilot, 3)
        await wait_for(pilot, lambda: app.marks.keys == {M5_US}, "the marks of the third sync")
        assert marked_rows(app) == {"m5.large us-east-1 linux"}
        assert f"{MARK} 1 moved " in status(app)

        screen = await open_changes(pilot)  # the real run, newest first
        await changes_shown(pilot, screen, 1)
        assert change_rows(screen) == [["m5.large", "us-east-1", "linux", "on-demand", "0.1000", "0.1050", "+5.0%"]]
        assert f"source {V3}" in text_of(screen, "#run-summary")
        await pilot.press("escape")

        await pilot.press("p", "down", "enter")  # another provider: none of aws's marks
        await wait_for(pilot, lambda: app.data.provider == "azure" and app.shown > 0, "the Azure catalog")
        assert app.marks.run is None and not app.table.marked


# -- palette and help -------------------------------------------------------------------------------------


async def test_the_palette_opens_changes_and_history(settings):
    write_history(settings.data_dir)

    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Price changes" in titles and "Price history of the selected row" in titles
        await pilot.press("ctrl+p", *"price changes")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen), "the changes")
        await pilot.press("escape")
        await select_row(pilot, "p4d")
        await pilot.press("ctrl+p", *"price history of")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryHistoryScreen), "the history")
        assert app.screen.key == P4D_US


def test_help_lists_every_letter_key():
    for key in (b.key for b in PriceSyncApp.BINDINGS):
        if len(key) == 1:
            assert f"`{key}`" in HELP, key
    assert {"changes", "history"} <= {a for a, _, _ in COMMANDS}
    assert MARK in HELP


# -- the plain loaders and formats ----------------------------------------------------------------------


def test_loaders_on_a_missing_and_a_recorded_history(tmp_path):
    store = HistoryStore(tmp_path)
    assert load_runs(store, "aws").runs == () and load_runs(store, "aws").initial is None
    assert load_marks(store, "aws").run is None and load_entry_history(store, "aws", M5_US).rows == ()
    assert not store.path.exists()

    write_history(tmp_path)
    runs = load_runs(store, "aws")
    assert [r.status for r in runs.runs] == ["unchanged", "updated", "failed", "updated", "updated"]
    assert runs.initial == 1
    assert [
        step(runs.runs, 1, True),
        step(runs.runs, 3, True),
        step(runs.runs, 3, False),
        step(runs.runs, 1, False),
    ] == [3, None, 1, None]
    short = load_runs(store, "aws", limit=1)  # the last run with changes is older than the runs listed
    assert [r.status for r in short.runs] == ["unchanged", "updated"] and short.initial == 1
    assert load_runs(store, "gcp") == load_runs(HistoryStore(tmp_path / "none"), "gcp")

    changes = load_changes(store, runs.runs[3], limit=3)
    assert len(changes.rows) == 3 and changes.more
    assert len(load_changes(store, runs.runs[3]).rows) == 5 and not load_changes(store, runs.runs[3]).more
    marks = load_marks(store, "aws")
    assert marks.keys == {M5_US} and marks.run.id == runs.runs[1].id and marks.error is None


def test_loaders_turn_a_broken_file_into_an_error(tmp_path):
    (tmp_path / "history.sqlite3").write_bytes(b"garbage" * 200)
    store = HistoryStore(tmp_path)
    for result in (load_runs(store, "aws"), load_marks(store, "aws"), load_entry_history(store, "aws", M5_US)):
        assert result.error and "cannot read" in result.error


def test_formats(tmp_path):
    write_history(tmp_path)
    rows = {r.key: r for r in HistoryStore(tmp_path).changes(run_id=2)}
    assert [(str(t), str(t.style)) for t in map(change_text, (rows[M5_US], rows[P4D_US]))] == [
        ("+4.2%", "red"),
        ("-10.0%", "green"),
    ]
    added, removed = (rows[k] for k, old, new, *_ in HISTORY_V2 if old is None or new is None)
    assert (str(change_text(added)), str(change_text(removed))) == ("new", "removed")
    history = HistoryStore(tmp_path).entry_history(removed.key)
    assert sparkline_points(tuple(history)) == [0.0392]  # the price it left at; the removal is no point
    assert "no longer listed" in str(history_text(tuple(history)))
    assert sparkline_points(()) == []
