"""Filter + sort over `CatalogRows`: the list of row numbers the table shows, in order.

Sorting is an integer sort of a column's codes, cached per column and direction, so
re-sorting or re-filtering costs one pass over the cached order. Each filter term becomes a row mask
(one byte per row) through a table over the column's distinct values; numeric terms find
their range of sorted values by bisection. Masks are combined on big integers and the
cached order is compressed by the result. Ties keep catalog order and
unknown values (None) sort last, in both directions.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import compress

from pricesync.core import Cancelled, Query, Term, monthly_price

from .rows import CatalogRows, Column

SORT_COLUMN = {"month": "price", "network": "net", "storage": "disk"}  # display column -> the column it sorts by
TERM_COLUMN = {"month": "price"}  # query field -> column; others share the name
TERM_KEY = {"month": monthly_price}
SPARSE = 16  # a filter keeping at most 1/SPARSE of the rows sorts them instead of scanning the order


@dataclass(frozen=True)
class View:
    """Everything that decides which rows show and in what order."""

    query: Query = field(default_factory=Query)
    sort: str = "type"
    descending: bool = False
    regions: frozenset[str] | None = None  # None: every region
    pending_only: bool = False


def numeric_table(column: Column, term: Term) -> bytes:
    """The distinct values passing a numeric term: a range of the sorted values, by bisection."""
    n, known = len(column.values), column.known
    key = TERM_KEY.get(term.field)
    lo = bisect_left(column.values, term.value, 0, known, key=key)
    hi = bisect_right(column.values, term.value, lo, known, key=key)
    start, stop = {"<": (0, lo), "<=": (0, hi), ">": (hi, known), ">=": (lo, known), "=": (lo, hi)}.get(
        term.op, (lo, hi)
    )
    inside = b"\0" * start + b"\1" * (stop - start) + b"\0" * (n - stop)
    if term.op == "!=":
        return bytes(0 if i >= known else 1 - b for i, b in enumerate(inside))
    return inside


def _word_test(word: str) -> Callable[[object], bool]:
    return lambda v: v is not None and word in v.lower()


class RowIndex:
    def __init__(self, rows: CatalogRows) -> None:
        self.rows = rows
        self._orders: dict[tuple[str, bool], list[int]] = {}
        self._positions_cache: dict[tuple[str, bool], list[int]] = {}

    def order(self, sort: str, descending: bool = False) -> list[int]:
        """Every row number sorted by a column (cached; callers must not mutate it)."""
        name = SORT_COLUMN.get(sort, sort)
        cached = self._orders.get((name, descending))
        if cached is not None:
            return cached
        column = self.rows.columns[name]
        order = sorted(range(len(self.rows)), key=column.codes.__getitem__, reverse=descending)  # stable both ways
        if descending and column.known < len(column.values):  # None has the highest code: move it last
            unknown = column.codes.count(column.known)
            order = order[unknown:] + order[:unknown]
        self._orders[(name, descending)] = order
        return order

    def masks(self, view: View) -> Iterator[bytes]:
        cols = self.rows.columns
        for word in view.query.words:
            test = _word_test(word.text)
            either = int.from_bytes(cols["type"].mask(test), "little") | int.from_bytes(
                cols["family"].mask(test), "little"
            )
            yield either.to_bytes(len(self.rows), "little")
        for term in view.query.terms:
            column = cols[TERM_COLUMN.get(term.field, term.field)]
            yield column.mask_from(numeric_table(column, term)) if term.numeric else column.mask(term.matches)
        if view.regions is not None:
            yield cols["region"].mask(view.regions.__contains__)
        if view.pending_only:
            yield cols["pending"].mask(lambda v: v is not None)

    def select(self, view: View, cancelled: Callable[[], bool] = lambda: False) -> list[int]:
        """The rows `view` shows, in its order. Raises Cancelled (a newer view superseded this
        one) when `cancelled()` turns true."""
        order = self.order(view.sort, view.descending)
        acc: int | None = None
        for mask in self.masks(view):
            if cancelled():
                raise Cancelled
            value = int.from_bytes(mask, "little")
            acc = value if acc is None else acc & value
        n = len(self.rows)
        count = n if acc is None else acc.bit_count()
        if count == n:
            return order
        if cancelled():
            raise Cancelled
        keep = acc.to_bytes(n, "little")
        if count <= n // SPARSE:  # few rows: pick them, then sort them by their place in the order
            return sorted(compress(range(n), keep), key=self._positions(view.sort, view.descending).__getitem__)
        return list(compress(order, map(keep.__getitem__, order)))

    def _positions(self, sort: str, descending: bool) -> list[int]:
        """The inverse of `order`: each row's place in it (cached)."""
        key = (SORT_COLUMN.get(sort, sort), descending)
        positions = self._positions_cache.get(key)
        if positions is None:
            order = self.order(sort, descending)
            positions = [0] * len(order)
            deque(map(positions.__setitem__, order, range(len(order))), maxlen=0)  # positions[row] = i, in C
            self._positions_cache[key] = positions
        return positions
