"""Everything the `pricesync` commands print, neutralised (pricesync.core.terminal, markup):
plain lines on stdout or stderr, tables and the progress bar. Values come from price sources
(instance types, versions, errors that quote them): no control character, escape sequence or
rich markup in them reaches the terminal. JSON output needs nothing more: `json.dumps` escapes
every control character. rich is imported only when a table or a bar is drawn."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from .. import markup, terminal, terminal_lines

if TYPE_CHECKING:
    from rich.console import JustifyMethod
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID


def line(text: object = "", *, err: bool = False) -> None:
    """One line; a CR or LF inside it is shown as `\\x0d` / `\\x0a`, never a new line."""
    print(terminal(text), file=sys.stderr if err else sys.stdout)


def lines(text: str) -> None:
    """Several lines (a unit file): each neutralised, the line breaks kept."""
    print(terminal_lines(text))


def table(title: str, columns: list[tuple[str, JustifyMethod]], rows: Sequence[Sequence[object]]) -> None:
    """A rich table on a terminal; piped, the same columns as plain aligned text, never
    truncated to a guessed width. `columns` are (name, "left" | "right")."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    tty = sys.stdout.isatty()
    out = Table(title=markup(title), box=box.SIMPLE_HEAD if tty else None, show_edge=False, pad_edge=False)
    for name, justify in columns:
        out.add_column(name, justify=justify, no_wrap=True)
    for row in rows:
        out.add_row(*(markup(cell) for cell in row))
    Console(width=None if tty else 10_000).print(out)


class ProgressBar:
    """A sync's progress (core's Progress callback): a rich bar per region on a terminal, bytes
    and prices selected, on stderr; nothing when not `enabled` (piped, --json)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: RichProgress | None = None
        self.tasks: dict[str, TaskID] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            self.bar = Progress(
                TextColumn("{task.description:<16}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[records]} prices"),
                transient=True,
                console=Console(stderr=True),
            )

    def __enter__(self) -> ProgressBar:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.bar:
            self.bar.stop()

    def __call__(self, region: str, done: int, total: int | None, records: int) -> None:
        if self.bar is None:
            return
        if region not in self.tasks:
            self.tasks[region] = self.bar.add_task(markup(region), total=total, records=0)
        self.bar.update(self.tasks[region], completed=done, total=total, records=records)
