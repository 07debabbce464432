"""The order people read instance type names in: sizes by size ('m5.large' < 'm5.xlarge' <
'm5.2xlarge' < 'm5.metal'), numbers by value ('n2-standard-8' < 'n2-standard-16'). The
dashboard and `pricesync list` sort the instance type and family columns by it, and a catalog's
rows by their key (`key_order`). A leaf module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import add, attrgetter
from typing import NamedTuple

# digit runs are compared by value; int() refuses a run of more than 4,300 digits (a family
# name in a hand-edited catalog is not bounded), so a longer run is taken in parts
_DIGITS = re.compile(r"(\d{1,4000})")
_SIZES = {"nano": 1, "micro": 2, "small": 3, "medium": 4, "large": 5, "xlarge": 10}
_NXLARGE = re.compile(r"^(\d{1,4000})xlarge$")
_METAL = 100_000


def natural_key(text: str) -> tuple[tuple[str | int, ...], int, str, str]:
    """'n2-standard-16' after 'n2-standard-8'; 'm5.large' < 'm5.xlarge' < 'm5.2xlarge' < 'm5.metal'.
    Names equal but for case ('M5.large', 'm5.large') go by their text: no two keys are equal."""
    family, dot, size = text.partition(".")
    parts: list[str | int] = list(_DIGITS.split(family.lower()))
    parts[1::2] = map(int, parts[1::2])  # the digit runs, by value
    family_key = tuple(parts)
    if not dot:
        return (family_key, 0, "", text)
    m = _NXLARGE.match(size)
    rank = _SIZES.get(size) or (10 * int(m[1]) if m else _METAL if size.startswith("metal") else _METAL - 1)
    return (family_key, rank, size, text)


class KeyOrder(NamedTuple):
    positions: list[int]  # of the rows, in reading order
    distinct: dict[str, set[str]]  # instance_type, region, os -> the distinct values met


KEY_FIELDS = ("instance_type", "region", "os")


def key_order(rows: Sequence[object]) -> KeyOrder:
    """How a person reads a catalog: by instance type (`natural_key`), then region, then OS.
    The catalog is written back in this order, and it is the dashboard's and `pricesync list`'s
    default. Each distinct value is ranked once and each row's key is one small integer, so 300k
    rows are ordered in a few passes in C; on rows already in this order the sort only checks."""
    columns = {name: list(map(attrgetter(name), rows)) for name in KEY_FIELDS}
    distinct = {name: set(values) for name, values in columns.items()}
    scale, codes = 1, []  # the key: (type rank x regions + region rank) x OSes + OS rank
    for name in reversed(KEY_FIELDS):
        ordered = sorted(distinct[name], key=natural_key if name == "instance_type" else None)
        codes.append(map({v: i * scale for i, v in enumerate(ordered)}.__getitem__, columns[name]))
        scale *= len(ordered)
    keys = list(map(add, map(add, codes[0], codes[1]), codes[2]))
    return KeyOrder(sorted(range(len(rows)), key=keys.__getitem__), distinct)
