"""Everything the `pricesync` commands print, neutralised (pricesync.core.terminal, markup):
plain lines on stdout or stderr, tables (aligned text, streamed) and the progress bar. Values come from price sources
(instance types, versions, errors that quote them): no control character, escape sequence or
rich markup in them reaches the terminal. JSON output needs nothing more: `json.dumps` escapes
every control character. rich is imported only when a progress bar is drawn."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from .. import markup, terminal, terminal_lines

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID


def line(text: object = "", *, err: bool = False) -> None:
    """One line; a CR or LF inside it is shown as `\\x0d` / `\\x0a`, never a new line."""
    print(terminal(text), file=sys.stderr if err else sys.stdout)


def lines(text: str) -> None:
    """Several lines (a unit file): each neutralised, the line breaks kept."""
    print(terminal_lines(text))


@dataclass(frozen=True)
class Column:
    """A table column. `drop`: 0 is always shown; a narrow terminal loses the others, the
    highest first. `width`: the widest value's width when the caller knows it (a streamed
    table); else the rows are measured."""

    name: str
    right: bool = False
    drop: int = 0
    width: int | None = None


def table(
    title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]], *, neutralised: bool = False
) -> None:
    """Aligned text, streamed: each value whole (a price or a % is never cut). On a terminal
    too narrow for every column, the columns with the highest `drop` go first; if the rest
    still do not fit, each row is printed as one record per line. Piped, every column.
    `neutralised`: the caller ran every cell through `terminal` already (once per distinct
    value, for a big table)."""
    if any(c.width is None for c in columns):
        cells = [[terminal(cell) for cell in row] for row in rows]
        measured = [max((len(row[i]) for row in cells), default=0) for i in range(len(columns))]
        rows, neutralised = cells, True
    else:
        measured = [c.width or 0 for c in columns]
    widths = [max(len(c.name), w) for c, w in zip(columns, measured, strict=True)]
    limit = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    shown = list(range(len(columns)))
    for i in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if limit is None or _width(widths, shown) <= limit:
            break
        shown.remove(i)
    out = sys.stdout
    out.write(terminal(title) + "\n")
    if limit is not None and _width(widths, shown) > limit:
        _records(columns, rows)
        return
    spec = GAP.join(f"{{{i}:{'>' if columns[i].right else '<'}{widths[i]}}}" for i in shown)
    out.write(spec.format(*(c.name for c in columns)).rstrip() + "\n")
    out.write(GAP.join("-" * widths[i] for i in shown) + "\n")
    batch: list[str] = []
    for row in rows:
        batch.append(spec.format(*(row if neutralised else map(terminal, row))).rstrip())
        if len(batch) == BATCH:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")


GAP = "  "
BATCH = 500  # rows written at once


def _width(widths: Sequence[int], shown: Sequence[int]) -> int:
    return sum(widths[i] for i in shown) + len(GAP) * (len(shown) - 1)


def _records(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> None:
    """One record per line group: `name: value`, a blank line between records."""
    pad = max(len(c.name) for c in columns)
    for row in rows:
        sys.stdout.write(
            "\n".join(f"{c.name:>{pad}}: {terminal(cell)}" for c, cell in zip(columns, row, strict=True) if cell != "")
            + "\n\n"
        )


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
