"""`pricesync-tui`: the catalog, the next scheduled run and the sync log, with the scheduler
running in the background.

Threads (the scheduler's, the log handler's callers, workers) reach the UI only through
`post_message` (tui.messages). The filter and the sort are computed on the UI thread for
small catalogs and in an exclusive thread worker (group "view", apart from the "load" and
"io" groups, so they never cancel each other) for big ones. Price history reads (the table's
marks, the changes and history screens) run in thread workers of the group "history".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from pricesync.core import (
    LOGGER,
    PROVIDERS,
    Cancelled,
    HistoryStore,
    PriceSyncError,
    PriceSyncScheduler,
    SavedView,
    Settings,
    Snapshot,
    add_settings_options,
    build_engine,
    count_text,
    data_files,
    find_view,
    first_run_text,
    load_settings,
    provider_name,
    setup_logging,
    terminal,
    version,
    writable_data_dir,
    write_back_guard,
    write_export,
)
from pricesync.core import parse_query as parse
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from .cells import COLUMN_KEYS, COLUMN_TITLES, UNIT_COLUMNS, Layout, column_layout
from .changes import Marks, load_marks
from .choose_actions import CHOOSING_BINDINGS, CHOOSING_COMMANDS, ChoosingActions
from .dataset import Dataset, load_dataset
from .export import EXPORT_TITLES, export_bytes
from .messages import (
    DatasetLoaded,
    ExportDone,
    FilesChanged,
    GuardReady,
    LogLine,
    MarksLoaded,
    OrderReady,
    SchedulerChanged,
    SyncProgress,
    WriteBackDone,
)
from .rowindex import RowIndex, View
from .screens import (
    ChangesScreen,
    ConfirmWriteBack,
    EntryHistoryScreen,
    HelpScreen,
    ProviderPicker,
    RegionPicker,
    read_history,
)
from .screens_choose import PivotScreen
from .views import SavedViews
from .widgets.catalog_table import CatalogTable
from .widgets.filter_bar import FilterBar, FilterInput
from .widgets.log_pane import LogPane, PaneHandler
from .widgets.next_run import NextRunBar
from .widgets.status_bar import StatusBar, status_text, tilde

log = logging.getLogger("pricesync.tui")

SMALL_CATALOG = 20_000  # rows; views of bigger catalogs are computed in a thread worker
QUIT_WAIT_S = 0.8  # how long quitting waits for a running sync to stop
POLL_S = 2.0  # how often the catalog, cache and state files are looked at for changes on disk
PROGRESS_S = 0.25  # the shortest gap between two progress updates a sync's thread posts
MB = 1_000_000

# (action, title, help) for the palette; the bindings are in PriceSyncApp.BINDINGS
COMMANDS = (
    ("sync_now", "Sync now", "Fetch prices now (the scheduled job, run now)"),
    ("write_back", "Write back", "Apply the cached prices to the catalog, after a confirmation"),
    ("toggle_auto", "Toggle automatic write-back", "Write back after every sync, scheduled or s (this session)"),
    ("provider", "Switch provider", "Show the AWS, Azure or GCP catalog"),
    ("regions", "Choose regions", "Choose the regions shown"),
    ("pending_only", "Toggle pending only", "Show only rows with pending price changes"),
    ("export", "Export CSV", "Export the rows shown to a CSV file"),
    ("save_view", "Save view", "Save what is shown (filter, columns, sort, regions, kind) under a name (V)"),
    ("open_view", "Open saved view", "Show a saved view again"),
    ("changes", "Price changes", "The changes of the last sync that stored changes, and earlier runs"),
    ("history", "Price history of the selected row", "Its dated prices and a sparkline"),
    ("toggle_log", "Toggle log pane", "Show or hide the sync log"),
    ("focus_filter", "Filter", "Focus the filter bar"),
    ("reverse_sort", "Reverse sort", "Reverse the sort order"),
    *CHOOSING_COMMANDS,
    ("help", "Help", "Keys, filter language and columns"),
    ("quit", "Quit", "Quit; a running sync is cancelled and files stay intact"),
)
MAIN_ACTIONS = {action for action, _, _ in COMMANDS} | {"sort_step"}


class PriceSyncApp(ChoosingActions, SavedViews, App):
    CSS_PATH = "app.tcss"
    TITLE = "pricesync"
    BINDINGS = [
        # help and quit first: the footer shows them whatever the width
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("s", "sync_now", "Sync"),
        Binding("w", "write_back", "Write back"),
        Binding("a", "toggle_auto", "Auto write-back"),
        Binding("p", "provider", "Provider"),
        Binding("r", "regions", "Regions"),
        Binding("d", "pending_only", "Pending"),
        Binding("e", "export", "Export"),
        Binding("c", "changes", "Changes"),
        Binding("h", "history", "History", show=False),  # the footer is full at 140 columns; help + palette
        Binding("l", "toggle_log", "Log"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("less_than_sign", "sort_step(-1)", "Sort ←", show=False),
        Binding("greater_than_sign", "sort_step(1)", "Sort →", show=False),
        Binding("o", "reverse_sort", "Reverse sort", show=False),
        *CHOOSING_BINDINGS,
        Binding("V", "save_view", "Save view", show=False),  # v is the pivot
    ]

    def __init__(
        self,
        settings: Settings,
        provider: str | None = None,
        *,
        scheduler_enabled: bool | None = None,
        scheduler: PriceSyncScheduler | None = None,
        clock: Callable[[], datetime] | None = None,
        view: SavedView | None = None,
    ) -> None:
        """`scheduler_enabled` False is --no-scheduler; `clock` (aware UTC) drives the countdown;
        `view` is a saved view to open with (--view)."""
        super().__init__()
        self.settings = settings
        self.engine = scheduler.engine if scheduler else build_engine(settings)
        self.scheduler = scheduler or PriceSyncScheduler(settings, self.engine, enabled=scheduler_enabled)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.provider = provider or (view.provider if view else (settings.sync.providers or ["aws"])[0])
        self._opening_view = view
        self.data: Dataset | None = None
        self.history = HistoryStore(settings.data_dir)
        self.marks = Marks()  # the rows the last sync with changes moved
        self._marks_generation = 0
        self.view = View()
        self.shown = 0
        self._layout = Layout()
        self._load_generation = 0
        self._view_generation = 0
        self._shown_generation = 0
        self._top_generation = -1  # the view generation whose rows show from the first one
        self._confirm_after_load = False
        self._sync_requested: datetime | None = None  # s pressed, run not started yet
        self._sync_since: datetime | None = None  # a run is in flight since
        self._sync_what = ""
        self._handler = PaneHandler(self)
        self.init_choosing()
        self._files: tuple | None = None  # the data files' (mtime, size) when last loaded
        self._downloads: dict[str, tuple[float, int, int | None, float]] = {}  # region: start, bytes, total, at
        self._progress_posted = 0.0

    # -- layout and lifecycle --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield FilterBar(id="filter")
        yield Static(id="hint")
        yield CatalogTable(id="table")
        yield LogPane(id="log")
        yield NextRunBar(id="next")
        yield Footer()

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")  # a smaller log pane, a shorter run list

    def on_mount(self) -> None:
        logger = logging.getLogger(LOGGER)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(self._handler)
        self.scheduler.add_listener(lambda event: self.post_message(SchedulerChanged(event)))
        self.scheduler.progress = self._on_progress
        self.scheduler.start()
        self.set_interval(1.0, self._tick)
        self.set_interval(POLL_S, self._poll_files)
        self.query_one(CatalogTable).focus()
        if self._opening_view is not None:
            self._open_view(self._opening_view, load=False)
        self._load()
        self._tick()

    def on_unmount(self) -> None:
        self._stop_scheduler()
        logging.getLogger(LOGGER).removeHandler(self._handler)

    def _stop_scheduler(self) -> None:
        self.scheduler.shutdown(wait_s=QUIT_WAIT_S)  # the first call stops it; later ones do nothing

    @property
    def syncing(self) -> bool:
        return self._sync_since is not None or self._sync_requested is not None or self.scheduler.running

    @property
    def table(self) -> CatalogTable:
        return self.query_one(CatalogTable)

    def _tick(self) -> None:
        """Every second (a timer task, which may run while the screen is torn down at exit)."""
        now = self.clock()
        try:
            self.query_one(NextRunBar).show(
                self.scheduler.next_run_time,
                self.scheduler.describe() if self.scheduler.enabled else None,
                now,
                (self._sync_what or self.provider) if self.syncing else None,
                self._sync_since or self._sync_requested,
                self._download_text(),
                self.scheduler.next_spot_run_time if self.scheduler.enabled else None,
            )
            self._show_status()
        except NoMatches:
            pass

    def _show_status(self) -> None:
        if self.data is not None:
            text = status_text(
                self.data, self.shown, self.view, self._write_back_mode, self.clock(), self.marks, self.settings.max_age
            )
            self.query_one(StatusBar).update(text)
        self._show_hint()

    @property
    def _write_back_mode(self) -> str:
        mode = "auto" if self.scheduler.write_back else "manual"
        return mode if self.scheduler.write_back == self.settings.schedule.write_back else f"{mode} (this session)"

    def _show_hint(self) -> None:
        """Above the table while the provider has never synced: what the bundled catalog is and
        how prices arrive."""
        snapshot = self.data.snapshot if self.data else None
        hint = self.query_one("#hint", Static)
        hint.display = first_run = (
            snapshot is not None
            and snapshot.catalog is not None
            and snapshot.cache is None
            and not snapshot.problems
            and snapshot.state.last_success is None
        )
        if first_run:
            assert snapshot is not None
            failed = snapshot.state.last_status == "failed"
            # Text: "[aws] endpoint" is a setting's name, not markup
            hint.update(Text(first_run_text(self.provider, "press s", self._schedule_note(), failed)))

    def _schedule_note(self) -> str:
        next_run = self.scheduler.next_run_for(self.provider)
        if next_run is not None:
            return f"the schedule fetches them at {next_run:%Y-%m-%d %H:%M} UTC"
        if not self.scheduler.enabled:
            return "no schedule runs in this dashboard"
        return f"the schedule does not sync {provider_name(self.provider)} ([schedule] providers)"

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain, neutralised text whatever `markup` says: messages quote
        errors and versions from price sources, which must neither run as markup nor reach the
        terminal raw. Screens and widgets notify through here too."""
        super().notify(terminal(message), title=terminal(title), severity=severity, timeout=timeout, markup=False)

    def on_log_line(self, message: LogLine) -> None:
        self.query_one(LogPane).add(message)

    # -- loading and views -----------------------------------------------------------------------

    def _load(self) -> None:
        """(Re)load the provider's catalog and cache in a thread; the view and cursor stay."""
        self._load_generation += 1
        self._files = None  # the next look at the files takes what this load read as the baseline
        if self.data is None or self.data.provider != self.provider:
            self.data = Dataset.loading(self.engine, self.provider)
            self.shown = 0
            self.table.show_message(f"Loading the {provider_name(self.provider)} catalog…")
            self._show_status()
        work = partial(self._load_work, self._load_generation, self.provider, self.view)
        # after the next paint: json.load holds the GIL for the whole parse of a big catalog
        self.call_after_refresh(self.run_worker, work, thread=True, group="load", exclusive=True, exit_on_error=False)
        self._load_marks()

    def _load_marks(self) -> None:
        """Which rows the provider's last sync with changes moved (after every load: a sync may
        just have recorded some)."""
        self._marks_generation += 1
        if self.marks.run is not None and self.marks.run.provider != self.provider:
            self._set_marks(Marks())  # not another provider's marks meanwhile
        read_history(
            self, partial(MarksLoaded, self._marks_generation), load_marks, self.history, self.provider, exclusive=True
        )

    def on_marks_loaded(self, message: MarksLoaded) -> None:
        if message.generation == self._marks_generation:
            if message.marks.error and message.marks.error != self.marks.error:
                log.warning("price history: %s", message.marks.error)
            self._set_marks(message.marks)

    def _set_marks(self, marks: Marks) -> None:
        self.marks = marks
        self.table.mark(marks.keys)
        self._show_status()

    def _load_work(self, generation: int, provider: str, view: View) -> None:
        try:
            data = load_dataset(self.engine, provider, self.price_kind)
            order = data.index.select(view) if data.index else []
            layout = column_layout(data.index.rows) if data.index else Layout()
        except Exception as exc:  # a bug must not leave the app on "Loading…"
            log.exception("loading the %s catalog failed", provider)
            error = f"internal error loading the catalog: {exc!r}"
            data = Dataset(Snapshot(provider, self.engine.catalog_path(provider), error=error))
            order, layout = [], Layout()
        self.post_message(DatasetLoaded(generation, data, view, order, layout))

    def on_dataset_loaded(self, message: DatasetLoaded) -> None:
        if message.generation != self._load_generation:
            return
        self.data = data = message.dataset
        self._layout = message.layout
        if data.index is None:
            self.shown = 0
            self.table.show_message(tilde(data.error or "no catalog"), error=True)
        elif message.view == self.view:
            self._show_order(data.index, message.order, self._view_generation)
        else:
            self._update_view()
        self._show_status()
        if self._confirm_after_load:
            self._confirm_after_load = False
            self._confirm_write_back()

    def _set_view(self, **changes) -> None:
        view = replace(self.view, **changes)
        if view != self.view:
            self.view = view
            self._top_generation = self._view_generation + 1  # a new sort or filter starts at the top
            self._update_view()

    def _update_view(self) -> None:
        self._view_generation += 1
        index = self.data.index if self.data else None
        if index is None:
            return
        if len(index.rows) <= SMALL_CATALOG:
            self._show_order(index, index.select(self.view), self._view_generation)
        else:
            self.run_worker(
                partial(self._view_work, self._view_generation, index, self.view),
                thread=True,
                group="view",
                exclusive=True,
                exit_on_error=False,
            )

    def _view_work(self, generation: int, index: RowIndex, view: View) -> None:
        worker = get_current_worker()
        try:
            order = index.select(view, lambda: worker.is_cancelled or generation != self._view_generation)
        except Cancelled:
            return
        except Exception:  # a bug: say so in the log, keep the rows shown
            log.exception("filtering the catalog failed")
            return
        self.post_message(OrderReady(generation, index, order))

    def on_order_ready(self, message: OrderReady) -> None:
        if message.generation == self._view_generation and self.data and message.index is self.data.index:
            self._show_order(message.index, message.order, message.generation)

    @property
    def view_settled(self) -> bool:
        """The table shows the current view (no filter or sort computation outstanding)."""
        return self._shown_generation == self._view_generation

    def _show_order(self, index: RowIndex, order: list[int], generation: int) -> None:
        to_top = generation == self._top_generation
        if to_top:
            self._top_generation = -1
        self._shown_generation = generation
        self.shown = len(order)
        self.show_columns()
        self.table.show_rows(index.rows, order, self._layout, self.view.sort, self.view.descending, to_top=to_top)
        self._show_status()
        self.open_saved_pivot()

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        query = parse(event.value)
        self.query_one(FilterBar).show_problems(query)
        self._set_view(query=query)

    @on(FilterInput.Done)
    def _filter_done(self) -> None:
        self.table.focus()

    def on_catalog_table_header_clicked(self, message: CatalogTable.HeaderClicked) -> None:
        if message.column == self.view.sort:
            self.action_reverse_sort()
        else:
            self.set_sort(message.column)

    def set_sort(self, column: str) -> None:
        self._set_view(sort=column, descending=False)

    def action_sort_step(self, step: int) -> None:
        """The previous / next column shown (a hidden one, such as a spec's, is not stepped to)."""
        keys = [c.key for c in self.table.columns] or list(COLUMN_KEYS)
        i = keys.index(self.view.sort) if self.view.sort in keys else 0
        self.set_sort(keys[(i + step) % len(keys)])

    def action_reverse_sort(self) -> None:
        self._set_view(descending=not self.view.descending)

    def action_focus_filter(self) -> None:
        self.query_one(FilterInput).focus()

    def action_pending_only(self) -> None:
        self._set_view(pending_only=not self.view.pending_only)
        self.notify("Only rows with pending changes" if self.view.pending_only else "All rows", timeout=2)

    def action_regions(self) -> None:
        if self.data is None or self.data.index is None:
            self.notify("No catalog loaded", severity="warning")
            return
        column = self.data.index.rows.columns["region"]
        counts = Counter({column.values[code]: n for code, n in Counter(column.codes).items()})
        self.push_screen(RegionPicker(counts, self.view.regions), lambda regions: self._set_view(regions=regions))

    def action_provider(self) -> None:
        blockers = {p: self.engine.check(p) for p in PROVIDERS}
        self.push_screen(ProviderPicker(self.provider, blockers), self._switch_provider)

    def _switch_provider(self, provider: str | None) -> None:
        if provider and provider != self.provider:
            self.provider = provider
            self.view = replace(self.view, regions=None)
            self._load()

    def action_toggle_log(self) -> None:
        pane = self.query_one(LogPane)
        pane.display = not pane.display

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_changes(self) -> None:
        self.push_screen(ChangesScreen(self.history, self.provider))

    def action_history(self) -> None:
        key = self.table.cursor_key
        if key is None:
            self.notify("No row selected", severity="warning")
            return
        kind = self.data.kind if self.data else self.price_kind
        self.push_screen(EntryHistoryScreen(self.history, self.provider, key, kind))

    # -- sync and write-back ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_view" and isinstance(self.screen, PivotScreen):
            return True  # the pivot's V: the view saved with it
        if action in MAIN_ACTIONS and len(self.screen_stack) > 1:
            return False  # a dialog is open: its own keys only
        if action in ("sync_now", "write_back") and self.syncing:
            return None  # shown greyed out
        return True

    def action_sync_now(self) -> None:
        name = provider_name(self.provider)
        if self.syncing:
            self.notify("A sync is already running", severity="warning")
            return
        blocker = self.engine.check(self.provider)
        if blocker:
            self.notify(f"{name} cannot sync: {blocker}", severity="warning")
            log.warning("%s cannot sync: %s", self.provider, blocker)
            return
        if self.scheduler.run_now([self.provider]):
            self._sync_requested = self.clock()
            self._sync_what = name
            self.refresh_bindings()
            self._tick()
        else:
            self.notify("A sync is already running", severity="warning")

    def on_scheduler_changed(self, message: SchedulerChanged) -> None:
        event = message.event
        if event.kind == "started":
            self._downloads.clear()
            self._sync_since = event.run.started_at if event.run else self.clock()
            if self._sync_requested is None:
                self._sync_what = " + ".join(provider_name(p) for p in self.scheduler.providers)
            self._sync_requested = None
        elif event.kind in ("finished", "failed"):
            self._sync_since = self._sync_requested = None
            self._sync_what = ""
            results = event.run.results if event.run else ()
            for result in results:
                name = provider_name(result.provider)
                if result.status == "failed":
                    self.notify(f"{name} sync failed: {result.error}", severity="error", timeout=10)
                elif result.status == "busy":
                    self.notify(f"{name}: {result.error}", severity="warning")
                else:
                    written = ", written back" if result.wrote_back else ""
                    self.notify(
                        f"{name} sync {result.status}: {result.added} added, {result.changed} changed, "
                        f"{result.missing} missing{written}",
                        timeout=6,
                    )
            if any(r.provider == self.provider for r in results) or not results:
                self._load()
        elif event.kind == "busy":  # a run found another in flight and was skipped
            if self._sync_requested is not None and event.run is not None and event.run.trigger == "manual":
                self._sync_requested = None
                self.notify("A sync is already running", severity="warning")
        elif event.kind == "missed":
            self.notify("A scheduled run was missed (see the log)", severity="warning")
        self.refresh_bindings()
        self._tick()

    def action_write_back(self) -> None:
        if self.syncing:
            self.notify("A sync is running: write back when it has finished", severity="warning")
            return
        self._confirm_after_load = True  # fresh counts: reload first, then ask
        if self.data and self.data.total > SMALL_CATALOG:
            self.notify("Counting what a write-back would change…", timeout=3)
        self._load()

    def _confirm_write_back(self) -> None:
        data = self.data
        assert data is not None
        name = provider_name(data.provider)
        if data.error:
            self.notify(data.error, severity="error")
        elif data.cache is None:
            self.notify(f"No {name} price cache yet: press s to sync first", severity="warning")
        elif data.diff is None or data.diff.empty:
            self.notify(f"Nothing to write back: the {name} catalog has every cached price")
        else:
            snapshot = data.snapshot
            self.run_worker(
                lambda: self.post_message(GuardReady(snapshot, write_back_guard(self.settings, snapshot))),
                thread=True,
                group="io",
                exit_on_error=False,
            )

    def on_guard_ready(self, message: GuardReady) -> None:
        """The sanity guard's word on the write-back, shown before `y`."""
        dialog = ConfirmWriteBack(message.snapshot, message.guard, self.settings.sync.max_missing_pct)
        self.push_screen(dialog, partial(self._write_back_answer, message.snapshot))

    def _write_back_answer(self, snapshot: Snapshot, answer: str | None) -> None:
        """Write back exactly what the dialog showed: the engine refuses if the cache changed since."""
        if answer:
            force = answer == "force"
            self.run_worker(
                lambda: self.post_message(WriteBackDone(self.engine.write_back(snapshot, force=force))),
                thread=True,
                group="io",
                exit_on_error=False,
            )

    def on_write_back_done(self, message: WriteBackDone) -> None:
        r = message.result
        name = provider_name(r.provider)
        if r.status == "updated":
            self.notify(
                f"{name} catalog written back: {r.added} added, {r.changed} changed, {r.missing} marked unavailable"
            )
        else:
            self.notify(f"{name}: {r.error}", severity="error", timeout=10)  # says what refused it
        self._load()

    def action_toggle_auto(self) -> None:
        """For this session: [schedule] write_back in the config is what lasts."""
        self.scheduler.write_back = not self.scheduler.write_back
        state = "on" if self.scheduler.write_back else "off"
        log.info("automatic write-back after every sync (scheduled and s): %s, for this session", state)
        self.notify(
            f"Automatic write-back after every sync, scheduled or s: {state}, for this session "
            "([schedule] write_back in the config keeps it)",
            timeout=5,
        )
        self._show_status()

    # -- a sync's progress, and changes on disk ----------------------------------------------------

    def _on_progress(self, region: str, done: int, total: int | None, records: int) -> None:
        """core's Progress callback, on the sync's thread: posted at most every PROGRESS_S."""
        now = time.monotonic()
        if now - self._progress_posted >= PROGRESS_S or done == total:
            self._progress_posted = now
            self.post_message(SyncProgress(region, done, total, now))

    def on_sync_progress(self, message: SyncProgress) -> None:
        started = self._downloads.get(message.region, (message.at, 0, None, message.at))[0]
        self._downloads[message.region] = (started, message.done, message.total, message.at)
        self._tick()

    def _download_text(self) -> str:
        """'region 2/3 us-east-1 12.3/45.6 MB 3.4 MB/s' for the region downloading now."""
        if not self._downloads or not self.syncing:
            return ""
        region, (started, done, total, at) = max(self._downloads.items(), key=lambda item: item[1][3])
        wanted = len(self._wanted_regions()) or len(self._downloads)
        size = f"{done / MB:.1f}/{total / MB:.1f} MB" if total else f"{done / MB:.1f} MB"
        rate = done / MB / (at - started) if at > started else 0.0
        return terminal(
            f"region {len(self._downloads)}/{max(wanted, len(self._downloads))} {region} {size} {rate:.1f} MB/s"
        )

    def _wanted_regions(self) -> list[str]:
        section = getattr(self.settings, self.provider, None)
        regions = list(getattr(section, "regions", None) or ())
        catalog = self.data.catalog if self.data else None
        return regions or (catalog.regions() if catalog else [])

    def _poll_files(self) -> None:
        """Every POLL_S: in a thread, look at the data files; a change another process made (the
        CLI, the daemon, a systemd timer) reloads the view, keeping the filter, sort and row."""
        provider = self.provider
        self.run_worker(
            lambda: self.post_message(FilesChanged(provider, files_signature(self.settings, provider))),
            thread=True,
            group="poll",
            exclusive=True,
            exit_on_error=False,
        )

    def on_files_changed(self, message: FilesChanged) -> None:
        if message.provider != self.provider or self.syncing or message.signature == self._files:
            return
        if self._files is not None:
            log.info("the %s files changed on disk: reloading", provider_name(self.provider))
            self._load()
        self._files = message.signature

    # -- export and quit -------------------------------------------------------------------------

    def action_export(self, fmt: str = "csv") -> None:
        if self.data is None or self.data.index is None:
            self.notify("No catalog loaded", severity="warning")
            return
        rows, order = self.data.index.rows, self.table.order
        entries = self.data.catalog.entries if self.data.catalog else ()
        units = any(c.key in UNIT_COLUMNS for c in self.table.columns)  # as `list --units`
        data, provider, at = self.settings.data_dir, self.provider, self.clock()

        def work() -> None:
            try:
                path = write_export(data, provider, at, fmt, export_bytes(rows, order, entries, fmt, units))
            except PriceSyncError as exc:
                self.post_message(ExportDone(None, 0, str(exc)))
            else:
                self.post_message(ExportDone(str(path), len(order)))

        self.run_worker(work, thread=True, group="io", exit_on_error=False)

    def on_export_done(self, message: ExportDone) -> None:
        if message.error:
            log.error("export failed: %s", message.error)
            self.notify(f"Export failed: {message.error}", severity="error")
        else:
            log.info("exported %d rows to %s", message.rows, message.path)
            self.notify(f"Exported {count_text(message.rows)} rows to {message.path}", timeout=8)

    async def action_quit(self) -> None:
        if self.scheduler.running:
            self.notify("Stopping the running sync…")
        await asyncio.to_thread(self._stop_scheduler)
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from (c for c in super().get_system_commands(screen) if c.title != "Quit")
        for action, title, help_text in COMMANDS:
            yield SystemCommand(title, help_text, getattr(self, f"action_{action}"))
        for fmt, title in EXPORT_TITLES.items():  # CSV is in COMMANDS (e)
            yield SystemCommand(
                f"Export {title}", f"Export the rows shown to a {title} file", partial(self.action_export, fmt)
            )
        for key in COLUMN_KEYS:
            yield SystemCommand(
                f"Sort by {COLUMN_TITLES[key]}", f"Sort the table by {COLUMN_TITLES[key]}", partial(self.set_sort, key)
            )


def files_signature(settings: Settings, provider: str) -> tuple:
    """(mtime, size) of each of the provider's data files; None for one that is absent."""
    signature = []
    for path in data_files(settings, provider):
        try:
            st = path.stat()
        except OSError:
            signature.append(None)
        else:
            signature.append((st.st_mtime_ns, st.st_size))
    return tuple(signature)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pricesync-tui", description="Dashboard for the local cloud price catalog.")
    add_settings_options(parser)
    parser.add_argument("--version", action="version", version=f"pricesync-tui {version()}")
    parser.add_argument(
        "--provider", choices=PROVIDERS, help="catalog shown first (default: the first [sync] provider)"
    )
    parser.add_argument("--no-scheduler", action="store_true", help="do not run scheduled syncs in this process")
    parser.add_argument("--view", metavar="NAME", help="open a saved view (v saves one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, args.data_dir)  # every config value checked here
        writable_data_dir(settings.data_dir)  # at start: syncs, write-backs and exports write there
        setup_logging(settings.data_dir)
        view = find_view(settings.data_dir, args.view) if args.view else None
        app = PriceSyncApp(settings, args.provider, scheduler_enabled=False if args.no_scheduler else None, view=view)
    except PriceSyncError as exc:  # the config, or the data dir (a file, not writable)
        print(f"pricesync-tui: {terminal(exc)}", file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
