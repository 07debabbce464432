"""core.numbers: the one number format of every client, and core.formats.when."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pricesync.core import (
    CSV_COLUMNS,
    column_decimals,
    count_text,
    csv_fields,
    exact_decimal,
    hourly_text,
    money_width,
    monthly_decimals,
    monthly_text,
    pct_text,
    price_column,
    when,
)


def test_prices_for_people_have_fixed_decimals_separators_and_lose_no_digit():
    assert hourly_text("0.0960000000") == "0.0960"
    assert hourly_text(Decimal("1234.5")) == "1,234.5000"
    assert hourly_text("0.0123456") == "0.0123456"  # never rounded away
    assert hourly_text("0.1", 6) == "0.100000"  # a column's decimals, aligned on the point
    assert hourly_text(None) == "-"
    assert monthly_text(Decimal("70.08")) == "70.08"
    assert monthly_text(Decimal("12345.6")) == "12,345.60"


def test_a_column_has_the_decimals_of_its_most_precise_value():
    assert column_decimals([Decimal("0.1"), None, "0.123456"], 4) == 6
    assert column_decimals([], 4) == 4
    assert column_decimals(["7E+2"], 2) == 2


def test_machines_get_the_exact_decimal():
    assert exact_decimal("0.0960000000") == "0.096"
    assert exact_decimal(Decimal("7E+2")) == "700"
    assert exact_decimal("0.1234567890123") == "0.1234567890123"
    assert exact_decimal("0E-10") == "0"


def test_percent_has_one_precision_and_a_tiny_change_is_not_zero():
    assert pct_text(4.1666) == "+4.2%"
    assert pct_text(-9.0909) == "-9.1%"
    assert pct_text(0.01) == "+<0.1%"
    assert pct_text(None) == ""
    assert pct_text(-4.1666, sign=False) == "4.2%"


def test_counts_have_separators():
    assert count_text(1234567) == "1,234,567"


def test_csv_fields_in_the_shared_order_and_encoding():
    row = dict(zip(CSV_COLUMNS, csv_fields({"price_per_hour": "0.0960000000", "available": False}), strict=True))
    assert row["price_per_hour"] == "0.096" and row["available"] == "false" and row["instance_type"] is None
    assert csv_fields({"pending_change_pct": 4.166666})[CSV_COLUMNS.index("pending_change_pct")] == "4.1667"


def test_when_is_minutes_in_utc_and_neutralises_what_is_not_a_time():
    assert when("2025-11-03T09:30:05Z") == "2025-11-03 09:30"
    assert when("2025-11-03T10:30:05+01:00") == "2025-11-03 09:30"
    assert when("2025-11-03T0\x1b[2J:00Z") == "2025-11-03 0\\x1b[2J"
    assert when(None) == ""


def test_a_price_column_is_sized_from_its_strings():
    prices = ["0.0960000000", "32.7726000000", "1234.5", "0.0123456000"]
    needed, whole = price_column(prices)
    assert (needed, whole) == (7, 4)
    assert money_width(whole, needed) == len(hourly_text("1234.5", needed)) == len("1,234.5000000")
    assert money_width(0, 4) == len("0.0000") and money_width(7, 2) == len("1,234,567.00")


@pytest.mark.parametrize(
    "prices",
    [
        ["100", "0.0000000000", "7.50"],
        ["10", "2"],
        ["0.0000000000"],
        [],
        [f"{n}.{d:010d}" for n, d in ((0, 0), (12, 1), (3, 1_000_000_000), (0, 5_000))],
        ["007.100", "0.0010"],
    ],
)
def test_price_column_is_the_plain_definition(prices):
    """Against the definition: the most decimals any price needs once its trailing zeros are
    dropped, and the longest text before the point."""
    assert price_column(prices) == (
        column_decimals(prices, 0),
        max((len(p.partition(".")[0]) for p in prices), default=0),
    )


def test_a_monthly_cost_needs_one_decimal_fewer_than_its_price():
    for price in ("0.0123456", "0.0001", "0.0009", "32.7726", "0.5", "7"):
        needed = price_column([price])[0]
        assert monthly_decimals(needed) == column_decimals([Decimal(price) * 730], 0)
