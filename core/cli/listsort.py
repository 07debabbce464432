"""The row order of `pricesync list`: by a column (prices of the kind shown), then by key
(instance type, region, OS); instance types in size order within a family (large < xlarge <
2xlarge); unknown values last, also when descending, as the dashboard does.

An all-regions catalog has ~300k entries: sorting them by tuples of their fields takes seconds.
Here each distinct value is ranked once and the rows are sorted by integers in stable passes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any

from .. import CatalogEntry, entry_unit_price, kind_price_text, savings_pct
from .choosing import UNIT_COLUMNS


def sorted_rows(rows: list[CatalogEntry], col: str, kind: str, descending: bool) -> list[CatalogEntry]:
    """`rows` sorted by `col` (a CatalogEntry field, `price`, `savings` or a unit price), then by key."""
    if col == "instance_type":  # size order: (family, vCPUs, GiB, type), unknown as "" and 0
        spec = list(map(_SPEC, rows))
        rank = {raw: i for i, raw in enumerate(sorted(set(spec), key=_size_order))}
        first = list(map(rank.__getitem__, spec))
    else:
        first = _rank_column([e.instance_type for e in rows])
    regions, oses = _rank_column([e.region for e in rows]), _rank_column([e.os for e in rows])
    width_r, width_o = max(regions, default=0) + 1, max(oses, default=0) + 1
    by_key = [(t * width_r + r) * width_o + o for t, r, o in zip(first, regions, oses, strict=True)]
    order = sorted(range(len(rows)), key=by_key.__getitem__)
    if col == "instance_type":  # every key is unique and known: descending is the reverse
        return [rows[i] for i in (reversed(order) if descending else order)]
    values = _values(rows, col, kind)
    known = [(values[i], i) for i in order if values[i] is not None]
    known.sort(key=itemgetter(0), reverse=descending)  # stable: equal values stay in key order
    return [rows[i] for _, i in known] + [rows[i] for i in order if values[i] is None]


_SPEC = attrgetter("family", "vcpu", "memory_gib", "instance_type")


def _size_order(spec: tuple[str | None, int | None, float | None, str]) -> tuple[str, float, float, str]:
    family, vcpu, memory, itype = spec
    return family or "", vcpu or 0, memory or 0, itype


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
    return [getattr(e, col) for e in rows]


def _decimals(texts: list[str | None]) -> list[Decimal | None]:
    """Price strings as Decimals, each distinct one converted once."""
    decimal = {t: None if t is None else Decimal(t) for t in set(texts)}
    return [decimal[t] for t in texts]


def _ranks(values: Iterable[Any]) -> dict[Any, int]:
    return {v: i for i, v in enumerate(sorted(set(values)))}


def _rank_column(values: list[Hashable]) -> list[int]:
    rank: Callable[[Hashable], int] = _ranks(values).__getitem__
    return list(map(rank, values))
