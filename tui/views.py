"""Saved views in the dashboard: `V` asks for a name and saves what is shown (pricesync.core's
SavedView: filter, columns, sort, regions, provider, price kind, pivot); the palette's "Open
saved view" and `pricesync-tui --view NAME` show one again. The dialogs are here; reading and
writing views.json runs in thread workers (the app's)."""

from __future__ import annotations

from dataclasses import replace

from pricesync.core import (
    VIEW_COLUMNS,
    ConfigError,
    PriceSyncError,
    SavedView,
    check_view_name,
    load_views,
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
from .widgets.filter_bar import FilterInput


def saved_view(
    name: str, provider: str, filter_text: str, view: View, columns: tuple[str, ...], kind: str
) -> SavedView:
    """What the dashboard shows now, under `name`: the columns shown (those a listing knows) and
    the price kind shown."""
    return SavedView(
        name=name,
        provider=provider,
        filter=filter_text,
        columns=tuple(c for c in columns if c in VIEW_COLUMNS),
        price_kind=kind,
        sort=view.sort,
        descending=view.descending,
        regions=None if view.regions is None else tuple(sorted(view.regions)),
        pending_only=view.pending_only,
    )


def view_changes(saved: SavedView) -> dict[str, object]:
    """The parts of a saved view the dashboard applies to its View (the filter goes through the
    filter bar). A sort column it does not have falls back to the instance type."""
    return {
        "sort": saved.sort if saved.sort in COLUMN_KEYS else "type",
        "descending": saved.descending,
        "regions": None if saved.regions is None else frozenset(saved.regions),
        "pending_only": saved.pending_only,
    }


class SavedViews:
    """The dashboard's saved-view actions (a mixin of PriceSyncApp: it uses the app's settings,
    provider, view, filter bar, loads and workers)."""

    _view_name = ""  # the saved view last opened or saved: the name `V` offers

    def action_save_view(self) -> None:
        self.push_screen(SaveViewScreen(self._view_name), self._save_view_as)

    def _save_view_as(self, name: str | None) -> None:
        if not name:
            return
        shown = tuple(c.key for c in self.table.columns)
        view = saved_view(name, self.provider, self.query_one(FilterInput).value, self.view, shown, self.price_kind)
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
        """Show `saved`: its provider, filter, sort and regions (its other parts are kept in the file)."""
        self._view_name = saved.name
        switch = saved.provider != self.provider
        self.provider = saved.provider
        self.query_one(FilterInput).value = saved.filter  # the filter bar parses it, as if typed
        self.view = replace(self.view, **view_changes(saved))
        if switch and load:
            self._load()
        else:
            self._update_view()


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
