"""Untrusted text made safe to show: a terminal line, rich/Textual markup, a CSV cell, Slack.

Every string that comes from a price source (instance types, versions, attributes, errors
that quote them) can carry terminal escape sequences (`ESC ]0;…BEL` retitles the window,
`ESC[2J` clears the screen), CR/LF that fake lines, bidi overrides that reorder what is read,
markup that a renderer would turn into styles or links, and spreadsheet formulas. Each output
path runs its text through one of these functions at the point of output. No rich here:
escaping markup is string work.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from types import TracebackType

_MARKUP_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")  # what rich and Textual read as a tag
_CSV_TRIGGERS = ("=", "+", "-", "@")  # a leading tab or CR is already `\x09` / `\x0d`
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_SLACK = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# what logging hands to Formatter.formatException (sys.exc_info()'s shape)
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _shown(ch: str) -> bool:
    return ch.isprintable() or unicodedata.category(ch) == "Zs"


def terminal(text: object) -> str:
    """One line safe for a terminal, a log or a widget: every character that is not printable
    (C0 and C1 controls, DEL, CR/LF/tab, bidi overrides and other format characters, line and
    paragraph separators, surrogates, unassigned code points) becomes a visible escape such as
    `\\x1b` or `\\u202e`. Letters of any script and spaces stay as they are."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(ch if _shown(ch) else _visible(ch) for ch in s)


def terminal_lines(text: str) -> str:
    """Several lines (a traceback): each one neutralised as by `terminal`, the newlines kept."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def markup(text: object) -> str:
    """`terminal(text)` as a whole rich markup string (a table cell, a title): every `[` that
    would open a tag is escaped, as `rich.markup.escape` does, so `[link=…]` stays literal
    text. (The dashboard never parses markup from sources: it shows rich Text and notifies
    without markup.)"""
    return _MARKUP_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", terminal(text))


def csv_cell(value: object) -> str:
    """A CSV cell: `terminal(value)`, and a leading `'` on text a spreadsheet would run as a
    formula (starting with = + - @; a tab or CR is escaped like any control character); plain
    numbers such as -1.5 stay numbers."""
    s = "" if value is None else terminal(value)
    if s.startswith(_CSV_TRIGGERS) and not _NUMBER.fullmatch(s):
        return "'" + s
    return s


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_cell(value: object) -> str:
    """A Markdown table cell: `terminal(value)` with every character Markdown would read as
    markup (emphasis, code, links, HTML, the cell separator `|`) escaped with a backslash, so
    the cell shows as the text it is."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", terminal(value))


def slack(text: object) -> str:
    """Text for a Slack message: `terminal(text)` with & < > escaped as Slack requires, so no
    source string becomes a link, a mention or a channel-wide @here."""
    return terminal(text).translate(_SLACK)


class SafeFormatter(logging.Formatter):
    """A logging Formatter whose lines are neutralised: the message as one line (a CR/LF in it
    cannot fake a log line), tracebacks and stacks line by line."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  logging's name
        return terminal(super().formatMessage(record))

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802
        return terminal_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return terminal_lines(super().formatStack(stack_info))
