"""Benchmark: the streaming AWS offer parser against `json.load` of the same file.

    python tests/benchmarks/bench_aws_parse.py --mb 100 600 [--runs 3]

Generates an offer file of each size in the real shape (tests/fakes/offerdata.py builders: products
with the usual traps, one on-demand term each and the 12 Reserved terms, which make most of the
bytes, as in real files), then parses it in fresh subprocesses so each peak RSS
(getrusage maxrss of the child) belongs to one parser alone: `json.load` (the baseline),
`on-demand` (parse_offer without Reserved kinds: it stops reading once the on-demand terms have
ended) and `reserved` (parse_offer keeping all 12 Reserved kinds). Prints the median seconds and
MB/s over the runs (MB/s of the whole file: the end-to-end rate of a sync), the bytes read, the
highest peak RSS, and each parser's speed against json.load. Targets (issue 11): peak RSS
< 150 MB at any size; `reserved` no slower than json.load; `on-demand` at least 5x json.load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: `tests` is importable from the repository root

from tests.fakes import offerdata  # noqa: E402

REGION = "us-east-1"
RI_TERMS = 12  # standard/convertible x 1yr/3yr x no/partial/all upfront
TRAPS = [  # attribute changes cycled over the SKUs, as in real files (see offerdata.region_offer)
    {},
    {"operation": "RunInstances:CB", "marketoption": "CapacityBlock"},
    {"tenancy": "Dedicated"},
    {"tenancy": "Host"},
    {"capacitystatus": "AllocatedCapacityReservation"},
    {"licenseModel": "Bring your own license"},
    {"preInstalledSw": "SQL Web", "operation": "RunInstances:0200"},
    {"os": "Windows"},
]


def member(key: str, value: object, depth: int) -> str:
    """`"key" : value` at `depth` levels of AWS's two-space, " : " formatting."""
    pad = "  " * depth
    return pad + json.dumps(key) + " : " + offerdata.dump(value).decode().replace("\n", "\n" + pad)


def sku_parts(i: int) -> tuple[str, str, str, str]:
    """SKU i's product, on-demand and Reserved members, already formatted."""
    sku = f"BENCH{i:011d}"
    attrs = dict(TRAPS[i % len(TRAPS)])
    os_name = attrs.pop("os", "Linux")
    itype = f"b{i // len(TRAPS)}.large"
    prod = offerdata.product(sku, "m5.large", REGION, os=os_name, instanceType=itype, **attrs)
    price = f"{0.01 + (i % 997) / 1000:.10f}"
    return (
        member(sku, prod, 2),
        member(sku, offerdata.on_demand(sku, price), 3),
        member(sku, offerdata.reserved(sku, price, count=RI_TERMS), 3),
        sku,
    )


def generate(path: Path, mb: float) -> dict:
    """Write an offer file of about `mb` MB in three streamed passes; return its make-up."""
    sample = sku_parts(0)
    per_sku = sum(len(p) + 2 for p in sample[:3])
    n = max(1, int(mb * 1e6 / per_sku))
    head = offerdata.offer({}, {}, {})
    sizes = {"products": 0, "OnDemand": 0, "Reserved": 0}
    with open(path, "w") as f:
        f.write(
            "{\n"
            + ",\n".join(
                member(k, head[k], 1)
                for k in ("formatVersion", "disclaimer", "offerCode", "version", "publicationDate")
            )
        )
        for section, index, depth, opener in (
            ("products", 0, 1, ",\n"),
            ("OnDemand", 1, 2, ',\n  "terms" : {\n'),
            ("Reserved", 2, 2, ",\n"),
        ):
            f.write(opener + "  " * depth + json.dumps(section) + " : {\n")
            for i in range(n):
                part = sku_parts(i)[index]
                sizes[section] += len(part)
                f.write(part + (",\n" if i < n - 1 else "\n"))
            f.write("  " * depth + "}")
        f.write("\n  },\n" + member("attributesList", {"instanceType": {}}, 1) + "\n}\n")
    total = path.stat().st_size
    return {"skus": n, "bytes": total, "share": {k: v / total for k, v in sizes.items()}}


# -- children: one parse each, report time and peak RSS -----------------------------------------


PARSERS = ("json.load", "on-demand", "reserved")


def child(kind: str, path: str) -> None:
    if kind == "json.load":
        with open(path, "rb") as f:
            started = time.perf_counter()
            doc = json.load(f)
            seconds = time.perf_counter() - started
        count, read = len(doc["products"]), os.path.getsize(path)
    else:
        from pricesync.core.kinds import RESERVED
        from pricesync.core.providers.aws_offer import parse_offer

        with open(path, "rb", buffering=0) as f:
            started = time.perf_counter()
            records, _ = parse_offer(f.read, REGION, kinds=frozenset(RESERVED if kind == "reserved" else ()))
            seconds = time.perf_counter() - started
            read = f.tell()
        count = sum(1 + len(r.prices) for r in records)  # prices: on-demand and each kind
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "count": count, "read": read}))


def run_child(kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def measure(path: Path, runs: int) -> dict[str, dict]:
    mb = path.stat().st_size / 1e6
    results: dict[str, list[dict]] = {kind: [] for kind in PARSERS}
    for _ in range(runs):  # interleaved, so drift on a shared machine hits both alike
        for kind, runs_of_kind in results.items():
            runs_of_kind.append(run_child(kind, path))
    return {
        kind: {
            "seconds": statistics.median(r["seconds"] for r in rs),
            "mb_s": statistics.median(mb / r["seconds"] for r in rs),
            "rss_mb": max(r["rss_mb"] for r in rs),
            "count": rs[0]["count"],
            "read_pct": 100 * rs[0]["read"] / path.stat().st_size,
        }
        for kind, rs in results.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[100.0], help="offer file size(s) to generate, MB")
    ap.add_argument("--runs", type=int, default=3, help="runs per parser (median MB/s)")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where to write the generated files")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    print(
        f"{'file':>9} {'parser':<10} {'s':>7} {'MB/s':>7} {'read':>5} {'peak RSS MB':>12} {'prices':>8} "
        f"{'vs json.load':>12}"
    )
    for mb in args.mb:
        fd, name = tempfile.mkstemp(dir=args.dir, prefix="bench-offer-", suffix=".json")
        os.close(fd)
        path = Path(name)
        try:
            info = generate(path, mb)
            res = measure(path, args.runs)
        finally:
            path.unlink()
        size = f"{info['bytes'] / 1e6:.0f} MB"
        base = res["json.load"]["seconds"]
        for kind, r in res.items():
            print(
                f"{size:>9} {kind:<10} {r['seconds']:>7.2f} {r['mb_s']:>7.1f} {r['read_pct']:>4.0f}% "
                f"{r['rss_mb']:>12.1f} {r['count']:>8} {base / r['seconds']:>11.2f}x"
            )
        share = ", ".join(f"{k} {v:.0%}" for k, v in info["share"].items())
        print(f"{'':>9} ({info['skus']} SKUs; {share}; medians of {args.runs} runs)")


if __name__ == "__main__":
    main()
