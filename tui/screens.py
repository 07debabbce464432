"""Modal screens: write-back confirmation, provider and region pickers, price changes, an
entry's price history, help.

Text from the catalog, the cache and the history (instance types, regions, versions, errors)
is neutralised (core.textsafe.terminal) and shown as rich Text, never parsed as markup."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pricesync.core import (
    FIELD_NAMES,
    ON_DEMAND,
    PROVIDERS,
    CatalogDiff,
    HistoryStore,
    Key,
    SanityReport,
    Snapshot,
    count_text,
    hourly_text,
    pct_text,
    provider_name,
    terminal,
    when,
)
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Markdown, OptionList, SelectionList, Sparkline, Static
from textual.widgets.option_list import Option

from .cells import COLUMN_TITLES, MARK
from .changes import (
    CHANGE_COLUMNS,
    RunList,
    change_cells,
    change_decimals,
    history_text,
    load_changes,
    load_entry_history,
    load_runs,
    run_line,
    run_summary,
    sparkline_points,
    step,
)
from .messages import EntryHistoryLoaded, RunChangesLoaded, RunsLoaded
from .widgets.status_bar import tilde

TOP_CHANGES = 5


def diff_summary(diff: CatalogDiff) -> Text:
    text = Text()
    text.append(f"{count_text(len(diff.changed))} changed", style="bold yellow")
    text.append(" · ")
    text.append(f"{count_text(len(diff.added))} added", style="bold cyan")
    text.append(" · ")
    text.append(f"{count_text(len(diff.missing))} missing", style="bold red")
    text.append(" (marked unavailable, never deleted)")
    biggest = sorted((c for c in diff.changed if c.pct is not None), key=lambda c: -abs(c.pct or 0))[:TOP_CHANGES]
    if biggest:
        text.append("\n\nLargest changes:")
        for c in biggest:
            itype, region, os_ = c.key
            old, new = hourly_text(c.old), hourly_text(c.new)
            text.append("\n  " + terminal(f"{itype} {region} {os_}: ") + f"{old} → {new} ")
            text.append(pct_text(c.pct), style="red" if (c.pct or 0) > 0 else "green")
    return text


FORCE_WORD = "force"  # typed to write back past the guard's --force rules


class ConfirmWriteBack(ModalScreen[str | None]):
    """The counts of the snapshot the write-back will apply (it is refused if the cache changed)
    and what the sanity guard says of it, before `y`. Returns "write", "force" (typed, past the
    guard's suspicious rules, as `sync --force` on the command line) or None."""

    BINDINGS = [
        Binding("y", "answer('write')", "Write back"),
        Binding("n,escape", "answer(None)", "Cancel"),
    ]

    def __init__(self, data: Snapshot, guard: SanityReport, limit_pct: float) -> None:
        super().__init__()
        self.data = data
        self.guard = guard
        self.limit_pct = limit_pct

    def compose(self) -> ComposeResult:
        data = self.data
        assert data.diff is not None and data.cache is not None
        with Vertical(classes="dialog"):
            yield Label(
                f"Write back the cached {provider_name(data.provider)} prices?",
                classes="dialog-title",
            )
            yield Static(
                Text(
                    f"into {tilde(data.catalog_path)} (the previous file is kept as .bak)\n"
                    + terminal(
                        f"prices fetched {when(data.cache.fetched_at)} UTC, version {data.cache.source_version or '?'}"
                    )
                    + "\n"
                )
            )
            yield Static(diff_summary(data.diff))
            yield Static(self._guard_text())
            if self.guard.refused:
                yield Static(keys_line(("n", "close")), classes="dialog-keys")
            elif self.guard.suspicious:
                yield Input(placeholder=f"type {FORCE_WORD} and press enter to write back anyway", id="force")
                yield Static(keys_line(("esc", "cancel")), classes="dialog-keys")
            else:
                yield Static(keys_line(("y", "write back"), ("n/esc", "cancel")), classes="dialog-keys")

    def _guard_text(self) -> Text:
        text = Text("\n")
        if self.guard.refused:
            text.append("The sanity guard refuses this write-back (nothing overrides it):\n", style="bold red")
            text.append(terminal("; ".join(self.guard.refused)), style="red")
        elif self.guard.suspicious:
            text.append("The sanity guard would refuse this write-back:\n", style="bold yellow")
            text.append(terminal("; ".join(self.guard.suspicious)), style="yellow")
            text.append(
                f"\nThe limit is [sync] max_missing_pct = {self.limit_pct:g}% in the config; "
                f"to write back anyway, type {FORCE_WORD}."
            )
        else:
            text.append("The sanity guard passes this write-back.", style="green")
        return text

    def on_mount(self) -> None:
        if self.guard.suspicious and not self.guard.refused:
            self.query_one(Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        blocked = bool(self.guard.refused or self.guard.suspicious)
        return not (action == "answer" and parameters == ("write",) and blocked)  # `y` only when the guard passes

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip().lower() == FORCE_WORD:
            self.dismiss("force")
        else:
            self.notify(f"type {FORCE_WORD} to write back past the guard, or esc to cancel", severity="warning")

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class ProviderPicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str, blockers: dict[str, str | None]) -> None:
        super().__init__()
        self.current = current
        self.blockers = blockers

    def compose(self) -> ComposeResult:
        options = []
        for p in PROVIDERS:
            prompt = Text(f"{provider_name(p):<6}", style="bold")
            blocker = self.blockers.get(p)
            prompt.append(
                terminal(f" catalog only: {blocker}") if blocker else " catalog + sync",
                style="dim" if blocker else "green",
            )
            if p == self.current:
                prompt.append("  (shown)", style="italic")
            options.append(Option(prompt, id=p))
        with Vertical(classes="dialog"):
            yield Label("Show which provider's catalog?", classes="dialog-title")
            yield OptionList(*options, id="providers")
            yield Static(Text.assemble(("enter", "bold"), " show   ", ("esc", "bold"), " cancel"))

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = PROVIDERS.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class RegionPicker(ModalScreen[frozenset[str] | None]):
    """Returns the regions to show: None for all (also when every region is ticked)."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("a", "all(True)", "All"),
        Binding("n", "all(False)", "None"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, counts: Counter, shown: frozenset[str] | None) -> None:
        super().__init__()
        self.counts = counts
        self.shown = shown

    def compose(self) -> ComposeResult:
        items = [
            (Text(terminal(f"{region:<20} {n:>9,} rows")), region, self.shown is None or region in self.shown)
            for region, n in sorted(self.counts.items())
        ]
        with Vertical(classes="dialog"):
            yield Label("Show which regions?", classes="dialog-title")
            yield SelectionList[str](*items, id="regions")
            yield Static(
                Text.assemble(
                    ("space", "bold"),
                    " toggle   ",
                    ("a", "bold"),
                    " all   ",
                    ("n", "bold"),
                    " none   ",
                    ("enter", "bold"),
                    " apply   ",
                    ("esc", "bold"),
                    " cancel",
                )
            )

    def action_all(self, select: bool) -> None:
        regions = self.query_one(SelectionList)
        regions.select_all() if select else regions.deselect_all()

    def action_apply(self) -> None:
        selected = frozenset(self.query_one(SelectionList).selected)
        self.dismiss(None if selected >= set(self.counts) else selected)

    def action_cancel(self) -> None:
        self.dismiss(self.shown)


def read_history(
    node: DOMNode, message: Callable[..., Message], load: Callable, *args, exclusive: bool = False
) -> None:
    """Run a history loader (tui.changes) in a thread worker and post `message(result)` to `node`.
    Group "history": apart from the app's "load", "view" and "io" groups."""
    node.run_worker(
        lambda: node.post_message(message(load(*args))),
        thread=True,
        group="history",
        exclusive=exclusive,
        exit_on_error=False,
    )


def keys_line(*pairs: tuple[str, str]) -> Text:
    return Text("   ").join(Text.assemble((key, "bold"), f" {what}") for key, what in pairs)


class ChangesScreen(ModalScreen[None]):
    """A provider's sync runs (newest first) and the price changes of the one highlighted; opens
    on the last run that stored changes."""

    BINDINGS = [
        Binding("left", "step(True)", "Earlier run with changes", priority=True),
        Binding("right", "step(False)", "Later run with changes", priority=True),
        Binding("escape,q,c", "dismiss(None)", "Close"),
    ]

    def __init__(self, store: HistoryStore, provider: str) -> None:
        super().__init__()
        self.store = store
        self.provider = provider
        self.runs = RunList()
        self.shown: list = []  # the ChangeRows in the table

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog changes"):
            yield Label(f"Price changes · {provider_name(self.provider)}", classes="dialog-title")
            yield OptionList(id="runs")
            yield Static(id="run-summary")
            yield DataTable(id="changes", cursor_type="row")
            yield Static("Loading the history…", id="changes-note")
            yield Static(
                keys_line(
                    ("↑↓", "run"),
                    ("←→", "earlier / later run with changes"),
                    ("tab", "the changes"),
                    ("enter", "a change's history"),
                    ("esc", "close"),
                ),
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        read_history(self, RunsLoaded, load_runs, self.store, self.provider)

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        self.runs = message.runs
        note = self.query_one("#changes-note", Static)
        if self.runs.error:
            note.update(Text(tilde(self.runs.error), style="bold red"))
        elif not self.runs.runs:
            note.update(
                "No syncs recorded yet: the history starts with the first sync (s) and keeps every price that moves."
            )
        runs = self.query_one(OptionList)
        runs.add_options(run_line(r) for r in self.runs.runs)
        runs.highlighted = self.runs.initial

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        run = self.runs.runs[event.option_index]
        self.query_one("#run-summary", Static).update(run_summary(run))
        self._show_changes([])
        note = self.query_one("#changes-note", Static)
        if run.total_changes:
            note.update("Loading the changes…")
            read_history(self, RunChangesLoaded, load_changes, self.store, run, exclusive=True)
        else:
            note.update(Text(terminal(run.error), style="red") if run.error else "No price changes in this run.")

    def on_run_changes_loaded(self, message: RunChangesLoaded) -> None:
        got = message.changes
        index = self.query_one(OptionList).highlighted
        if index is None or self.runs.runs[index].id != got.run_id:
            return  # the highlight moved on
        self._show_changes(got.rows)
        note = self.query_one("#changes-note", Static)
        if got.error:
            note.update(Text(tilde(got.error), style="bold red"))
        elif got.more:
            note.update(
                f"The first {count_text(len(got.rows))} changes of this run: `pricesync changes` lists them all."
            )
        else:
            note.update("")

    def _show_changes(self, rows) -> None:
        self.shown = list(rows)
        table = self.query_one(DataTable)
        table.clear(columns=True)  # each run's columns sized afresh from its rows
        decimals = change_decimals(self.shown)
        cells = [change_cells(r, decimals) for r in self.shown]
        for i, title in enumerate(CHANGE_COLUMNS):
            table.add_column(title, width=max([len(title), *(c[i].cell_len for c in cells)]))
        table.add_rows(cells)

    def action_step(self, earlier: bool) -> None:
        runs = self.query_one(OptionList)
        if runs.highlighted is not None and (index := step(self.runs.runs, runs.highlighted, earlier)) is not None:
            runs.highlighted = index

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self.shown[event.cursor_row]
        self.app.push_screen(EntryHistoryScreen(self.store, self.provider, row.key, row.price_kind))


class EntryHistoryScreen(ModalScreen[None]):
    """One entry's dated prices of one price kind and a sparkline of them."""

    BINDINGS = [Binding("escape,q,h", "dismiss(None)", "Close")]

    def __init__(self, store: HistoryStore, provider: str, key: Key, kind: str = ON_DEMAND) -> None:
        super().__init__()
        self.store = store
        self.provider = provider
        self.key = key
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                Text(
                    terminal(f"Price history · {' · '.join(self.key)} · {self.kind} · {provider_name(self.provider)}")
                ),
                classes="dialog-title",
            )
            yield Sparkline([], id="sparkline")
            yield Static("Loading the history…", id="entry-prices")
            yield Static(keys_line(("esc", "close")), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Sparkline).display = False
        read_history(self, EntryHistoryLoaded, load_entry_history, self.store, self.provider, self.key, self.kind)

    def on_entry_history_loaded(self, message: EntryHistoryLoaded) -> None:
        history = message.history
        prices = self.query_one("#entry-prices", Static)
        if history.error:
            prices.update(Text(tilde(history.error), style="bold red"))
        elif not history.rows:
            prices.update("No history yet: the history starts at the first sync and keeps only prices that moved.")
        else:
            points = sparkline_points(history.rows)
            sparkline = self.query_one(Sparkline)
            sparkline.data = points
            sparkline.display = len(points) > 1
            prices.update(history_text(history.rows))


HELP = f"""\
# pricesync

| key | does |
| --- | --- |
| `s` | sync now (the same job as the schedule; disabled while a sync runs) |
| `w` | write back: apply the cached prices to the catalog, after a confirmation |
| `a` | automatic write-back after every sync (scheduled and `s`) on/off, for this session |
| `p` | show another provider's catalog (AWS / Azure / GCP) |
| `r` | choose the regions shown |
| `d` | only rows with pending changes on/off |
| `e` | export the rows shown to CSV (the path is shown); the palette: TSV, Markdown, JSON |
| `V` | save what is shown under a name (in `v`: with the pivot); reopen it from the palette |
| `l` | sync log pane on/off |
| `c` | price changes of the last sync with changes, with their kind; `←` `→` step through earlier runs |
| `h` | price history of the selected row, of the kind shown: dated prices and a sparkline |
| `/` | filter; `escape` clears it, `enter` goes back to the table |
| `<` `>` | sort by the previous / next column; `o` reverses; or click a header |
| `$` | price kind shown in $/hour, $/month and the price terms (on demand, Reserved, Savings Plans); savings column |
| `enter` | every kind of the selected row: hourly, upfront, effective, savings, break-even month |
| `v` | regions as columns (the rows shown): ★ cheapest; `h` home region for Δ%, `a` only types in every region |
| `space` `x` | mark / unmark a row; compare the marked rows side by side (differences against the first) |
| `E` `A` | cheaper equivalents of the selected row (`r` any region, `a` same arch); `A` on every cloud |
| `C` | choose the columns and their order (saved in tui_columns.json in the data dir) |
| `ctrl+p` | command palette: every action, and sort by any column |
| `q` | quit (a running sync is cancelled; files stay intact) |

## Filter

Free words must appear in the instance type or family: `m5 large`.
Terms: `vcpu>=8` `mem>=32` `gpu>0` `price<0.5` `month<=100` `per_vcpu<0.02` `per_gib<0.005`
`per_gpu<2` `region:eu-*` `os:linux`
`arch:arm64` `family:m5,c6g` `type:*.metal` `region!=us-*`.
Specs: `gen:current` `net>=25` (Gbit/s) `clock>=3` (GHz) `disk>=1000` (GB of instance storage)
`storage:nvme*` (its description or type) `cpu:graviton*` `processor:*epyc*`; `cpu>=8` is vCPUs.
Numbers take `< <= > >= = !=`; text takes `:` (glob, comma = any) or `!=`.
An unknown spec passes no term. Fields: {FIELD_NAMES}. A bad term is shown in red and ignored.

## Columns

{", ".join(COLUMN_TITLES.values())}. $/month is $/hour x 730, exact. Prices, unit prices
($ per hour per vCPU, GiB, GPU) and the price terms are of the kind shown (`$`): a commitment's
effective rate, its upfront fee spread over the term; savings is against on demand.
pending: the cached price where it differs from the catalog, ▲ up (red) / ▼ down (green),
`new` (no catalog price yet), `added` (not in the catalog), `missing` (not in the fetch).
A `STALE` badge in the header: the last successful sync is older than `[sync] max_age`
(yellow), older than twice that or never happened (red).
gen, processor, GHz, network and storage (chosen with `C`): the source's own descriptions
(AWS's product attributes; for Azure and GCP what the size or family name documents), `?` unknown.
{MARK} after the instance type: the row's price moved (or it appeared or left) in the last sync
that stored changes (`c` lists them).

## Price changes (`c`)

The kind column: `on-demand`, `spot`, or `RI`/`SP` (Reserved / Savings Plan), the term in years
(`1`, `3`), the class (`s` standard, `c` convertible; for a plan `c` compute, `e` EC2 instance)
and the upfront option (`no`, `pa` partial, `all`): `RI1s-no` is reserved-1yr-standard-no-upfront,
`SP3c-all` savings-plan-compute-3yr-all-upfront. A kind's prices are its effective $/hour.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)
