"""Saved views in the dashboard: `V` asks for a name and saves what is shown (pricesync.core's
SavedView: filter, columns, sort, regions, provider, price kind, and the pivot with its home
region when `V` is pressed in it); the palette's "Open saved view" and `pricesync-tui --view
NAME` show one again, all of it. A view's columns are shown for this session: the column
chooser's own file (tui_columns.json, `C`) is left as it is. The dialogs are here; reading and
writing views.json runs in thread workers (the app's)."""

from __future__ import annotations

from dataclasses import replace

from pricesync.core import (
    ON_DEMAND,
    ConfigError,
    PriceSyncError,
    SavedView,
    check_view_name,
    load_views,
    parse_query,
    save_view,
    terminal,
)
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .cells import COLUMN_KEYS
from .messages import ViewSaved, ViewsLoaded
from .rowindex import View
from .screens_choose import PivotScreen
from .widgets.filter_bar import FilterInput


def saved_view(
    name: str,
    provider: str,
    filter_text: str,
    view: View,
    columns: tuple[str, ...],
    kind: str,
    pivot: PivotScreen | None = None,
) -> SavedView:
    """What the dashboard shows now, under `name`: the columns shown, the price kind shown and,
    when `pivot` is open, the pivot with its home region and "in all regions"."""
    return SavedView(
        name=name,
        provider=provider,
        filter=filter_text,
        columns=columns,
        price_kind=kind,
        sort=view.sort,
        descending=view.descending,
        regions=None if view.regions is None else tuple(sorted(view.regions)),
        pending_only=view.pending_only,
        pivot=None if pivot is None else "region",
        home=None if pivot is None else pivot.home,
        in_all_regions=pivot is not None and pivot.in_all_regions,
    )


def view_changes(saved: SavedView) -> dict[str, object]:
    """The parts of a saved view the dashboard applies to its View. A sort column it does not
    have falls back to the instance type."""
    return {
        "query": parse_query(saved.filter),
        "sort": saved.sort if saved.sort in COLUMN_KEYS else "type",
        "descending": saved.descending,
        "regions": None if saved.regions is None else frozenset(saved.regions),
        "pending_only": saved.pending_only,
    }


def view_columns(saved: SavedView) -> tuple[str, ...] | None:
    """The dashboard's columns for a saved view: those of its columns the dashboard has, in its
    order (None: none). Saved with on demand shown, it had no `savings` column on screen (that
    shows only with a kind): it keeps its place after $/month, for a kind chosen later."""
    columns = tuple(c for c in dict.fromkeys(saved.columns) if c in COLUMN_KEYS)
    if not columns:
        return None
    if saved.price_kind == ON_DEMAND and "savings" not in columns and "month" in columns:
        at = columns.index("month") + 1
        columns = (*columns[:at], "savings", *columns[at:])
    return columns


class SavedViews:
    """The dashboard's saved-view actions (a mixin of PriceSyncApp: it uses the app's settings,
    provider, view, filter bar, loads and workers)."""

    _view_name = ""  # the saved view last opened or saved: the name `V` offers
    _saved_pivot: SavedView | None = None  # a view opened with a pivot, until its rows show

    def action_save_view(self) -> None:
        pivot = self.screen if isinstance(self.screen, PivotScreen) else None  # V in the pivot saves it too
        self.push_screen(SaveViewScreen(self._view_name), lambda name: self._save_view_as(name, pivot))

    def _save_view_as(self, name: str | None, pivot: PivotScreen | None) -> None:
        if not name:
            return
        shown = tuple(c.key for c in self.table.columns)
        filter_text = self.query_one(FilterInput).value
        kind = self.data.kind if self.data else self.price_kind  # the prices on screen
        view = saved_view(name, self.provider, filter_text, self.view, shown, kind, pivot)
        data = self.settings.data_dir

        def work() -> None:
            try:
                save_view(data, view)
            except PriceSyncError as exc:
                self.post_message(ViewSaved(name, str(exc)))
            else:
                self.post_message(ViewSaved(name))

        self.run_worker(work, thread=True, group="io", exit_on_error=False)

    def on_view_saved(self, message: ViewSaved) -> None:
        if message.error:
            self.notify(f"View not saved: {message.error}", severity="error")
        else:
            self._view_name = message.name
            self.notify(f"Saved view {message.name} (pricesync-tui --view {message.name})", timeout=6)

    def action_open_view(self) -> None:
        data = self.settings.data_dir

        def work() -> None:
            try:
                self.post_message(ViewsLoaded(load_views(data)))
            except PriceSyncError as exc:
                self.post_message(ViewsLoaded({}, str(exc)))

        self.run_worker(work, thread=True, group="io", exit_on_error=False)

    def on_views_loaded(self, message: ViewsLoaded) -> None:
        if message.error:
            self.notify(message.error, severity="error")
        elif not message.views:
            self.notify("No saved views yet: v saves the one shown", severity="warning")
        else:
            views = message.views
            self.push_screen(ViewPicker(views), lambda name: name and self._open_view(views[name]))

    def _open_view(self, saved: SavedView, *, load: bool = True) -> None:
        """Show `saved`, all of it: its provider, price kind, columns, filter, sort, regions,
        "pending only" and, once its rows show, its pivot."""
        self._view_name = saved.name
        reload = saved.provider != self.provider or saved.price_kind != self.price_kind
        self.provider, self.price_kind = saved.provider, saved.price_kind
        self.column_keys = view_columns(saved) or self.column_keys  # this session's: C saves its own
        self.query_one(FilterInput).value = saved.filter  # the filter bar shows it and its problems
        self.view = replace(self.view, **view_changes(saved))
        self._saved_pivot = saved if saved.pivot == "region" else None
        if reload and load:
            self._load()
        else:
            self._update_view()

    def open_saved_pivot(self) -> None:
        """The pivot of the view just opened, once its rows (provider, kind, filter) show."""
        saved = self._saved_pivot
        if saved is None or self.data is None or not self.view_settled:
            return
        if (self.data.provider, self.data.kind) != (saved.provider, saved.price_kind):
            return  # the view's data is still loading
        self._saved_pivot = None
        self.call_after_refresh(self.action_pivot, saved.home, saved.in_all_regions)


class SaveViewScreen(ModalScreen[str | None]):
    """Asks for the view's name; returns it, or None (escape)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, suggestion: str = "") -> None:
        super().__init__()
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the view as", classes="dialog-title")
            yield Input(value=self.suggestion, placeholder="a name: letters, digits, . _ -", id="view-name")
            yield Static(id="view-name-problem")
            yield Static(Text.assemble(("enter", "bold"), " save   ", ("esc", "bold"), " cancel"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        try:
            check_view_name(name)
        except ConfigError as exc:
            self.query_one("#view-name-problem", Static).update(Text(terminal(exc), style="bold red"))
            return
        self.dismiss(name)


class ViewPicker(ModalScreen[str | None]):
    """The saved views; returns the name chosen, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, views: dict[str, SavedView]) -> None:
        super().__init__()
        self.views = views

    def compose(self) -> ComposeResult:
        options = [
            Option(Text(terminal(f"{name:<24} {v.provider:<6} {v.filter or '(no filter)'}")), id=name)
            for name, v in sorted(self.views.items())
        ]
        with Vertical(classes="dialog"):
            yield Label("Open which saved view?", classes="dialog-title")
            yield OptionList(*options, id="views")
            yield Static(Text.assemble(("enter", "bold"), " open   ", ("esc", "bold"), " cancel"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
