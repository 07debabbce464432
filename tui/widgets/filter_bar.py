"""The filter bar: an Input that colours its own terms, and a line saying what is wrong."""

from __future__ import annotations

from pricesync.core import Query, terminal
from pricesync.core import parse_query as parse
from rich.highlighter import Highlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Static

PLACEHOLDER = "filter: m5 vcpu>=8 mem>=32 gpu>0 price<0.5 region:eu-* os:linux arch:arm64   (? for help)"


class QueryHighlighter(Highlighter):
    """Fields of good terms bold, bad terms red and underlined, free words as typed."""

    def highlight(self, text: Text) -> None:
        query = parse(text.plain)
        for term in query.terms:
            text.stylize("bold cyan", *term.span)
        for bad in query.bad:
            text.stylize("bold red underline", *bad.span)


def bad_terms_text(query: Query) -> Text:
    if not query.bad:
        return Text()
    return Text.assemble(("bad term: ", "bold red"), "; ".join(terminal(b) for b in query.bad))


class FilterInput(Input):
    BINDINGS = [
        Binding("escape", "clear", "Clear filter", show=False),
        Binding("down,enter", "done", "To table", show=False),
    ]

    class Done(Message):
        """The operator left the filter (escape clears it first)."""

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Done())

    def action_done(self) -> None:
        self.post_message(self.Done())


class FilterBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Label("/", id="filter-prompt")
        yield FilterInput(placeholder=PLACEHOLDER, highlighter=QueryHighlighter(), compact=True, id="filter-input")
        yield Static(id="filter-feedback")

    def show_problems(self, query: Query) -> None:
        feedback = self.query_one("#filter-feedback", Static)
        feedback.update(bad_terms_text(query))
        feedback.display = bool(query.bad)
