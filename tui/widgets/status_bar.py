"""The header: which catalog is shown, how fresh it is and what a write-back would do.

Versions, currencies, errors and regions come from files a price source filled: each is
neutralised (core.textsafe.terminal) before it joins the line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pricesync.core import ON_DEMAND, count_text, level_of, parse_utc, provider_name, short_duration, terminal, when
from rich.text import Text
from textual.widgets import Static

from ..cells import MARK
from ..changes import Marks
from ..dataset import Dataset
from ..rowindex import View


def tilde(text: object) -> str:
    """Paths under the home directory as ~/... (in paths and in error messages), neutralised."""
    home = str(Path.home()).rstrip("/")
    return terminal(str(text).replace(home + "/", "~/") if home else text)


def ago(then: datetime, now: datetime) -> str:
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def when_ago(text: str | None, now: datetime) -> str:
    """A time from state.json as '2025-11-03 09:30 UTC (3h ago)', or 'never'."""
    t = parse_utc(text)
    return f"{when(text)} UTC ({ago(t, now)})" if t else "never"


class StatusBar(Static):
    """The header's two lines (`status_text`)."""


STALE_STYLES = {"stale": "bold black on yellow", "critical": "bold white on red"}


def stale_badge(last_success: str | None, max_age: timedelta | None, now: datetime) -> Text | None:
    """' STALE 2d 04h (max_age 36h) ': yellow past [sync] max_age, red past twice it or never
    synced; None while the prices are fresh or no max_age is set."""
    last = parse_utc(last_success)
    level = level_of(last, max_age, now)
    if level == "fresh" or max_age is None:
        return None
    age = "never synced" if last is None else short_duration((now - last).total_seconds())
    return Text(f" STALE {age} (max_age {short_duration(max_age.total_seconds())}) ", style=STALE_STYLES[level])


def view_note(view: View) -> str:
    notes = []
    if view.regions is not None:
        regions = sorted(view.regions)
        notes.append(terminal(f"regions {', '.join(regions[:3])}{f' +{len(regions) - 3}' if len(regions) > 3 else ''}"))
    if view.pending_only:
        notes.append("pending only")
    return f" ({'; '.join(notes)})" if notes else ""


def status_text(
    data: Dataset,
    shown: int,
    view: View,
    write_back: str,
    now: datetime,
    marks: Marks,
    max_age: timedelta | None = None,
) -> Text:
    """`write_back`: the write-back mode as shown ('manual', 'auto', 'auto (this session)')."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {provider_name(data.provider)} ", style="bold reverse")
    text.append(f" {tilde(data.catalog_path)}")
    if data.catalog is not None:
        source = data.catalog.source
        text.append(terminal(f" · {data.catalog.currency} · source {source.version or source.mode}"))
        text.append(f" · {count_text(shown)} of {count_text(data.total)} shown{view_note(view)}", style="bold")
        if data.kind != ON_DEMAND:
            text.append(terminal(f" · prices: {data.kind}"), style="bold magenta")
    text.append(f" · write-back: {write_back}")
    text.append("\n")
    snapshot, state = data.snapshot, data.snapshot.state
    if snapshot.catalog is not None and (badge := stale_badge(state.last_success, max_age, now)) is not None:
        text.append_text(badge)
    if snapshot.diff is not None and snapshot.pending:  # first: what a write-back would do, then why
        d = snapshot.diff
        text.append(
            f" pending: {count_text(len(d.changed))} changed, {count_text(len(d.added))} added, "
            f"{count_text(len(d.missing))} missing ·",
            style="yellow",
        )
    if snapshot.error:
        text.append(f" {tilde(snapshot.error)}", style="bold red")
    elif snapshot.catalog is None:
        text.append(" loading the catalog…", style="italic")
    elif state.last_status == "failed":
        text.append(f" last sync FAILED {when_ago(state.last_attempt, now)}: ", style="bold red")
        text.append(tilde(state.last_error), style="red")
        text.append(f" · last success {when_ago(state.last_success, now)}")
    elif state.write_back == "refused":  # the fetch stands; the catalog was kept
        text.append(f" write-back refused {when_ago(state.write_back_at, now)}: ", style="bold yellow")
        text.append(tilde(state.write_back_error), style="yellow")
        text.append(f" · last sync {when_ago(state.last_success, now)}")
    else:
        text.append(f" last sync {when_ago(state.last_success, now)}")
        if state.last_status:
            text.append(terminal(f" {state.last_status}"), style="green")
        if state.source_version:
            text.append(terminal(f" · fetched version {state.source_version}"))
    if marks.run is not None:
        text.append(f" · {MARK} {count_text(len(marks.keys))} moved {when(marks.run.at)}")
    problems = (*snapshot.problems, marks.error) if marks.error else snapshot.problems
    for problem in problems:
        text.append(f" · {tilde(problem)}", style="yellow")
    if snapshot.blocker:
        text.append(terminal(f" · sync: {snapshot.blocker}"), style="dim")
    return text
