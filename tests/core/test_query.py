"""The filter language: every term form, the bad ones, and what they match."""

from decimal import Decimal

import pytest
from pricesync.core import parse_query as parse


def only_term(text):
    q = parse(text)
    assert not q.bad and not q.words and len(q.terms) == 1, q
    return q.terms[0]


@pytest.mark.parametrize(
    ("text", "field", "op", "value"),
    [
        ("vcpu>=8", "vcpu", ">=", Decimal(8)),
        ("cpu > 8", "vcpu", ">", Decimal(8)),
        ("mem>=32", "mem", ">=", Decimal(32)),
        ("memory>=32GiB", "mem", ">=", Decimal(32)),
        ("ram<=0.5g", "mem", "<=", Decimal("0.5")),
        ("gpu>0", "gpu", ">", Decimal(0)),
        ("gpus=8", "gpu", "=", Decimal(8)),
        ("gpu:8", "gpu", "=", Decimal(8)),
        ("gpu!=0", "gpu", "!=", Decimal(0)),
        ("price<0.5", "price", "<", Decimal("0.5")),
        ("price<$0.5", "price", "<", Decimal("0.5")),
        ("month<=100", "month", "<=", Decimal(100)),
        ("region:eu-*", "region", "=", ("eu-*",)),
        ("region:EU-*,us-east-1", "region", "=", ("eu-*", "us-east-1")),
        ("region!=us-*", "region", "!=", ("us-*",)),
        ("os:linux", "os", "=", ("linux",)),
        ("arch:arm64", "arch", "=", ("arm64",)),
        ("family==m5", "family", "=", ("m5",)),
        ("type:*.metal", "type", "=", ("*.metal",)),
    ],
)
def test_terms(text, field, op, value):
    term = only_term(text)
    assert (term.field, term.op, term.value) == (field, op, value)


def test_free_words_and_terms_combine_and_keep_their_spans():
    q = parse("M5 large vcpu>=8 region:eu-*")
    assert [w.text for w in q.words] == ["m5", "large"]
    assert [t.field for t in q.terms] == ["vcpu", "region"]
    assert q.terms[0].span == (9, 16)
    assert not q.empty


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("vcpu>=x", "'x' is not a number"),
        ("price<nan", "'nan' is not a number"),
        ("mem>=inf", "'inf' is not a number"),
        ("foo:3", "unknown field 'foo'"),
        ("region>eu", "region takes ':' or '!='"),
        ("vcpu>=", "needs a value"),
    ],
)
def test_bad_terms_are_reported_not_raised_and_filter_nothing(text, reason):
    q = parse(f"m5 {text}")
    assert len(q.bad) == 1
    assert q.bad[0].text == text and reason in q.bad[0].reason
    assert q.bad[0].span == (3, 3 + len(text))
    assert [w.text for w in q.words] == ["m5"] and not q.terms


def test_empty_and_whitespace_queries_filter_nothing():
    assert parse("").empty and parse("   ").empty
    assert parse("vcpu>=x").empty  # only a bad term


def test_equality_ignores_spacing_and_bad_terms():
    assert parse("m5  vcpu>=8") == parse("m5 vcpu >= 8 bogus:1")
    assert parse("m5") != parse("m6")


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("vcpu>=8", 8, True),
        ("vcpu>=8", 4, False),
        ("vcpu>=8", None, False),
        ("mem>=32", 32.0, True),
        ("mem<0.5", 0.5, False),
        ("price<0.5", Decimal("0.4999999999"), True),
        ("price<0.5", Decimal("0.5000000000"), False),
        ("gpu!=0", 8, True),
        ("region:eu-*", "eu-west-1", True),
        ("region:eu-*", "us-east-1", False),
        ("region!=eu-*", "us-east-1", True),
        ("region!=eu-*", None, False),
        ("os:LINUX", "linux", True),
        ("os:linux", "linux-sql", False),
    ],
)
def test_matches(text, value, expected):
    assert only_term(text).matches(value) is expected
