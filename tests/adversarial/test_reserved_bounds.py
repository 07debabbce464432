"""Issue 11 item 5: reading the Reserved terms keeps the parser's memory bounded.

Each case runs `parse_offer` with every Reserved kind in a child capped at 400 MB of address
space; the offer is generated in the child, streamed, so the numbers belong to the parser: a
large offer in the real layout stays under 150 MB peak RSS, and a Reserved member that never
ends a line (a file laid out to make the line-cut path buffer it) is refused at its bound.
"""

from __future__ import annotations

import json

from pricesync.core.providers.aws_offer import MAX_MEMBER

PARSE = """
import json, resource, sys
from pricesync.core.errors import SourceError
from pricesync.core.kinds import RESERVED
from pricesync.core.providers.aws_offer import parse_offer
from tests.fakes import offerdata

def member(key, value, depth):
    pad = "  " * depth
    return (pad + json.dumps(key) + " : " + offerdata.dump(value).decode().replace("\\n", "\\n" + pad)).encode()

def chunks():
{body}

stream = chunks()
try:
    records, skipped = parse_offer(lambda n: next(stream, b"") if n else b"", "us-east-1", kinds=frozenset(RESERVED))
    print(json.dumps({{"records": len(records), "kinds": sorted({{len(r.prices) for r in records}}),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
except SourceError as exc:
    print(exc)
"""

# an offer of `n` SKUs in AWS's layout, one SKU's parts formatted once and renamed for the others;
# `first` yields whatever comes before the first Reserved member
OFFER = """
    n = {n}
    prod = offerdata.product("BENCH00000000000", "m5.large", "us-east-1")
    parts = [
        member("BENCH00000000000", prod, 2),
        member("BENCH00000000000", offerdata.on_demand("BENCH00000000000", "0.0960000000"), 3),
        member("BENCH00000000000", offerdata.reserved("BENCH00000000000", "0.0960000000", count=12), 3),
    ]
    openers = (
        b'{{\\n  "products" : {{\\n',
        b'  }},\\n  "terms" : {{\\n    "OnDemand" : {{\\n',
        b'    }},\\n    "Reserved" : {{\\n',
    )
    for section, part in enumerate(parts):
        yield openers[section]
        if section == 2:
{first}
        for i in range(n):
            name = b"BENCH%011d" % i
            member_bytes = part.replace(b"BENCH00000000000", name).replace(b"m5.large", b"b%d.large" % i)
            yield member_bytes + (b",\\n" if i < n - 1 else b"\\n")
    yield b'    }}\\n  }},\\n  "attributesList" : {{ }}\\n}}\\n'
"""


def run(limited, body: str) -> str:
    p = limited(PARSE.format(body=body), mem_mb=400, timeout=600)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    return p.stdout.strip()


def test_a_large_offer_with_every_reserved_kind_stays_under_150_mb(limited):
    out = json.loads(run(limited, OFFER.format(n=8000, first="            pass")))  # ~100 MB, 89% Reserved
    assert out["records"] == 8000 and out["kinds"] == [12]
    assert out["rss_mb"] < 150, out


def test_a_reserved_member_without_line_breaks_is_refused_at_its_bound(limited):
    # one SKU whose terms go on for twice MAX_MEMBER on one line, before the real ones
    first = (
        '            yield b\'      "HUGE000000000000" : { "t" : [\'\n'
        f"            for _ in range({2 * MAX_MEMBER // (1 << 20)}):\n"
        "                yield b'1,' * (1 << 19)\n"
        "            yield b'1] },\\n'"
    )
    out = run(limited, OFFER.format(n=3, first=first))
    assert out.startswith("offer file for us-east-1 has Reserved terms of one SKU longer than 1 MiB"), out
