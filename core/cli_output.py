"""Everything the `pricesync` commands print, neutralised (core.textsafe): plain lines on stdout
or stderr and tables. Values come from price sources (instance types, versions, errors that
quote them): no control character, escape sequence or rich markup in them reaches the terminal.
JSON output needs nothing more: `json.dumps` escapes every control character."""

from __future__ import annotations

import sys

from .textsafe import markup, terminal, terminal_lines


def line(text: object = "", *, err: bool = False) -> None:
    """One line; a CR or LF inside it is shown as `\\x0d` / `\\x0a`, never a new line."""
    print(terminal(text), file=sys.stderr if err else sys.stdout)


def lines(text: str) -> None:
    """Several lines (a unit file): each neutralised, the line breaks kept."""
    print(terminal_lines(text))


def table(title: str, columns: list[tuple[str, str]], rows: list[list[object]]) -> None:
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
