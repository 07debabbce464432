"""The catalog as columns, dictionary-encoded, for a table of hundreds of thousands of rows.

Each column keeps its distinct values sorted (`values`) and, per row, the rank of the row's
value (`codes`: bytes when there are at most 256 distinct values, else an array). Sorting
by a column is then an integer sort, a filter term is evaluated once per distinct value and
turned into a row mask by a table lookup (`bytes.translate` for small columns), and a
column's display width is the widest distinct value. No Textual here.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import repeat
from operator import and_, attrgetter, rshift

from pricesync.core import (
    ON_DEMAND,
    SPEC_FIELDS,
    Catalog,
    CatalogDiff,
    Key,
    Specs,
    kind_price,
    natural_key,
    savings_pct,
    spec_value,
    unit_price,
)

MAX_PARTIAL_GROUPS = 16  # beyond this many, one table lookup per row is as quick


class Column:
    """One column: sorted distinct `values` (None last) and per-row `codes` into them.

    Codes are bytes for up to 256 values. Beyond that they are an array, plus two byte
    planes (high and low byte) up to 65,536 values, so a mask still costs a few
    `bytes.translate` calls: one for the groups of 256 codes wholly in or out, two for each
    group partly in (a word matching some instance types, the two ends of a price range).
    """

    __slots__ = ("codes", "planes", "values")

    def __init__(self, raw: Sequence[Hashable], key: Callable | None = None) -> None:
        distinct = set(raw)
        unknown = None in distinct
        distinct.discard(None)
        self.values: list = sorted(distinct, key=key)
        if unknown:
            self.values.append(None)
        rank = {v: i for i, v in enumerate(self.values)}
        codes = map(rank.__getitem__, raw)
        self.codes: bytes | array = bytes(codes) if len(self.values) <= 256 else array("I", codes)
        self.planes: tuple[bytes, bytes] | None = None
        if 256 < len(self.values) <= 65536:
            self.planes = (bytes(map(rshift, self.codes, repeat(8))), bytes(map(and_, self.codes, repeat(255))))

    @property
    def known(self) -> int:
        """How many values are not None: codes below this have a value."""
        return len(self.values) - 1 if self.values and self.values[-1] is None else len(self.values)

    def value(self, row: int):
        return self.values[self.codes[row]]

    def mask(self, keep: Callable[[object], bool]) -> bytes:
        """One byte per row, 1 where `keep(value)`; `keep` runs once per distinct value."""
        return self.mask_from(bytes(1 if keep(v) else 0 for v in self.values))

    def mask_from(self, table: bytes) -> bytes:
        """One byte per row: `table[code]` (a byte per distinct value)."""
        if isinstance(self.codes, bytes):
            return self.codes.translate(table.ljust(256, b"\0"))
        if self.planes is not None:
            mask = self._mask_by_planes(table, *self.planes)
            if mask is not None:
                return mask
        return bytes(map(table.__getitem__, self.codes))

    def _mask_by_planes(self, table: bytes, high: bytes, low: bytes) -> bytes | None:
        whole = bytearray(256)
        partial = []
        for group in range(0, len(table), 256):
            chunk = table[group : group + 256]
            ones = chunk.count(1)
            if ones == len(chunk):
                whole[group >> 8] = 1
            elif ones:
                partial.append((group >> 8, chunk))
        if len(partial) > MAX_PARTIAL_GROUPS:
            return None
        acc = int.from_bytes(high.translate(whole), "little") if any(whole) else 0
        for group, chunk in partial:
            one = bytearray(256)
            one[group] = 1
            acc |= int.from_bytes(high.translate(one), "little") & int.from_bytes(
                low.translate(chunk.ljust(256, b"\0")), "little"
            )
        return acc.to_bytes(len(high), "little")


KINDS = ("changed", "new", "added", "missing")  # sort order of the pending column


@dataclass(frozen=True, slots=True)
class Pending:
    """What the price cache would change in one row on write-back."""

    kind: str  # changed: a new price; new: the catalog has none yet; added: not in the catalog; missing
    price: Decimal | None = None  # the cached price
    pct: float | None = None  # change against the catalog price, for "changed"

    def sort_key(self) -> tuple:
        return (KINDS.index(self.kind), self.pct or 0.0, self.price or 0)


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """Every row the table can show: the catalog entries, then cache-only (added) records."""

    keys: list[Key]
    columns: dict[str, Column]  # type family vcpu mem gpu arch region os price per_* savings pending available synced,
    # and the specs' (pricesync.core.SPEC_FIELDS: gen processor clock net network disk storage)
    kind: str = ON_DEMAND  # the price kind of price, month, the unit prices and savings
    specs: Sequence[Specs | None] = ()  # each row's specs, as the catalog has them (the CSV export's)

    def __len__(self) -> int:
        return len(self.keys)

    def value(self, column: str, row: int):
        return self.columns[column].value(row)


def _pending(diff: CatalogDiff | None) -> dict[Key, Pending]:
    if diff is None:
        return {}
    out: dict[Key, Pending] = {k: Pending("missing") for k in diff.missing}
    for c in diff.changed:
        new = Decimal(c.new)
        out[c.key] = Pending("new", new) if c.old is None else Pending("changed", new, c.pct)
    for r in diff.added:
        out[r.key] = Pending("added", Decimal(r.price_per_hour))
    return out


def _divided(prices: list, amounts: list) -> list:
    """Unit prices row by row, each distinct (price, amount) pair computed once."""
    return list(map(cache(unit_price), prices, amounts))


def build_rows(
    catalog: Catalog, diff: CatalogDiff | None = None, kind: str = ON_DEMAND, like: CatalogRows | None = None
) -> CatalogRows:
    """Columns for `catalog`, prices of `kind`, with the cache's pending changes (`diff`) beside
    each row. `like`: the rows of the same catalog and diff in another kind, whose columns that
    do not depend on the kind are taken as they are (switching the kind of 300k rows)."""
    entries: list = list(catalog.entries)
    if diff is not None:
        entries.extend(diff.added)  # PriceRecord has the same spec fields as CatalogEntry
    in_catalog = len(catalog.entries)

    def col(name: str) -> list:
        return list(map(attrgetter(name), entries))

    if like is not None:
        return CatalogRows(like.keys, like.columns | _kind_columns(entries, in_catalog, kind, col), kind, like.specs)
    keys = list(map(attrgetter("instance_type", "region", "os"), entries))
    pending = _pending(diff)
    columns = {
        "type": Column(col("instance_type"), natural_key),
        "family": Column(col("family"), natural_key),
        "vcpu": Column(col("vcpu")),
        "mem": Column(col("memory_gib")),
        "gpu": Column(col("gpu")),
        "arch": Column(col("arch")),
        "region": Column(col("region")),
        "os": Column(col("os")),
        **_kind_columns(entries, in_catalog, kind, col),
        "pending": Column([pending.get(k) for k in keys], Pending.sort_key),
        "available": Column([i >= in_catalog or e.available for i, e in enumerate(entries)]),
        "synced": Column([e.price_synced_at if i < in_catalog else None for i, e in enumerate(entries)]),
    }
    specs = col("specs")
    for name in SPEC_FIELDS:
        columns[name] = Column([spec_value(s, name) for s in specs])
    return CatalogRows(keys, columns, kind, specs)


def _kind_columns(entries: list, in_catalog: int, kind: str, col: Callable[[str], list]) -> dict[str, Column]:
    """The columns of the price kind shown: its price, the unit prices and the saving."""
    on_demand = [
        None if i >= in_catalog or e.price_per_hour is None else Decimal(e.price_per_hour)
        for i, e in enumerate(entries)
    ]
    prices = on_demand if kind == ON_DEMAND else [kind_price(e, kind) for e in entries[:in_catalog]]
    prices += [None] * (len(entries) - len(prices))
    savings = [None] * len(entries) if kind == ON_DEMAND else list(map(savings_pct, on_demand, prices))
    return {
        "price": Column(prices),
        "per_vcpu": Column(_divided(prices, col("vcpu"))),
        "per_gib": Column(_divided(prices, col("memory_gib"))),
        "per_gpu": Column(_divided(prices, col("gpu"))),
        "savings": Column(savings),
    }
