"""The row order of `pricesync list`: by a column (prices of the kind shown), then by key
(instance type, region, OS). Instance types and families in the dashboard's order
(pricesync.core.natural_key: 'm5.large' < 'm5.xlarge' < 'm5.2xlarge' < 'm10.large'); unknown
values last, also when descending, as the dashboard does.

An all-regions catalog has ~300k entries: sorting them by tuples of their fields takes seconds.
The key order is pricesync.core.key_order (one integer per row; a written-back catalog is
already in it); another column's values are then sorted stably, each distinct one converted once.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from .. import CatalogEntry, entry_unit_price, key_order, kind_price_text, natural_key, savings_pct
from .choosing import UNIT_COLUMNS


def sorted_rows(rows: list[CatalogEntry], col: str, kind: str, descending: bool) -> list[CatalogEntry]:
    """`rows` sorted by `col` (a CatalogEntry field, `price`, `savings` or a unit price), then by key."""
    return list(row_order(rows, col, kind, descending).rows)


class RowOrder(NamedTuple):
    rows: Iterator[CatalogEntry]
    distinct: dict[str, set[str]]  # instance_type, region, os -> their distinct values (a table's widths)


def row_order(rows: list[CatalogEntry], col: str, kind: str, descending: bool) -> RowOrder:
    """`sorted_rows`, yielded: in the default order (by instance type) each row is looked up as
    it is read, so a streamed table starts before the 300k rows are gathered in order."""
    order, distinct = key_order(rows)
    if col == "instance_type":  # the key itself: descending is the reverse
        return RowOrder(map(rows.__getitem__, reversed(order) if descending else order), distinct)
    in_key_order = list(map(rows.__getitem__, order))
    values = _values(in_key_order, col, kind)
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    known.sort(key=itemgetter(0), reverse=descending)  # stable: equal values stay in key order
    unknown = [e for e, v in zip(in_key_order, values, strict=True) if v is None]
    return RowOrder(chain([in_key_order[i] for _, i in known], unknown), distinct)


def _values(rows: list[CatalogEntry], col: str, kind: str) -> list[Any]:
    """Each row's value in `col`: a field, or of the kind shown its price, its saving against
    on demand (`savings`) or a unit price (`per_vcpu`, `per_gib`, `per_gpu`)."""
    if col == "price":
        return _decimals([kind_price_text(e, kind) for e in rows])
    if col == "savings":
        on_demand, price = (
            _decimals([e.price_per_hour for e in rows]),
            _decimals([kind_price_text(e, kind) for e in rows]),
        )
        return list(map(savings_pct, on_demand, price))
    if col in dict(UNIT_COLUMNS):
        return [entry_unit_price(e, col, kind) for e in rows]
    values = list(map(attrgetter(col), rows))
    if col == "family":  # in natural_key order; None stays None: last
        rank = {v: i for i, v in enumerate(sorted(set(values) - {None}, key=natural_key))}
        return [None if v is None else rank[v] for v in values]
    return values


def _decimals(texts: list[str | None]) -> list[Decimal | None]:
    """Price strings as Decimals, each distinct one converted once."""
    decimal = {t: None if t is None else Decimal(t) for t in set(texts)}
    return [decimal[t] for t in texts]
