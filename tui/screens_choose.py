"""The choosing screens: the price kind picker ($), the selected row's every kind (enter), regions
as columns (v), the compare view of the marked rows (x), cheaper equivalents (E, and A across
every cloud) and the column chooser (C). What they show is computed by tui.choosing (no
Textual); a view over many rows is computed in a thread worker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pricesync.core import (
    PRICE_KINDS,
    CatalogEntry,
    Equivalent,
    NotInCatalog,
    equivalents,
    provider_name,
    terminal,
)
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from .cells import COLUMN_TITLES
from .choosing import (
    DETAIL_COLUMNS,
    EQUIVALENT_COLUMNS,
    Cells,
    compare_headers,
    compare_rows,
    detail_rows,
    equivalent_rows,
    pivot_rows,
)
from .screens import keys_line


def _fill(table: DataTable, headers: Sequence[str], rows: Sequence[Cells]) -> None:
    table.clear(columns=True)
    table.add_columns(*headers)
    table.add_rows(rows)


def _more(shown: int, total: int, what: str) -> str:
    if total > shown:
        return f"the first {shown:,} of {total:,} {what}: narrow the filter to see the others"
    return f"{total:,} {what}"


@dataclass
class Computed(Message):
    """A view's rows, computed in a thread worker."""

    generation: int
    headers: list[str]
    rows: list[Cells]
    note: str


class KindPicker(ModalScreen[str | None]):
    """Which price kind the $/hour and $/month columns (and price terms) show."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(f"{kind}{'  (shown)' if kind == self.current else ''}", id=kind) for kind in PRICE_KINDS]
        with Vertical(classes="dialog"):
            yield Label("Show which price kind?", classes="dialog-title")
            yield OptionList(*options, id="kinds")
            yield Static(keys_line(("enter", "show"), ("esc", "cancel")), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = PRICE_KINDS.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class DetailScreen(ModalScreen[None]):
    """Every kind of the selected row: hourly, upfront, effective, savings and break-even."""

    BINDINGS = [Binding("escape,q,enter", "dismiss(None)", "Close")]

    def __init__(self, entry: CatalogEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical(classes="dialog choose"):
            yield Label(terminal(f"{e.instance_type} · {e.region} · {e.os}"), classes="dialog-title")
            yield DataTable(id="detail", cursor_type="row", zebra_stripes=True)
            yield Static(
                "effective: the upfront fee spread over the term; break-even: the first month the "
                "commitment's cumulative cost is below on demand's",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        _fill(self.query_one(DataTable), DETAIL_COLUMNS, detail_rows(self.entry))


class _ComputedScreen(ModalScreen[None]):
    """A screen whose table is computed in a thread worker (again after each option change)."""

    TITLE_TEXT = ""

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choose"):
            yield Label(self.title_text(), id="choose-title", classes="dialog-title")
            yield DataTable(id="choose-table", cursor_type="row", zebra_stripes=True)
            yield Static("Computing…", id="choose-note")
            yield Static(self.keys(), classes="dialog-keys")

    def title_text(self) -> str:
        raise NotImplementedError

    def keys(self) -> Text:
        raise NotImplementedError

    def compute(self) -> Computed:
        """The rows (in a thread worker: read nothing of the screen's widgets)."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.recompute()

    def recompute(self) -> None:
        self.generation += 1
        generation = self.generation
        self.query_one("#choose-title", Label).update(self.title_text())

        def work() -> None:
            computed = self.compute()
            computed.generation = generation
            self.post_message(computed)

        self.run_worker(work, thread=True, group="choose", exclusive=True, exit_on_error=False)

    async def on_computed(self, message: Computed) -> None:
        if message.generation != self.generation:
            return
        # a new table: one refilled after clear(columns=True) keeps its first columns' widths
        await self.query_one(DataTable).remove()
        table = DataTable(id="choose-table", cursor_type="row", zebra_stripes=True)
        note = self.query_one("#choose-note", Static)
        await self.query_one(".choose").mount(table, before=note)
        _fill(table, message.headers, message.rows)
        note.update(message.note)


class PivotScreen(_ComputedScreen):
    """The rows shown as one row per (type, OS) and a price column per region."""

    BINDINGS = [
        Binding("h", "home", "Home region"),
        Binding("a", "all_regions", "In all regions"),
        Binding("V", "app.save_view", "Save view"),  # with the pivot, its home region and `a`
        Binding("escape,q,v", "dismiss(None)", "Close"),
    ]

    def __init__(
        self,
        entries: list[CatalogEntry],
        kind: str,
        regions: Sequence[str] | None,
        *,
        home: str | None = None,
        in_all_regions: bool = False,
    ) -> None:
        super().__init__()
        self.entries, self.kind, self.regions = entries, kind, regions
        self.columns: list[str] = sorted({e.region for e in entries}) if regions is None else list(regions)
        self.home: str | None = home if home in self.columns else None
        self.in_all_regions = in_all_regions

    def title_text(self) -> str:
        home = f" · Δ% against {self.home}" if self.home else ""
        every = " · only types in every region shown" if self.in_all_regions else ""
        return terminal(f"{self.kind} $/hour by region{home}{every}")

    def keys(self) -> Text:
        return keys_line(
            ("h", "next home region"), ("a", "in all regions on/off"), ("V", "save view"), ("esc", "close")
        )

    def compute(self) -> Computed:
        columns, rows, total = pivot_rows(self.entries, self.kind, self.regions, self.home, self.in_all_regions)
        note = f"{_more(len(rows), total, 'types')} · ★ cheapest region"
        return Computed(0, ["instance type", "OS", *(terminal(c) for c in columns)], rows, note)

    def action_home(self) -> None:
        """No home, then each region shown in turn."""
        choices: list[str | None] = [None, *self.columns]
        self.home = choices[(choices.index(self.home) + 1) % len(choices)]
        self.recompute()

    def action_all_regions(self) -> None:
        self.in_all_regions = not self.in_all_regions
        self.recompute()


class CompareScreen(ModalScreen[None]):
    """The marked rows side by side: differences against the first one highlighted."""

    BINDINGS = [Binding("escape,q,x", "dismiss(None)", "Close")]

    def __init__(self, entries: list[CatalogEntry]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choose"):
            yield Label(f"Compare {len(self.entries)} marked rows", classes="dialog-title")
            yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
            yield Static(
                "against the first marked row: green better (cheaper, bigger), red worse, yellow different",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        _fill(self.query_one(DataTable), compare_headers([e.key for e in self.entries]), compare_rows(self.entries))


Candidates = Callable[[], tuple[list[tuple[str, CatalogEntry]], list[str]]]  # (provider, entry), problems


class EquivalentsScreen(_ComputedScreen):
    """Cheaper types with at least the selected row's vCPU, memory and GPU, same OS."""

    BINDINGS = [
        Binding("r", "regions", "Any region"),
        Binding("a", "arch", "Same arch"),
        Binding("escape,q", "dismiss(None)", "Close"),
    ]

    def __init__(self, base: CatalogEntry, kind: str, candidates: Candidates, *, all_clouds: bool = False) -> None:
        super().__init__()
        self.base, self.kind, self.candidates = base, kind, candidates
        self.loaded: tuple[list[tuple[str, CatalogEntry]], list[str]] | None = None
        self.all_clouds = all_clouds
        self.any_region = all_clouds
        self.same_arch = False

    def title_text(self) -> str:
        b = self.base
        where = "every cloud, every region" if self.all_clouds else "every region" if self.any_region else b.region
        arch = f", {b.arch} only" if self.same_arch else ""
        return terminal(f"Cheaper than {b.instance_type} ({b.region}, {b.os}) · {self.kind} · {where}{arch}")

    def keys(self) -> Text:
        pairs = [("a", "same arch on/off"), ("esc", "close")]
        return keys_line(*([] if self.all_clouds else [("r", "any region on/off")]), *pairs)

    def compute(self) -> Computed:
        if self.loaded is None:  # once: the other clouds' catalogs are read from disk
            self.loaded = self.candidates()
        candidates, problems = self.loaded
        try:
            found: list[Equivalent] = equivalents(
                candidates, self.base, self.kind, regions=[] if self.any_region else None, same_arch=self.same_arch
            )
        except NotInCatalog as exc:
            return Computed(0, list(EQUIVALENT_COLUMNS), [], terminal(exc))
        rows = equivalent_rows(found)
        note = _more(len(rows), len(found), "cheaper types")
        if self.all_clouds:
            note += " · " + ", ".join(provider_name(p) for p in sorted({p for p, _ in candidates}))
        for problem in problems:
            note += terminal(f" · {problem}")
        return Computed(0, list(EQUIVALENT_COLUMNS), rows, note)

    def action_regions(self) -> None:
        if not self.all_clouds:
            self.any_region = not self.any_region
            self.recompute()

    def action_arch(self) -> None:
        self.same_arch = not self.same_arch
        self.recompute()


class ColumnChooser(ModalScreen[tuple[str, ...] | None]):
    """Which columns the table shows and in what order: space ticks, + / - move a column."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("plus,equals_sign", "move(-1)", "Earlier"),
        Binding("minus", "move(1)", "Later"),
        Binding("escape", "dismiss(None)", "Cancel"),
    ]

    def __init__(self, shown: Sequence[str], every: Sequence[str]) -> None:
        super().__init__()
        self.order = [*shown, *(k for k in every if k not in shown)]
        self.ticked = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Which columns, in which order?", classes="dialog-title")
            yield SelectionList[str](id="columns")
            yield Static(
                keys_line(("space", "show / hide"), ("+ -", "move"), ("enter", "apply"), ("esc", "cancel")),
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self._refill(0)

    def _refill(self, highlighted: int) -> None:
        columns = self.query_one(SelectionList)
        columns.clear_options()
        columns.add_options([(COLUMN_TITLES[k], k, k in self.ticked) for k in self.order])
        columns.highlighted = highlighted

    def action_move(self, step: int) -> None:
        columns = self.query_one(SelectionList)
        i = columns.highlighted
        if i is None or not 0 <= i + step < len(self.order):
            return
        self.ticked = set(columns.selected)
        self.order[i], self.order[i + step] = self.order[i + step], self.order[i]
        self._refill(i + step)

    def action_apply(self) -> None:
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss(tuple(k for k in self.order if k in ticked) or None)
