"""Price kinds: the fixed names, AWS's term attributes, and exact amortisation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pricesync.core.kinds import KINDS, RESERVED, SAVINGS_PLAN, SPOT, effective_hourly, reserved_kind, savings_plan_kind


def test_the_fixed_names():
    assert len(RESERVED) == 12 and len(SAVINGS_PLAN) == 12 and SPOT in KINDS and len(KINDS) == 25
    assert RESERVED[0] == "reserved-1yr-standard-no-upfront"
    assert "reserved-3yr-convertible-all-upfront" in RESERVED
    assert "savings-plan-ec2-instance-3yr-partial-upfront" in SAVINGS_PLAN
    kind = KINDS["savings-plan-compute-3yr-partial-upfront"]
    assert (kind.family, kind.years, kind.plan, kind.upfront) == ("savings-plan", 3, "compute", "partial")


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        (("1yr", "standard", "No Upfront"), "reserved-1yr-standard-no-upfront"),
        (("3yr", "convertible", "Partial Upfront"), "reserved-3yr-convertible-partial-upfront"),
        (("3yr", "standard", "All Upfront"), "reserved-3yr-standard-all-upfront"),
        (("5yr", "standard", "All Upfront"), None),  # no such term
        (("1yr", "standard", "Heavy Utilization"), None),  # the old RI offerings
        (("1yr", None, "No Upfront"), None),
    ],
)
def test_reserved_terms_name_their_kind(attrs, kind):
    assert reserved_kind(*attrs) == kind


def test_savings_plans_name_their_kind():
    assert savings_plan_kind("compute", "1yr", "All Upfront") == "savings-plan-compute-1yr-all-upfront"
    assert savings_plan_kind("ec2-instance", "3yr", "No Upfront") == "savings-plan-ec2-instance-3yr-no-upfront"
    assert savings_plan_kind("compute", "2yr", "No Upfront") is None


@pytest.mark.parametrize(
    ("hourly", "upfront", "years", "effective"),
    [
        ("0.0300000000", "263", 1, "0.0600228311"),  # 263 / 8760 = 0.030022831...
        ("0.0210000000", "539", 3, "0.0415098935"),  # 539 / 26280 = 0.020509893...
        ("0.0000000000", "5655", 3, "0.2151826484"),  # All Upfront: the hourly part is a real 0
        ("0.0960000000", "0", 1, "0.0960000000"),
        ("0.00000000005", "0", 0, "0.0000000000"),  # exactly half: to the even digit
        ("0.00000000015", "0", 0, "0.0000000002"),
        ("0.0000000000", "0.00000219", 1, "0.0000000002"),  # 2.5e-10 exactly: half, to the even 2
        ("0.0000000000", "0.00000657", 1, "0.0000000008"),  # 7.5e-10 exactly: half, to the even 8
    ],
)
def test_amortisation_is_exact_and_half_even(hourly, upfront, years, effective):
    assert effective_hourly(hourly, upfront, years) == effective


def test_amortisation_never_rounds_twice():
    """The quotient is exact far beyond the 10th decimal, so the only rounding is the last."""
    upfront = "1234567.8901234567"
    exact = Decimal(upfront) / Decimal(8760 * 3)
    assert effective_hourly("0", upfront, 3) == f"{exact.quantize(Decimal('1E-10')):f}"


def test_a_kind_price_carries_the_source_strings_and_its_exact_effective_rate():
    from pricesync.core.models import KindPrice

    price = KindPrice.of("reserved-3yr-standard-all-upfront", "0.0000000000", "1500")
    assert price.hourly == "0.0000000000" and price.upfront == "1500"
    assert price.effective_hourly == "0.0570776256"  # 1500 / 26280, half-even at 10 places
    assert price.to_json() == {"hourly": "0.0000000000", "upfront": "1500", "effective_hourly": "0.0570776256"}
    spot = KindPrice.of("spot", "0.0312", fetched_at="2026-11-29T10:00:00Z", interruption="<5%", savings_pct=67)
    assert spot.to_json()["effective_hourly"] == "0.0312000000" and spot.to_json()["savings_pct"] == 67
