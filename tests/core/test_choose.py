"""core.choose and the filter language on entries: kind prices, unit prices, savings and
break-even, the pivot, cheaper equivalents (the fixture: tests/fakes/choosedata.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from pricesync.core import (
    ON_DEMAND,
    KindPrice,
    NotInCatalog,
    break_even_month,
    entry_unit_price,
    equivalents,
    find_entry,
    kind_lines,
    kind_price,
    parse_query,
    pivot,
    unit_price,
)

from tests.fakes import choosedata

ALL_UPFRONT = "reserved-1yr-standard-all-upfront"


def test_kind_price_is_on_demand_or_the_effective_rate_and_none_when_absent():
    m5 = choosedata.entry("m5.large")
    assert kind_price(m5, ON_DEMAND) == Decimal("0.096")
    assert kind_price(m5, ALL_UPFRONT) == Decimal("0.0570776256")  # 500 / 8760, half-even
    assert kind_price(m5, "reserved-3yr-convertible-no-upfront") is None
    assert kind_price(replace(m5, price_per_hour=None), ON_DEMAND) is None


def test_unit_prices_are_exact_and_unknown_specs_give_none():
    assert entry_unit_price(choosedata.entry("p4d.24xlarge"), "per_gpu") == Decimal("4.0965750000")
    assert entry_unit_price(choosedata.entry("m5.large"), "per_gib") == Decimal("0.0120000000")
    assert entry_unit_price(choosedata.entry("m5.large"), "per_vcpu", ALL_UPFRONT) == Decimal("0.0285388128")
    assert entry_unit_price(choosedata.entry("x9.large"), "per_vcpu") is None  # vCPU unknown
    assert entry_unit_price(choosedata.entry("m5.large"), "per_gpu") is None  # no GPU: no GPU price
    assert unit_price(Decimal("0.1"), 3) == Decimal("0.0333333333")  # rounded at the 10th place only


@pytest.mark.parametrize(
    ("kind", "savings", "month"),
    [
        ("reserved-1yr-standard-no-upfront", "37.5", 1),
        (ALL_UPFRONT, "40.5", 8),  # 7 months save 490.56 < 500, 8 save 560.64
        ("reserved-3yr-standard-partial-upfront", "33.1", 19),
        ("savings-plan-compute-1yr-all-upfront", "-18.9", None),  # needs 15 months of a 12-month term
    ],
)
def test_kind_lines_carry_savings_and_break_even(kind, savings, month):
    lines = {line.kind: line for line in kind_lines(choosedata.entry("m5.large"))}
    assert next(iter(lines)) == ON_DEMAND
    assert lines[kind].savings_pct == Decimal(savings)
    assert lines[kind].break_even_month == month


def test_break_even_is_the_first_month_strictly_below_on_demand():
    price = KindPrice.of(ALL_UPFRONT, "0", "73")  # on demand 0.1: 73 dollars a month
    assert break_even_month(Decimal("0.1"), price, 1) == 2  # month 1: 73 is not below 73
    assert break_even_month(Decimal("0.1"), KindPrice.of(ALL_UPFRONT, "0.1", "0"), 1) is None  # no saving
    assert break_even_month(None, price, 1) is None


def test_pivot_one_row_per_type_and_os_cheapest_region_and_delta():
    regions, rows = pivot(choosedata.entries(), regions=["us-east-1", "eu-west-1"])
    assert regions == ["us-east-1", "eu-west-1"]
    m5 = next(r for r in rows if (r.instance_type, r.os) == ("m5.large", "linux"))
    assert m5.prices == {"us-east-1": Decimal("0.096"), "eu-west-1": Decimal("0.107")}
    assert m5.cheapest_region == "us-east-1"
    assert m5.delta_pct("eu-west-1", "us-east-1") == Decimal("11.5")
    assert m5.to_json()["prices"] == {"us-east-1": "0.0960000000", "eu-west-1": "0.1070000000"}
    t4g = next(r for r in rows if r.instance_type == "t4g.large")
    assert t4g.prices["eu-west-1"] is None and t4g.delta_pct("eu-west-1", "us-east-1") is None


def test_pivot_in_all_regions_and_for_a_kind():
    _, rows = pivot(choosedata.entries(), in_all_regions=True)
    assert {(r.instance_type, r.os) for r in rows} == {("m5.large", "linux"), ("m6a.large", "linux")}
    _, rows = pivot(choosedata.entries(), "reserved-1yr-standard-no-upfront", ["us-east-1"], in_all_regions=True)
    assert {r.instance_type: r.prices["us-east-1"] for r in rows} == {
        "m5.large": Decimal("0.06"),
        "m5.xlarge": Decimal("0.12"),
        "m6a.large": Decimal("0.054"),
    }


def candidates():
    return [("aws", e) for e in choosedata.entries()]


def test_equivalents_cover_the_specs_same_os_and_region_cheaper_ranked():
    found = equivalents(candidates(), choosedata.entry("m5.large"))
    assert [(q.entry.instance_type, q.saving_pct, q.saving_per_month) for q in found] == [
        ("t4g.large", Decimal("30.0"), Decimal("21.024")),
        ("m6a.large", Decimal("10.0"), Decimal("7.008")),
    ]
    same = equivalents(candidates(), choosedata.entry("m5.large"), same_arch=True)
    assert [q.entry.instance_type for q in same] == ["m6a.large"]


def test_equivalents_for_a_kind_and_across_regions():
    base = choosedata.entry("m5.xlarge")
    found = equivalents(candidates(), base, "reserved-1yr-standard-no-upfront")
    assert [q.entry.instance_type for q in found] == []  # nothing else with 16 GiB has that kind
    found = equivalents(candidates(), choosedata.entry("m5.large", "eu-west-1"), regions=[])
    assert [(q.entry.instance_type, q.entry.region) for q in found] == [
        ("t4g.large", "us-east-1"),
        ("m6a.large", "us-east-1"),
        ("m5.large", "us-east-1"),
        ("m6a.large", "eu-west-1"),
    ]
    with pytest.raises(NotInCatalog, match="has no reserved-3yr-standard-all-upfront price"):
        equivalents(candidates(), base, "reserved-3yr-standard-all-upfront")


def test_find_entry_names_what_is_missing():
    assert find_entry(choosedata.entries(), "m5.large", None, "linux").region == "us-east-1"  # the cheapest
    with pytest.raises(NotInCatalog, match=r"^m9\.large \(linux\) in us-east-1 is not in the catalog$"):
        find_entry(choosedata.entries(), "m9.large", "us-east-1", "linux")


@pytest.mark.parametrize(
    ("text", "kind", "types"),
    [
        ("per_vcpu<0.04 mem>=8", ON_DEMAND, {"t4g.large", "c6g.xlarge"}),
        ("per_gpu<5", ON_DEMAND, {"p4d.24xlarge"}),
        ("per_gib<=0.0108", ON_DEMAND, {"m6a.large", "t4g.large", "x9.large"}),
        ("price<0.059", ALL_UPFRONT, {"m5.large"}),  # the kind shown, not on demand
        ("month<50 m5", "reserved-1yr-standard-no-upfront", {"m5.large"}),
        ("large region:us-* os:linux arch!=arm64 vcpu=2", ON_DEMAND, {"m5.large", "m6a.large"}),
    ],
)
def test_the_filter_language_on_entries(text, kind, types):
    query = parse_query(text)
    assert not query.bad
    assert {e.instance_type for e in choosedata.entries() if query.matches(e, kind)} == types
