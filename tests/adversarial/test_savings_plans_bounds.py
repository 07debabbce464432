"""Issue 11, item 6 (the threat half): a Savings Plans rates file is untrusted and bounded like an
offer file. Each attack is served by the fake price server on 127.0.0.1 and the public AWS
source runs in a child capped at 400 MB (RLIMIT_AS): whatever the rates file does, the
on-demand prices of the region land, the failure is one warning line, and its Savings Plans
kinds are absent."""

from __future__ import annotations

import json

import pytest
from pricesync.core.jsonbounds import MAX_DEPTH, MAX_DIGITS

from tests.conftest import EU_WEST_1, US_EAST_1, V1, serve_aws
from tests.fakes import offerdata
from tests.fakes import savingsplandata as sp
from tests.fakes.priceserver import gzip_bomb

MEM_MB = 400
RATES = sp.sp_path("us-east-1")
FETCH = """
import json, logging, re, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
from pricesync.core.http import HttpSettings
from pricesync.core.kinds import SAVINGS_PLAN
from pricesync.core.providers.aws_public import AwsPublicProvider
from pricesync.core.providers.base import FetchRequest

provider = AwsPublicProvider(sys.argv[1], HttpSettings(**json.loads(sys.argv[2])))
result = provider.fetch(FetchRequest(["us-east-1"], {}, kinds=frozenset(SAVINGS_PLAN)))
records = result.regions["us-east-1"].records
print(json.dumps({
    "records": len(records),
    "priced": sum(1 for r in records if r.prices),
    # the peak of this process image (ru_maxrss would count the forking parent's too)
    "rss_mb": int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())[1]) // 1024,
}))
"""


@pytest.fixture
def sp_server(server):
    """us-east-1's offer file and its Savings Plans files (eu-west-1's listed, never asked for)."""
    serve_aws(server, {"us-east-1": (V1, US_EAST_1), "eu-west-1": (V1, EU_WEST_1)})
    sp.serve(
        server,
        {
            "us-east-1": (sp.SP1, offerdata.region_offer("us-east-1", US_EAST_1)),
            "eu-west-1": (sp.SP1, offerdata.region_offer("eu-west-1", EU_WEST_1)),
        },
    )
    return server


def run(limited, server, timeout: float = 120, **http) -> tuple[dict, list[str]]:
    """The fetch in a capped child: its summary and its warning lines."""
    knobs = {"retries": 0, "timeout_s": 10} | http
    p = limited(FETCH, mem_mb=MEM_MB, timeout=timeout, args=(server.url, json.dumps(knobs)))
    assert p.returncode == 0, (p.returncode, p.stderr[-3000:])
    warnings = [line.removeprefix("WARNING ") for line in p.stderr.splitlines() if line.startswith("WARNING ")]
    assert len(p.stderr.splitlines()) == len(warnings), p.stderr[-3000:]  # nothing but whole warning lines
    return json.loads(p.stdout), warnings


def failed_rates(limited, server, **http) -> str:
    """The one warning of a fetch whose rates file fails; the on-demand prices landed without kinds."""
    summary, warnings = run(limited, server, **http)
    assert summary["records"] == len(US_EAST_1) and summary["priced"] == 0, summary
    assert len(warnings) == 1, warnings
    prefix = "us-east-1: Savings Plans rates not added (on-demand prices kept): "
    assert warnings[0].startswith(prefix), warnings
    return warnings[0].removeprefix(prefix)


def big_rates_file(mb: int) -> bytes:
    """The region's real-shaped rates file with `mb` MB of Fargate rates inside its first plan,
    as a real file holds tens of thousands of rates per plan."""
    body = offerdata.dump(sp.rates_file("us-east-1", offerdata.region_offer("us-east-1", US_EAST_1)))
    rate = offerdata.dump(
        {
            "discountedSku": "K4EXFQ5YFQCP98EN",
            "discountedUsageType": "USE1-Fargate-vCPU-Hours:perCPU",
            "discountedOperation": "",
            "discountedServiceCode": "AmazonECS",
            "rateCode": "CSP1YRNOQQQQQQQQ.K4EXFQ5YFQCP98EN",
            "unit": "Hrs",
            "discountedRate": {"price": "0.0302", "currency": "USD"},
        }
    )
    filler = b",".join([rate] * (mb * 1_000_000 // len(rate)))
    head, sep, tail = body.partition(b'"rates" : [')
    return head + sep + filler + b"," + tail


def test_a_large_rates_file_streams_in_bounded_memory(limited, sp_server):
    data = big_rates_file(80)
    sp_server.set(RATES, data)
    summary, warnings = run(limited, sp_server)
    assert warnings == []
    assert summary["records"] == summary["priced"] == len(US_EAST_1)
    assert summary["rss_mb"] < 100, summary  # about 45 MB; a plan's 300,000 rates built whole take ~300 MB


TOO_LARGE = "is larger than the 20 MB limit (decompressed)"


def test_an_oversized_rates_file_stops_at_the_download_bound(limited, sp_server):
    bomb = gzip_bomb(100, b'{"products" : [], "terms" : {"savingsPlan" : [ ')
    sp_server.set(RATES, bomb, headers={"Content-Encoding": "gzip"})
    assert failed_rates(limited, sp_server, max_download_mb=20).endswith(TOO_LARGE)


def test_an_endless_rates_file_stops_at_the_download_bound(limited, sp_server):
    sp_server.set(RATES, b'{"products" : [', endless=b" " * 65536)
    assert failed_rates(limited, sp_server, max_download_mb=20).endswith(TOO_LARGE)


def test_an_over_deep_rates_file_is_refused(limited, sp_server):
    sp_server.set(RATES, b'{"products" : [' + b"[" * 400_000 + b"]" * 400_000 + b"]}")
    line = failed_rates(limited, sp_server)
    assert line.startswith(f"Savings Plans file for us-east-1 nests deeper than {MAX_DEPTH} levels (within bytes ")


def test_a_huge_number_in_a_rates_file_is_refused(limited, sp_server):
    sp_server.set(RATES, b'{"products" : [' + b"7" * 100_000 + b"]}")
    line = failed_rates(limited, sp_server)
    assert line.startswith(f"Savings Plans file for us-east-1 has a number longer than {MAX_DIGITS} digits")


def test_a_stalled_rates_file_stops_at_the_rate_floor(limited, sp_server):
    sp_server.set(RATES, b'{"products" : [' + b" " * 10_000, chunk_size=1, chunk_delay_s=0.05)
    line = failed_rates(limited, sp_server, min_rate_kb_s=16, rate_window_s=1)
    assert line.startswith("download of ") and "stalled: under 16 KB/s for 1 s" in line


def test_a_rate_that_never_ends_is_refused_before_it_fills_the_memory(limited, sp_server):
    """ijson builds each rate whole: one whose list of zeros goes on (two bytes an element, 8 in
    memory) would take the 400 MB child down long before the download bound; it is refused
    a few reads past 1 MiB."""
    head = b'{"products" : [], "terms" : {"savingsPlan" : [{"sku" : "P", "rates" : [{"k" : ['
    sp_server.set(RATES, head, endless=b"0," * 32768)
    line = failed_rates(limited, sp_server, max_download_mb=1000)
    assert line.startswith("Savings Plans file for us-east-1 has one member of 'terms' longer than 1 MiB"), line
