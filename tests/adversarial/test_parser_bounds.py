"""Issue 9, item 7 (the parser half): the streaming offer parser stays bounded whatever the input.

ijson's C backend has no depth or token limit. Before: an 80 KB offer of nested brackets took
3.95 GB (400 KB was killed by the kernel), a long string parsed in time quadratic in its
length, and an integer of more than 4,300 digits crashed the process (SIGSEGV). Each attack
runs `parse_offer` in a child capped at 400 MB and 60 s; the input is generated in the child
(streamed where it is large), so the cap measures the parser alone.
"""

from __future__ import annotations

import json
import random

import pytest
from pricesync.core.errors import SourceError
from pricesync.core.jsonbounds import MAX_DEPTH, MAX_DIGITS, MAX_STRING, JsonBounds

from tests.adversarial.conftest import Setup, error_line, route, serve_us_east_1
from tests.conftest import OFFER

PARSE = """
import sys
from pricesync.core.errors import SourceError
from pricesync.core.providers.aws_offer import parse_offer

def chunks():
{body}

stream = chunks()
try:
    parse_offer(lambda n: next(stream, b"") if n else b"", "us-east-1")
    print("parsed")
except SourceError as exc:
    print(exc)
"""


def parse_limited(limited, body: str, timeout: float = 60):
    """`parse_offer` over the chunks that `body` (the inside of a generator) yields, in a capped child."""
    p = limited(PARSE.format(body=body), mem_mb=400, timeout=timeout)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    return p.stdout.strip()


@pytest.mark.parametrize("kb", [80, 400])
def test_nested_brackets(limited, kb):
    n = kb * 1000 // 2
    out = parse_limited(
        limited,
        f"""
    yield b'{{"terms": {{"OnDemand": ' + b'[' * {n} + b']' * {n} + b'}}}}'
""",
    )
    assert out == f"offer file for us-east-1 nests deeper than {MAX_DEPTH} levels (within bytes 0-{2 * n + 25})"


def test_nested_objects_under_products(limited):
    out = parse_limited(
        limited,
        """
    yield b'{"products": ' + b'{"a": ' * 200_000 + b'1' + b'}' * 200_000 + b'}'
""",
    )
    assert out.startswith(f"offer file for us-east-1 nests deeper than {MAX_DEPTH} levels (within bytes ")


def test_closing_brackets_hidden_in_strings_do_not_hide_the_depth(limited):
    # a string full of `]` before real `[`: a count that ignored strings would net out to zero
    out = parse_limited(
        limited,
        """
    yield b'{"products": {"s": "' + b']' * 300_000 + b'", "x": '
    yield b'[' * 300_000
""",
    )
    assert out.startswith(f"offer file for us-east-1 nests deeper than {MAX_DEPTH} levels")


def test_a_long_string(limited):
    # 1 GB streamed in 256 KiB chunks; quadratic re-scanning would take hours
    out = parse_limited(
        limited,
        """
    yield b'{"products": {"SKU": {"sku": "'
    for _ in range(4000):
        yield b'a' * 262144
""",
    )
    start = 30 + 4 * 262144  # the chunk that takes the string past 1 MiB
    assert out == f"offer file for us-east-1 has a string longer than 1 MiB (within bytes {start}-{start + 262144})"


def test_a_long_number_crashed_the_parser(limited):
    # more than 4,300 digits: ijson's C backend died of SIGSEGV (Python's int digit limit)
    doc = b'{"products": {"SKU": {"vcpu": 1' + b"1" * 5000 + b'}}, "terms": {"OnDemand": {}}}'
    out = parse_limited(limited, f"    yield {doc!r}")
    assert out == f"offer file for us-east-1 has a number longer than {MAX_DIGITS} digits (within bytes 0-{len(doc)})"


def test_a_long_number_across_chunks(limited):
    out = parse_limited(
        limited,
        """
    yield b'{"products": {"SKU": {"vcpu": '
    for _ in range(3):
        yield b'1' * 1000
    yield b'}}, "terms": {"OnDemand": {}}}'
""",
    )
    assert out == f"offer file for us-east-1 has a number longer than {MAX_DIGITS} digits (within bytes 2030-3030)"


def test_a_number_beyond_decimal_range(limited):
    doc = b'{"products": {"SKU": {"vcpu": 1e' + b"9" * 40 + b'}}, "terms": {"OnDemand": {}}}'
    out = parse_limited(limited, f"    yield {doc!r}")
    assert out == f"offer file for us-east-1 is not valid JSON (within bytes 0-{len(doc)}: a number out of range)"


def test_the_cli_names_the_file_and_loses_nothing(server, tmp_path):
    serve_us_east_1(server)
    setup = Setup(tmp_path, server)
    assert setup.cli("sync").returncode == 0
    catalog = (setup.data_dir / "aws_catalog.json").read_bytes()
    cache = (setup.data_dir / "aws_cache.json").read_bytes()
    route(server, OFFER).body = b'{"terms": {"OnDemand": ' + b"[" * 80_000
    line = error_line(setup.limited_cli("sync", "--force", "--write-back", mem_mb=400))
    assert (
        line == f"aws sync failed: offer file for us-east-1 nests deeper than {MAX_DEPTH} levels (within bytes 0-80023)"
    )
    assert (setup.data_dir / "aws_catalog.json").read_bytes() == catalog
    assert (setup.data_dir / "aws_cache.json").read_bytes() == cache


# -- the bounds are exact, wherever the chunks break ---------------------------------------------------


def scan(doc: bytes, rng: random.Random) -> None:
    bounds = JsonBounds("doc")
    i = 0
    while i < len(doc):
        n = rng.choice((1, 2, 3, 7, 64, 1000, 70_000))
        bounds.scan(doc[i : i + n])
        i += n


def nested(depth: int, rng: random.Random) -> object:
    """A value exactly `depth` levels deep, with strings full of brackets, quotes and escapes."""
    if depth == 0:
        return rng.choice(['a"[{\\', "]]}}", "\\\\", "x" * 50, 12345, None])
    inner = [nested(depth - 1, rng), "}{][\"'\\u005d"]
    return inner if rng.random() < 0.5 else {'k"]': inner[1], "v": inner[0]}


@pytest.mark.parametrize("seed", range(20))
def test_depth_at_the_limit_passes_one_more_fails(seed):
    rng = random.Random(seed)
    scan(json.dumps(nested(MAX_DEPTH, rng)).encode(), rng)
    with pytest.raises(SourceError, match=f"nests deeper than {MAX_DEPTH} levels"):
        scan(json.dumps(nested(MAX_DEPTH + 1, rng)).encode(), rng)


@pytest.mark.parametrize("seed", range(5))
def test_tokens_at_the_limit_pass_one_more_fails(seed):
    rng = random.Random(seed)
    scan(b'{"s": "' + b"a" * MAX_STRING + b'", "n": ' + b"7" * MAX_DIGITS + b"}", rng)
    with pytest.raises(SourceError, match="has a string longer than 1 MiB"):
        scan(b'{"s": "' + b"a" * (MAX_STRING + 1) + b'"}', rng)
    with pytest.raises(SourceError, match=f"has a number longer than {MAX_DIGITS} digits"):
        scan(b'{"n": ' + b"7" * (MAX_DIGITS + 1) + b"}", rng)


def test_escaped_quotes_do_not_end_a_string():
    # `\\"` ends it, `\"` does not: the brackets after an escaped quote are still inside
    JsonBounds("doc").scan(b'{"s": "\\"' + b"[" * 200 + b'\\\\", "t": 1}')
    with pytest.raises(SourceError, match="nests deeper"):
        JsonBounds("doc").scan(b'{"s": "\\\\"' + b", " + b"[" * 200)


# -- one member of `products` or of a `terms` map, in a layout the C parsers read --------------------


@pytest.mark.parametrize(
    ("opening", "section"),
    [
        (b'{"formatVersion":"v1.0","products":{"HUGE":{', "products"),
        (b'{"products":{},"terms":{"OnDemand":{"HUGE":{"HUGE.JRTCKXETXF":{', "terms"),
    ],
)
def test_a_member_of_tiny_keys_is_refused_before_it_fills_the_memory(limited, opening, section):
    """A compact file (not one member a line) whose product, or one SKU's terms, goes on in
    200 MB of one-byte keys: ijson would build it whole (a dict of 20 million keys is several
    GB); the scan refuses it a chunk past MAX_MEMBER, inside the 400 MB cap."""
    out = parse_limited(
        limited,
        f"""
    yield {opening!r}
    for i in range(800):
        yield b"".join(b'"%x":0,' % (i << 16 | k) for k in range(26_000))
""",
    )
    assert out.startswith(f"offer file for us-east-1 has one member of '{section}' longer than 1 MiB (within bytes "), (
        out
    )


def _member(n: int) -> bytes:
    """One JSON object of exactly `n` bytes of small keys."""
    body = b",".join(b'"%07d":0' % k for k in range((n - 2) // 12))
    return b"{" + body.ljust(n - 2) + b"}"


def _doc(products: bytes, terms: bytes, other: bytes = b'{"big":' + _member(3 << 20) + b"}") -> bytes:
    return (
        b'{"formatVersion":"v1.0","note":"\\"products\\":{","products":{"A":'
        + products
        + b',"B":{}},"attributesList":'
        + other
        + b',"terms":{"OnDemand":{"A":'
        + terms
        + b"}}}"
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_member_bound_holds_wherever_the_chunks_break(seed):
    """Members up to the bound pass and past it (by more than a chunk) fail, however the
    chunks cut the root keys; a big member of a root key not bounded (`attributesList`), and a
    string that spells `"products":{`, count for nothing."""
    from pricesync.core.providers.aws_offer import MAX_MEMBER, PRODUCTS_DEPTH, TERMS_DEPTH

    def scan(doc: bytes) -> None:
        bounds = JsonBounds("doc", {"products": PRODUCTS_DEPTH, "terms": TERMS_DEPTH}, MAX_MEMBER)
        i = 0
        while i < len(doc):
            n = rng.choice((1, 2, 3, 7, 64, 1000, 70_000)) if i < 200 or rng.random() < 0.3 else 70_000
            bounds.scan(doc[i : i + n])
            i += n

    rng = random.Random(seed)
    # the scan knows the depth per chunk: a member is refused between the bound and two chunks past it
    fits, over = _member(MAX_MEMBER), _member(MAX_MEMBER + 2 * 70_000 + 1)
    assert len(fits) == MAX_MEMBER
    scan(_doc(fits, fits))
    with pytest.raises(SourceError, match="has one member of 'products' longer than 1 MiB"):
        scan(_doc(over, fits))
    with pytest.raises(SourceError, match="has one member of 'terms' longer than 1 MiB"):
        scan(_doc(fits, over))
