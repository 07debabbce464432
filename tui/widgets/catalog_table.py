"""The catalog table: a Line-API ScrollView that renders only the visible rows.

It shows `order` (row numbers of a `CatalogRows`, already filtered and sorted by
`RowIndex`), so its cost per frame is the height of the screen, not the size of the
catalog. The cursor follows a row's key (instance type, region, OS) across refreshes.
Rows whose key is in `marked` (moved by the last sync with changes) carry a mark at the
end of the instance type column. The instance type column stays put when the table scrolls
sideways (a narrow terminal): the other columns scroll under it.
"""

from __future__ import annotations

import contextlib

from pricesync.core import Key, terminal
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..cells import DEFAULT_COLUMNS, MARK, SOURCE, ColumnSpec, Decimals, Layout, cell, shown_columns
from ..rows import CatalogRows

GAP = 2


class CatalogTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "catalog-table--header",
        "catalog-table--sorted",
        "catalog-table--cursor",
        "catalog-table--dim",
        "catalog-table--up",
        "catalog-table--down",
        "catalog-table--new",
        "catalog-table--missing",
        "catalog-table--mark",
        "catalog-table--picked",
        "catalog-table--message",
        "catalog-table--error",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),  # space marks a row (the app's)
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
    ]

    class HeaderClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: CatalogRows | None = None
        self.order: list[int] = []
        self.widths: dict[str, int] = {}
        self.decimals = Decimals()
        self.sort = "type"
        self.descending = False
        self.cursor = 0
        self.marked: frozenset[Key] = frozenset()
        self.picked: frozenset[Key] = frozenset()  # marked for the compare view (space)
        self.columns: tuple[ColumnSpec, ...] = shown_columns(DEFAULT_COLUMNS, False)
        self.message: tuple[str, bool] | None = ("Loading catalog…", False)  # (text, is_error)

    # -- data -----------------------------------------------------------------------------------

    @property
    def cursor_key(self) -> Key | None:
        if self.rows is None or not self.order:
            return None
        return self.rows.keys[self.order[self.cursor]]

    def show_rows(
        self, rows: CatalogRows, order: list[int], layout: Layout, sort: str, descending: bool, *, to_top: bool = False
    ) -> None:
        """Show `order`; keep the cursor on the same row (by key) if it is still shown, or put
        it on the first row (`to_top`: the sort or the filter changed)."""
        key = None if to_top else self.cursor_key
        same_rows = rows is self.rows and not to_top
        old_row = self.order[self.cursor] if same_rows and self.order else None
        self.rows, self.order, self.widths, self.decimals = rows, order, layout.widths, layout.decimals
        self.sort, self.descending = sort, descending
        self.message = None
        if key is not None and not same_rows:
            try:
                old_row = rows.keys.index(key)
            except ValueError:
                old_row = None
        position = None
        if old_row is not None:
            with contextlib.suppress(ValueError):
                position = order.index(old_row)
        if to_top:
            self.cursor = 0
        else:
            self.cursor = position if position is not None else min(self.cursor, max(len(order) - 1, 0))
        self._resize()
        self._scroll_to_cursor()
        self.refresh()

    def set_columns(self, columns: tuple[ColumnSpec, ...]) -> None:
        """Show these columns, in this order."""
        self.columns = columns
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        if self.rows is not None:
            width = sum(self.widths[c.key] + GAP for c in self.columns)
            self.virtual_size = Size(width, len(self.order) + 1)

    def show_message(self, text: str, error: bool = False) -> None:
        """Replace the rows by a message (loading, or why the catalog cannot be shown)."""
        self.rows, self.order, self.message = None, [], (terminal(text), error)
        self.cursor = 0
        self.virtual_size = Size(0, 0)
        self.refresh()

    def mark(self, keys: frozenset[Key]) -> None:
        if keys != self.marked:
            self.marked = keys
            self.refresh()

    def pick(self, keys: frozenset[Key]) -> None:
        if keys != self.picked:
            self.picked = keys
            self.refresh()

    # -- cursor and scrolling -------------------------------------------------------------------

    @property
    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _move(self, position: int) -> None:
        self.cursor = max(0, min(position, len(self.order) - 1))
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self._page:
            self.scroll_to(y=self.cursor - self._page + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * self._page)

    def action_jump(self, position: int) -> None:
        self._move(position if position >= 0 else len(self.order) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            frozen = self.widths[self.columns[0].key] + GAP
            x = offset.x if offset.x < frozen else offset.x + round(self.scroll_x)
            for spec in self.columns:
                width = self.widths[spec.key]
                if x < width + GAP:
                    self.post_message(self.HeaderClicked(spec.key))
                    return
                x -= width + GAP
        elif self.order:
            self._move(round(self.scroll_y) + offset.y - 1)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    # -- rendering ------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"catalog-table--{name}")

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if self.message is not None:
            text, error = self.message
            line = text if y == 1 else ""
            style = self._style("error" if error else "message")
            return Strip([Segment(f"  {line}", style)]).crop_extend(0, width, base)
        if y == 0:
            strip = self._header()
        else:
            position = scroll_y + y - 1
            if position < len(self.order):
                strip = self._row(position)
            elif y == 1:
                return Strip([Segment("  no rows match the filter", self._style("message"))]).crop_extend(
                    0, width, base
                )
            else:
                return Strip.blank(width, base)
        # the instance type column stays; the rest scrolls under it
        frozen = min(self.widths[self.columns[0].key] + GAP, width)
        return Strip.join(
            [strip.crop(0, frozen), strip.crop_extend(frozen + scroll_x, scroll_x + width, base)]
        ).crop_extend(0, width, base)

    def _header(self) -> Strip:
        header = self._style("header")
        segments = []
        for spec in self.columns:
            w = self.widths[spec.key]
            title = spec.title
            style = header
            if spec.key == self.sort:
                title = f"{title} {'▼' if self.descending else '▲'}"
                style = header + self._style("sorted")
            segments.append(Segment((title.rjust(w) if spec.right else title.ljust(w)) + " " * GAP, style))
        return Strip(segments)

    def _row(self, position: int) -> Strip:
        assert self.rows is not None
        row = self.order[position]
        base = self.rich_style
        if not self.rows.value("available", row):
            base = base + self._style("dim")
        if self.rows.keys[row] in self.picked:
            base = base + self._style("picked")
        if position == self.cursor:
            base = base + self._style("cursor")
        segments = []
        for spec in self.columns:
            w = self.widths[spec.key]
            text, style_name = cell(spec.key, self.rows.value(SOURCE.get(spec.key, spec.key), row), self.decimals)
            style = base + self._style(style_name) if style_name else base
            if spec.key == "type" and self.rows.keys[row] in self.marked:
                segments += [Segment(text.ljust(w - 1), style), Segment(MARK, base + self._style("mark"))]
            else:
                segments.append(Segment(text.rjust(w) if spec.right else text.ljust(w), style))
            segments.append(Segment(" " * GAP, base))
        return Strip(segments)
