"""`pricesync list`'s row order (core/cli/listsort.py) against the plain definition: tuples of
the fields (instance types and families in natural_key order), unknown values last, for every
sortable column, both directions, and prices of a kind, on a random catalog with unknown specs
and prices."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from pricesync.core import (
    ON_DEMAND,
    CatalogEntry,
    KindPrice,
    entry_unit_price,
    kind_price,
    kind_price_text,
    natural_key,
    savings_pct,
)
from pricesync.core.cli.listsort import sorted_rows

KIND = "reserved-1yr-standard-no-upfront"
COLUMNS = ["instance_type", "family", "region", "os", "vcpu", "memory_gib", "gpu", "price", "savings", "per_vcpu"]


def catalog(n: int = 600, seed: int = 7) -> list[CatalogEntry]:
    rnd = random.Random(seed)
    rows = {}
    while len(rows) < n:
        family = rnd.choice(["m5", "m10", "c6g", "r7i", "M5", None])
        size = rnd.choice(["large", "xlarge", "metal", "metal-24xl", *(f"{k}xlarge" for k in range(2, 40))])
        itype = f"{family or 'x9'}.{size}" if rnd.random() < 0.9 else f"n2-standard-{rnd.randint(1, 96)}"
        price = rnd.choice([None, f"{rnd.randint(1, 999) / 1000:.10f}", "0.1000000000"])
        prices = {KIND: KindPrice.of(KIND, price)} if price and rnd.random() < 0.5 else {}
        entry = CatalogEntry(
            instance_type=itype,
            family=family,
            region=rnd.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
            os=rnd.choice(["linux", "windows"]),
            vcpu=rnd.choice([None, 2, 4, 8]),
            memory_gib=rnd.choice([None, 4.0, 8.0, 16.0]),
            gpu=rnd.choice([None, 0, 1]),
            arch="x86_64",
            price_per_hour=price,
            prices=prices,
        )
        rows[entry.key] = entry
    return list(rows.values())


def reference(rows: list[CatalogEntry], col: str, kind: str, descending: bool) -> list[CatalogEntry]:
    def value(e: CatalogEntry):
        if col == "price":
            return kind_price(e, kind)
        if col == "savings":
            return savings_pct(kind_price(e, ON_DEMAND), kind_price(e, kind))
        if col == "per_vcpu":
            return entry_unit_price(e, col, kind)
        if col == "family_name":
            return None if e.family is None else (natural_key(e.family), e.family)
        return getattr(e, col)

    def key(e: CatalogEntry):
        return (natural_key(e.instance_type), e.instance_type, e.region, e.os)

    if col == "instance_type":
        by = sorted(rows, key=key)
        return by[::-1] if descending else by
    if col == "family":
        return reference(rows, "family_name", kind, descending)
    by_key = sorted(rows, key=key)
    known = sorted((e for e in by_key if value(e) is not None), key=value, reverse=descending)
    return known + [e for e in by_key if value(e) is None]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("col", COLUMNS)
@pytest.mark.parametrize("kind", [ON_DEMAND, KIND])
def test_the_order_is_the_plain_definition(col, kind, descending):
    rows = catalog()
    assert [e.key for e in sorted_rows(rows, col, kind, descending)] == [
        e.key for e in reference(rows, col, kind, descending)
    ]


def test_unknown_prices_come_last_in_both_directions():
    rows = catalog()
    for descending in (False, True):
        prices = [kind_price_text(e, KIND) for e in sorted_rows(rows, "price", KIND, descending)]
        known = [p for p in prices if p is not None]
        assert prices[: len(known)] == known and all(p is None for p in prices[len(known) :])
        assert [Decimal(p) for p in known] == sorted(map(Decimal, known), reverse=descending)
