"""The bottom line: next scheduled run with a live countdown, or the sync in progress."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


def countdown(seconds: float) -> str:
    s = max(int(seconds), 0)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{d}d {h:02d}h {m:02d}m" if d else f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def next_run_text(
    next_run: datetime | None, schedule: str | None, now: datetime, next_spot: datetime | None = None
) -> Text:
    """`schedule` None: the scheduler is disabled. `next_spot`: the next run of the spot-only job
    ([schedule] spot), if there is one."""
    if schedule is None:
        return Text.assemble(("scheduler disabled", "bold"), " · syncs run when you press s")
    if next_run is None:
        text = Text.assemble(("no run scheduled", "bold yellow"), f" · {schedule}")
    else:
        text = Text.assemble(
            "next run ",
            (f"{next_run:%Y-%m-%d %H:%M} UTC", "bold"),
            " in ",
            (countdown((next_run - now).total_seconds()), "bold cyan"),
            f" · {schedule}",
        )
    if next_spot is not None:
        text.append_text(Text.assemble(" · spot ", (f"{next_spot:%H:%M} UTC", "bold")))
    return text


class NextRunBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="sync-label")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="sync-progress")
        yield Static(id="next-run")

    def show(
        self,
        next_run: datetime | None,
        schedule: str | None,
        now: datetime,
        syncing: str | None,
        since: datetime | None,
        download: str = "",
        next_spot: datetime | None = None,
    ) -> None:
        """`syncing`: what is being synced, None when idle; `since`: when it started; `download`:
        the region downloading, its MB and MB/s."""
        label = self.query_one("#sync-label", Static)
        label.display = self.query_one("#sync-progress").display = syncing is not None
        if syncing is not None:
            elapsed = countdown((now - since).total_seconds()) if since else ""
            label.update(Text.assemble((f" syncing {syncing}… ", "bold yellow"), elapsed, f" {download} "))
        self.query_one("#next-run", Static).update(next_run_text(next_run, schedule, now, next_spot))
