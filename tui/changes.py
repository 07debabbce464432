"""The price history as the dashboard shows it: the runs, one run's changes, one entry's dated
prices and sparkline, and the rows the last sync moved (marked in the table). The loaders
read through core's HistoryStore (any thread; they run in thread workers) and never raise:
a broken history file becomes `error`. Strings the history took from price sources (instance
types, regions, versions, errors) are neutralised and returned as rich Text, never markup.
No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricesync.core import (
    HOUR_DECIMALS,
    KINDS,
    ON_DEMAND,
    ChangeRow,
    HistoryError,
    HistoryStore,
    Key,
    RunRow,
    column_decimals,
    count_text,
    hourly_text,
    pct_text,
    terminal,
    when,
)
from rich.text import Text

MAX_RUNS = 100  # runs listed by the changes screen
MAX_CHANGES = 1000  # changes of one run shown; `pricesync changes` lists them all
KIND_STYLE = {"added": "cyan", "removed": "yellow"}
STATUS_STYLE = {"updated": "green", "unchanged": "dim", "failed": "bold red"}


# -- loading (thread workers) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """The rows moved by the last run of a provider that stored changes."""

    run: RunRow | None = None
    keys: frozenset[Key] = frozenset()
    error: str | None = None


def load_marks(store: HistoryStore, provider: str) -> Marks:
    try:
        run = store.last_run(provider, with_changes=True)
        if run is None:
            return Marks()
        return Marks(run, frozenset(r.key for r in store.changes(provider=provider, run_id=run.id)))
    except HistoryError as exc:
        return Marks(error=str(exc))


@dataclass(frozen=True)
class RunList:
    """A provider's runs, newest first; `initial` is the index of the last one with changes."""

    runs: tuple[RunRow, ...] = ()
    initial: int | None = None
    error: str | None = None


def load_runs(store: HistoryStore, provider: str, limit: int = MAX_RUNS) -> RunList:
    try:
        runs = store.runs(provider, limit)
        initial = next((i for i, r in enumerate(runs) if r.total_changes), None)
        if initial is None and (last := store.last_run(provider, with_changes=True)) is not None:
            runs.append(last)  # older than the runs listed: still the one to open on
            initial = len(runs) - 1
    except HistoryError as exc:
        return RunList(error=str(exc))
    return RunList(tuple(runs), initial if initial is not None or not runs else 0)


def step(runs: tuple[RunRow, ...], index: int, earlier: bool) -> int | None:
    """The index of the next earlier (or later) run that stored changes, if any."""
    order = range(index + 1, len(runs)) if earlier else range(index - 1, -1, -1)
    return next((i for i in order if runs[i].total_changes), None)


@dataclass(frozen=True)
class RunChanges:
    run_id: int
    rows: tuple[ChangeRow, ...] = ()
    more: bool = False  # the run stored more than the rows loaded
    error: str | None = None


def load_changes(store: HistoryStore, run: RunRow, limit: int = MAX_CHANGES) -> RunChanges:
    try:
        rows = store.changes(provider=run.provider, run_id=run.id, limit=limit + 1)
    except HistoryError as exc:
        return RunChanges(run.id, error=str(exc))
    return RunChanges(run.id, tuple(rows[:limit]), len(rows) > limit)


@dataclass(frozen=True)
class EntryHistory:
    key: Key
    rows: tuple[ChangeRow, ...] = ()  # oldest first
    error: str | None = None


def load_entry_history(store: HistoryStore, provider: str, key: Key, kind: str = ON_DEMAND) -> EntryHistory:
    """One entry's changes of one price kind."""
    try:
        return EntryHistory(key, tuple(store.entry_history(key, provider, kind)))
    except HistoryError as exc:
        return EntryHistory(key, error=str(exc))


# -- formatting -------------------------------------------------------------------------------------


def counts_text(run: RunRow) -> str:
    if not run.total_changes:
        return "no price changes"
    return f"{count_text(run.changed)} changed · {count_text(run.added)} added · {count_text(run.removed)} removed"


def run_line(run: RunRow) -> Text:
    """One run in the run list: time, status, counts, write-back."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{when(run.at)}  ")
    text.append(f"{run.status:<9}", style=STATUS_STYLE.get(run.status, ""))
    text.append(f"  {counts_text(run)}", style="" if run.total_changes else "dim")
    if run.wrote_back:
        text.append("  written back", style="green")
    if run.error:
        text.append(terminal(f"  {run.error}"), style="red")
    return text


def run_summary(run: RunRow) -> Text:
    """The header over one run's changes."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{when(run.at)} UTC", style="bold")
    text.append(f" · {run.status} · {'written back' if run.wrote_back else 'not written back'}")
    text.append(
        terminal(
            f" · source {run.source_version or '?'} · {count_text(run.records)} prices"
            f" · {', '.join(run.regions) or 'no regions'}"
        )
    )
    return text


def change_text(row: ChangeRow) -> Text:
    """+4.2% red (up), -9.1% green (down), new / removed."""
    if row.kind != "changed":
        return Text("new" if row.kind == "added" else "removed", style=KIND_STYLE[row.kind])
    if row.pct is None:
        return Text("from 0", style="red")
    return Text(pct_text(row.pct), style="red" if row.pct > 0 else "green" if row.pct < 0 else "")


UPFRONT_LABEL = {"no": "no", "partial": "pa", "all": "all"}


def kind_label(kind: str) -> str:
    """A price kind in 9 characters at most, for the changes table at 80 columns: on-demand and
    spot as they are; `RI1s-no` is reserved-1yr-standard-no-upfront (RI: Reserved, SP: Savings
    Plan; 1 or 3 years; s standard, c convertible for RI, c compute, e ec2-instance for SP; no,
    pa(rtial) or all upfront). The help screen and the README say so."""
    k = KINDS.get(kind)
    if k is None or not k.years:
        return kind
    return f"{'RI' if k.family == 'reserved' else 'SP'}{k.years}{k.plan[0]}-{UPFRONT_LABEL[k.upfront]}"


CHANGE_COLUMNS = ("instance type", "region", "OS", "kind", "old $/h", "new $/h", "change")


def change_cells(row: ChangeRow, decimals: int = HOUR_DECIMALS) -> tuple[Text, ...]:
    """The cells of CHANGE_COLUMNS, prices with `decimals` (the run's column_decimals) and
    right-aligned (Text: a DataTable parses str cells as markup)."""
    change = change_text(row)
    change.justify = "right"
    return (
        Text(terminal(row.instance_type)),
        Text(terminal(row.region)),
        Text(terminal(row.os)),
        Text(kind_label(row.price_kind)),
        Text(hourly_text(row.old, decimals), justify="right"),
        Text(hourly_text(row.new, decimals), justify="right"),
        change,
    )


def change_decimals(rows: tuple[ChangeRow, ...] | list[ChangeRow]) -> int:
    """The decimals the price columns of these changes are shown with."""
    return column_decimals([p for r in rows for p in (r.old, r.new)], HOUR_DECIMALS)


def sparkline_points(rows: tuple[ChangeRow, ...]) -> list[float]:
    """The entry's successive prices: the first change's old one, then each new one."""
    if not rows:
        return []
    prices = [rows[0].old, *(r.new for r in rows)]
    return [float(Decimal(p)) for p in prices if p is not None]


def history_text(rows: tuple[ChangeRow, ...]) -> Text:
    """The dated list of an entry's prices, oldest first."""
    text = Text(no_wrap=True)
    text.append(f"{'when (UTC)':<18}{'$/hour':>12}  {'change':>8}  source", style="bold")
    first = rows[0]
    text.append(f"\n{'before ' + when(first.at)[:10]:<18}")
    text.append(f"{hourly_text(first.old):>12}" if first.old is not None else f"{'not listed':>12}", style="dim")
    for row in rows:
        text.append(f"\n{when(row.at):<18}{hourly_text(row.new) if row.new is not None else 'no longer listed':>12}  ")
        change = change_text(row)
        change.align("right", 8)
        text.append_text(change)
        text.append(terminal(f"  {row.source_version or '-'}"), style="dim")
    return text
