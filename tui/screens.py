"""Modal screens: write-back confirmation, provider and region pickers, help."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from core.models import PROVIDERS, CatalogDiff
from core.scheduler import PROVIDER_NAMES

from .cells import COLUMN_TITLES, exact
from .dataset import Dataset
from .query import FIELD_NAMES
from .widgets.status_bar import tilde

TOP_CHANGES = 5


def diff_summary(diff: CatalogDiff) -> Text:
    text = Text()
    text.append(f"{len(diff.changed):,} changed", style="bold yellow")
    text.append(" · ")
    text.append(f"{len(diff.added):,} added", style="bold cyan")
    text.append(" · ")
    text.append(f"{len(diff.missing):,} missing", style="bold red")
    text.append(" (marked unavailable, never deleted)")
    biggest = sorted((c for c in diff.changed if c.pct is not None), key=lambda c: -abs(c.pct or 0))[:TOP_CHANGES]
    if biggest:
        text.append("\n\nLargest changes:")
        for c in biggest:
            itype, region, os_ = c.key
            old, new = exact_text(c.old), exact_text(c.new)
            text.append(f"\n  {itype} {region} {os_}: {old} → {new} ")
            text.append(f"{c.pct:+.1f}%", style="red" if (c.pct or 0) > 0 else "green")
    return text


def exact_text(price: str | None) -> str:
    return "-" if price is None else exact(Decimal(price), 4)


class ConfirmWriteBack(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Write back"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, data: Dataset) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        data = self.data
        assert data.diff is not None and data.cache is not None
        with Vertical(classes="dialog"):
            yield Label(f"Write back the cached {PROVIDER_NAMES.get(data.provider, data.provider)} prices?",
                        classes="dialog-title")
            yield Static(f"into {tilde(data.catalog_path)} (the previous file is kept as .bak)\n"
                         f"prices fetched {data.cache.fetched_at}, source version {data.cache.source_version or '?'}\n")
            yield Static(diff_summary(data.diff))
            yield Static(Text.assemble("\n", ("y", "bold"), " write back   ", ("n", "bold"), "/", ("esc", "bold"), " cancel"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ProviderPicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str, blockers: dict[str, str | None]) -> None:
        super().__init__()
        self.current = current
        self.blockers = blockers

    def compose(self) -> ComposeResult:
        options = []
        for p in PROVIDERS:
            prompt = Text(f"{PROVIDER_NAMES[p]:<6}", style="bold")
            blocker = self.blockers.get(p)
            prompt.append(f" catalog only: {blocker}" if blocker else " catalog + sync", style="dim" if blocker else "green")
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
            (f"{region:<20} {n:>9,} rows", region, self.shown is None or region in self.shown)
            for region, n in sorted(self.counts.items())
        ]
        with Vertical(classes="dialog"):
            yield Label("Show which regions?", classes="dialog-title")
            yield SelectionList[str](*items, id="regions")
            yield Static(Text.assemble(("space", "bold"), " toggle   ", ("a", "bold"), " all   ", ("n", "bold"),
                                       " none   ", ("enter", "bold"), " apply   ", ("esc", "bold"), " cancel"))

    def action_all(self, select: bool) -> None:
        regions = self.query_one(SelectionList)
        regions.select_all() if select else regions.deselect_all()

    def action_apply(self) -> None:
        selected = frozenset(self.query_one(SelectionList).selected)
        self.dismiss(None if selected >= set(self.counts) else selected)

    def action_cancel(self) -> None:
        self.dismiss(self.shown)


HELP = f"""\
# pricesync

| key | does |
| --- | --- |
| `s` | sync now (the same job as the schedule; disabled while a sync runs) |
| `w` | write back: apply the cached prices to the catalog, after a confirmation |
| `a` | automatic write-back for scheduled runs on/off |
| `p` | show another provider's catalog (AWS / Azure / GCP) |
| `r` | choose the regions shown |
| `d` | only rows with pending changes on/off |
| `e` | export the rows shown to CSV (the path is shown) |
| `l` | sync log pane on/off |
| `/` | filter; `escape` clears it, `enter` goes back to the table |
| `<` `>` | sort by the previous / next column; `o` reverses; or click a header |
| `ctrl+p` | command palette: every action, and sort by any column |
| `q` | quit (a running sync is cancelled; files stay intact) |

## Filter

Free words must appear in the instance type or family: `m5 large`.
Terms: `vcpu>=8` `mem>=32` `gpu>0` `price<0.5` `month<=100` `region:eu-*` `os:linux`
`arch:arm64` `family:m5,c6g` `type:*.metal` `region!=us-*`.
Numbers take `< <= > >= = !=`; text takes `:` (glob, comma = any) or `!=`.
Fields: {FIELD_NAMES}. A bad term is shown in red and ignored.

## Columns

{", ".join(COLUMN_TITLES.values())}. $/month is $/hour x 730, exact.
pending: the cached price where it differs from the catalog, ▲ up (red) / ▼ down (green),
`new` (no catalog price yet), `added` (not in the catalog), `missing` (not in the fetch).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)
