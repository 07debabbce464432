"""core.typeorder: the order people read instance type names in, and a catalog's reading order
(key_order) against its plain definition."""

from __future__ import annotations

import random
from collections import namedtuple

import pytest
from pricesync.core import key_order, natural_key

Row = namedtuple("Row", "instance_type region os")


def test_natural_key_orders_sizes_and_numbers():
    names = [
        "m5.metal",
        "m5.2xlarge",
        "m5.large",
        "m5.xlarge",
        "m5.24xlarge",
        "m5.12xlarge",
        "m10.large",
        "m5.medium",
        "n2-standard-16",
        "n2-standard-8",
        "Standard_D2s_v3",
        "Standard_D16s_v3",
    ]
    assert sorted(names, key=natural_key) == [
        "m5.medium",
        "m5.large",
        "m5.xlarge",
        "m5.2xlarge",
        "m5.12xlarge",
        "m5.24xlarge",
        "m5.metal",
        "m10.large",
        "n2-standard-8",
        "n2-standard-16",
        "Standard_D2s_v3",
        "Standard_D16s_v3",
    ]


def test_names_equal_but_for_case_have_one_order():
    """The dashboard's columns sort a set of names by natural_key: equal keys would leave their
    order to the set's."""
    one, other = ["m5.large", "M5.large", "M5.xlarge"], ["M5.xlarge", "M5.large", "m5.large"]
    assert sorted(one, key=natural_key) == sorted(other, key=natural_key) == ["M5.large", "m5.large", "M5.xlarge"]


def test_a_digit_run_too_long_for_int_still_has_a_place():
    """A family of 5,000 digits (a hand-edited catalog; int() refuses past 4,300) sorts, after
    shorter numbers, instead of raising."""
    huge = "x" + "9" * 5000
    assert sorted([huge, "x10", f"{huge}.5000xlarge", "x2"], key=natural_key)[:3] == ["x2", "x10", huge]


@pytest.mark.parametrize("presorted", [False, True])
def test_key_order_is_sorting_by_the_natural_key_then_region_then_os(presorted):
    rnd = random.Random(3)
    names = ["m5", "m10", "M5", "c6g", "n2-standard", "Standard_D"]
    sizes = ["large", "xlarge", "2xlarge", "12xlarge", "metal", "metal-24xl", "4", "16"]
    rows = list(
        {
            Row(
                f"{rnd.choice(names)}{'-' if s.isdigit() else '.'}{s}",
                rnd.choice(["us-east-1", "eu-west-1", "af-south-1"]),
                rnd.choice(["linux", "windows", "rhel"]),
            )
            for s in (rnd.choice(sizes) for _ in range(2000))
        }
    )

    def reference(rows):
        return sorted(rows, key=lambda r: (natural_key(r.instance_type), *r))

    if presorted:
        rows = reference(rows)
    order, distinct = key_order(rows)
    assert [rows[i] for i in order] == reference(rows)
    assert distinct == {name: {getattr(r, name) for r in rows} for name in Row._fields}
    assert key_order([]) == ([], {"instance_type": set(), "region": set(), "os": set()})
