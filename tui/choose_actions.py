"""The dashboard's choosing keys: the price kind ($), a row's every kind (enter), regions as
columns (v), marking rows (space) and comparing them (x), cheaper equivalents (E) and across
every cloud (A), the column chooser (C). A mixin of PriceSyncApp, so app.py only lists it."""

from __future__ import annotations

import logging

from pricesync.core import ON_DEMAND, PROVIDERS, CatalogEntry, Key, PriceSyncError
from textual.binding import Binding

from .cells import COLUMN_KEYS, shown_columns
from .choosing import entries_of
from .columns_state import load_columns, save_columns
from .screens_choose import ColumnChooser, CompareScreen, DetailScreen, EquivalentsScreen, KindPicker, PivotScreen

log = logging.getLogger("pricesync.tui")

CHOOSING_BINDINGS = [
    Binding("dollar_sign", "price_kind", "Kind", show=False),  # k is the table's cursor up; help + palette
    Binding("enter", "detail", "Detail", show=False),
    Binding("v", "pivot", "Pivot", show=False),
    Binding("space", "mark_row", "Mark", show=False),
    Binding("x", "compare", "Compare", show=False),
    Binding("E", "equivalents", "Cheaper", show=False),
    Binding("A", "all_clouds", "All clouds", show=False),
    Binding("C", "columns", "Columns", show=False),
]
# (action, title, help) for the palette
CHOOSING_COMMANDS = (
    ("price_kind", "Choose the price kind", "On demand, Reserved or Savings Plans in $/hour and $/month"),
    ("detail", "Every kind of the selected row", "Hourly, upfront, effective, savings and break-even"),
    ("pivot", "Regions as columns", "One row per type and OS, a price column per region"),
    ("mark_row", "Mark the selected row", "Mark rows to compare them side by side"),
    ("compare", "Compare the marked rows", "Specs and prices side by side, differences highlighted"),
    ("equivalents", "Cheaper equivalents", "Types with at least the selected row's vCPU, memory, GPU"),
    ("all_clouds", "Cheaper equivalents on every cloud", "AWS, Azure and GCP in one table"),
    ("columns", "Choose columns", "Which columns, in which order (saved)"),
)


class ChoosingActions:
    """A mixin of PriceSyncApp: uses its `data`, `table`, `view`, `settings`, `engine`, `notify`,
    `push_screen` and `_load` (not imported: the app imports this module)."""

    price_kind: str
    picked: list[Key]
    column_keys: tuple[str, ...]

    def init_choosing(self) -> None:
        self.price_kind = ON_DEMAND
        self.picked = []  # marked rows, in marking order (the first is compared against)
        self.column_keys, problem = load_columns(self.settings.data_dir)
        if problem:
            log.warning("%s", problem)

    def show_columns(self) -> None:
        kind = self.data.kind if self.data else self.price_kind
        self.table.set_columns(shown_columns(self.column_keys, kind != ON_DEMAND))

    def _entry(self, key: Key | None) -> CatalogEntry | None:
        """The catalog entry of a row (not a cache-only row), or None with a note why."""
        if key is None or self.data is None or self.data.catalog is None:
            self.notify("No row selected", severity="warning")
            return None
        entry = self._entries_by_key().get(key)
        if entry is None:
            self.notify("That row is not in the catalog yet (write back first)", severity="warning")
        return entry

    def _entries_by_key(self) -> dict[Key, CatalogEntry]:
        assert self.data is not None and self.data.catalog is not None
        return {e.key: e for e in self.data.catalog.entries}

    def action_price_kind(self) -> None:
        self.push_screen(KindPicker(self.price_kind), self._set_kind)

    def _set_kind(self, kind: str | None) -> None:
        if kind and kind != self.price_kind:
            self.price_kind = kind
            self.notify(f"Prices shown: {kind}", timeout=2)
            self._load()

    def action_detail(self) -> None:
        entry = self._entry(self.table.cursor_key)
        if entry is not None:
            self.push_screen(DetailScreen(entry))

    def action_pivot(self, home: str | None = None, in_all_regions: bool = False) -> None:
        """Regions as columns for the rows shown (a saved view's pivot gives its home region)."""
        if self.data is None or self.data.catalog is None:
            self.notify("No catalog loaded", severity="warning")
            return
        entries = entries_of(self.data.catalog.entries, self.table.order)
        regions = sorted(self.view.regions) if self.view.regions is not None else None
        self.push_screen(PivotScreen(entries, self.data.kind, regions, home=home, in_all_regions=in_all_regions))

    def action_mark_row(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        if key in self.picked:
            self.picked.remove(key)
        else:
            self.picked.append(key)
        self.table.pick(frozenset(self.picked))
        self.table.action_cursor(1)

    def action_compare(self) -> None:
        if self.data is None or self.data.catalog is None:
            return
        by_key = self._entries_by_key()
        entries = [by_key[k] for k in self.picked if k in by_key]
        if len(entries) < 2:
            self.notify("Mark two rows or more with space first", severity="warning")
            return
        self.push_screen(CompareScreen(entries))

    def action_equivalents(self, all_clouds: bool = False) -> None:
        base = self._entry(self.table.cursor_key)
        if base is None or self.data is None or self.data.catalog is None:
            return
        provider, own = self.data.provider, self.data.catalog.entries
        engine = self.engine

        def candidates() -> tuple[list[tuple[str, CatalogEntry]], list[str]]:
            found = [(provider, e) for e in own]
            problems = []
            for other in PROVIDERS if all_clouds else ():
                if other == provider:
                    continue
                try:
                    found += [(other, e) for e in engine.catalog(other).entries]
                except PriceSyncError as exc:
                    problems.append(f"{other} left out: {exc}")
            return found, problems

        self.push_screen(EquivalentsScreen(base, self.data.kind, candidates, all_clouds=all_clouds))

    def action_all_clouds(self) -> None:
        self.action_equivalents(all_clouds=True)

    def action_columns(self) -> None:
        self.push_screen(ColumnChooser(self.column_keys, COLUMN_KEYS), self._set_columns)

    def _set_columns(self, columns: tuple[str, ...] | None) -> None:
        if not columns:
            return
        self.column_keys = columns
        self.show_columns()
        try:
            save_columns(self.settings.data_dir, columns)
        except (OSError, PriceSyncError) as exc:
            self.notify(f"Columns not saved: {exc}", severity="warning")
