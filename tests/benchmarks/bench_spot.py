"""Benchmark: the sync time of the AWS spot feeds (spot.json and the Spot Instance Advisor).

    python tests/benchmarks/bench_spot.py [--regions 33] [--types 900] [--runs 5]

Generates both feeds at a real size (the real spot.json: ~2.7 MB, 30-odd regions; the real
advisor: ~0.9 MB, 33 regions, up to ~900 Linux and ~600 Windows types in a region; a tenth of
the prices "N/A*", some in exponent form) with tests/fakes/spotdata.py's builders, serves them
from tests/fakes/priceserver.py on 127.0.0.1, and times aws_spot.SpotFeeds.fetch for every
region: whole (both feeds downloaded and parsed), and unchanged (two 304s). Prints medians
over the runs, the feeds' sizes, the prices kept, and `json.loads` of both feeds as a
reference that a busy machine slows alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: `tests` is importable from the repository root

from pricesync.core.http import HttpSettings  # noqa: E402
from pricesync.core.providers.aws_spot import SpotFeeds  # noqa: E402

from tests.fakes import spotdata  # noqa: E402
from tests.fakes.priceserver import Running  # noqa: E402

FAMILIES = ("m5", "m6i", "m7i", "c5", "c6i", "c7g", "r5", "r6g", "t3", "g5", "p4d", "x2iedn", "i4i", "z1d")
SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "metal")


def feeds(n_regions: int, n_types: int) -> tuple[dict, dict, list[str]]:
    regions = [f"zz-bench-{i}" for i in range(n_regions)]
    types = [f"{f}{v}.{s}" for v in ("", "a", "d", "n", "dn") for f in FAMILIES for s in SIZES][:n_types]
    prices: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    advice: dict[tuple[str, str, str], tuple[int, int]] = {}
    for r, region in enumerate(regions):
        for t, itype in enumerate(types):
            linux = "N/A*" if (r + t) % 10 == 0 else ("9.0E-4" if t % 97 == 0 else f"0.{1000 + (r * 7 + t) % 9000:04d}")
            windows = f"0.{2000 + (r + t * 3) % 7000:04d}" if t % 3 else None
            prices[(region, itype)] = (linux, windows)
            advice[(region, "Linux", itype)] = ((r + t) % 90, t % 5)
            if windows:
                advice[(region, "Windows", itype)] = ((r * 3 + t) % 90, (t + 1) % 5)
    return spotdata.price_feed(prices), spotdata.advisor_feed(advice), regions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=33)
    parser.add_argument("--types", type=int, default=900)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    price_doc, advisor_doc, regions = feeds(args.regions, args.types)
    running = Running()
    server = running.state
    price_body, advisor_body = spotdata.dump(price_doc), spotdata.dump(advisor_doc)
    server.set(spotdata.PRICE_PATH, price_body, etag='"p"')
    server.set(spotdata.ADVISOR_PATH, advisor_body, etag='"a"')
    spot = SpotFeeds(server.url + spotdata.PRICE_PATH, server.url + spotdata.ADVISOR_PATH, HttpSettings())
    cancel = threading.Event()
    whole, unchanged, reference = [], [], []
    kept = 0
    try:
        for _ in range(args.runs):
            started = time.perf_counter()
            json.loads(price_body), json.loads(advisor_body)
            reference.append(time.perf_counter() - started)
            started = time.perf_counter()
            overlay, validators = spot.fetch(regions, {}, cancel)
            whole.append(time.perf_counter() - started)
            assert overlay is not None
            kept = len(overlay.prices)
            started = time.perf_counter()
            again, _ = spot.fetch(regions, validators, cancel)
            unchanged.append(time.perf_counter() - started)
            assert again is None
    finally:
        spot.close()
        running.stop()
    print(f"spot.json {len(price_body) / 1e6:.1f} MB, advisor {len(advisor_body) / 1e6:.1f} MB")
    print(f"{args.regions} regions x {args.types} types: {kept:,} spot prices kept")
    print(f"whole (download + parse both feeds): median {statistics.median(whole):.2f} s over {args.runs} runs")
    print(f"unchanged (two 304s): median {statistics.median(unchanged) * 1000:.1f} ms")
    ref = statistics.median(reference)
    print(f"reference: json.loads of both feeds (in memory, no download) median {ref:.2f} s;")
    print(f"  the whole sync takes {statistics.median(whole) / ref:.1f}x that (a loaded machine slows both alike)")


if __name__ == "__main__":
    main()
