"""Benchmark: the local side of every command at all-regions scale, against a bare `json.load`.

    python tests/benchmarks/bench_local.py [--entries 300000] [--kinds-share 0.1] [--specs-share 1]
                                           [--runs 5] [--code DIR]

Writes a catalog of `--entries` entries in the real shape (synced prices; a share
`--kinds-share` of the entries also carries 3 Reserved / Savings Plans prices, half of those a
spot price too; a share `--specs-share` the richer specs of core.specs, as an AWS sync writes
them) and a price cache of the same prices, then times, several runs each:

- load the catalog (validation included: `load_catalog`) and write it (`write_catalog`: checks,
  encoding, the atomic write with its fsyncs and `.bak`),
- load and write the price cache (`load_cache`, `write_cache`),
- the diff of a fetch against the catalog (`diff_catalog`), the write-back guard
  (`write_back_problems`, which checks every record with the catalog's rules) and the merge,

each against a bare `json.load` of the same file timed alternately in the same process, so a
busy machine slows both alike. Each timed call ends with the young-generation garbage
collection its allocations bring about (the loaders pause the collector while they build:
the deferred work is counted here). Prints medians of wall and CPU time and their ratio to
`json.load`, and the peak RSS of one load in a fresh process.

`--code DIR` runs the same against another checkout's `core/` (e.g. a `git worktree` of an
older commit): the "before" figures.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import msgspec

FAMILIES = [f"{a}{g}{s}" for a in "cmrtpgix" for g in "34567" for s in ("", "g", "a", "d", "n")]
SIZES = ["nano", "micro", "small", "medium", "large", "xlarge", *(f"{n}xlarge" for n in (2, 4, 8, 12, 16, 24, 32, 48))]
REGIONS = [
    f"{p}-{d}-{i}"
    for p in ("us", "eu", "ap", "sa", "ca", "me", "af")
    for d in ("east", "west", "central", "north", "south")
    for i in (1, 2, 3)
]
OSES = ["linux", "windows", "rhel", "suse", "ubuntu-pro", "rhel-ha"]
SYNCED = "2026-11-29T02:00:00Z"
SPEC_SHAPES = [  # as core.specs.described_specs reads the AWS offer's attributes; one per family
    {
        "current_generation": gen,
        "processor": cpu,
        "processor_features": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
        "clock": f"Up to {ghz} GHz",
        "clock_ghz": ghz,
        "network": f"Up to {gbps:g} Gigabit",
        "network_gbps": gbps,
        "storage": storage,
        "storage_gb": gb,
        "storage_type": kind,
    }
    for gen, cpu, ghz, gbps, (storage, gb, kind) in itertools.product(
        (True, False),
        ("Intel Xeon Platinum 8175", "AWS Graviton2 Processor", "AMD EPYC 7R13 Processor"),
        (2.5, 3.1, 3.5),
        (10.0, 12.5, 25.0, 100.0),
        (("EBS only", 0.0, "ebs-only"), ("2 x 900 NVMe SSD", 1800.0, "nvme")),
    )
]


def use_code(root: Path | None) -> None:
    """Import pricesync.core from `root`/core instead of the installed package."""
    if root is None:
        return
    namespace = types.ModuleType("pricesync")
    namespace.__path__ = []
    sys.modules["pricesync"] = namespace
    spec = importlib.util.spec_from_file_location(
        "pricesync.core", root / "core" / "__init__.py", submodule_search_locations=[str(root / "core")]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pricesync.core"] = module
    spec.loader.exec_module(module)


def entries(n: int, share: float, specs_share: float = 0.0, seed: int = 1) -> list[dict]:
    from pricesync.core.kinds import KINDS, RESERVED, SAVINGS_PLAN, SPOT, effective_hourly

    rnd = random.Random(seed)
    seen: set = set()
    out: list[dict] = []
    while len(out) < n:
        family, size = rnd.choice(FAMILIES), rnd.choice(SIZES)
        key = (f"{family}.{size}", rnd.choice(REGIONS), rnd.choice(OSES))
        if key in seen:
            continue
        seen.add(key)
        vcpu = 2 ** rnd.randint(0, 7)
        cents = rnd.randint(30, 400_000)
        entry = {
            "instance_type": key[0],
            "family": family,
            "region": key[1],
            "os": key[2],
            "vcpu": vcpu,
            "memory_gib": float(vcpu * rnd.choice((2, 4, 8))),
            "gpu": rnd.choice((0, 0, 0, 0, 1, 8)),
            "arch": "arm64" if "g" in family[2:] else "x86_64",
            "price_per_hour": f"{Decimal(cents) / 10_000:.10f}",
            "price_synced_at": SYNCED,
            "available": rnd.random() > 0.01,
        }
        if rnd.random() < share:
            prices = {}
            for kind in sorted(rnd.sample(RESERVED + SAVINGS_PLAN, 3), key=list(KINDS).index):
                hourly = f"{Decimal(cents * 6) / 100_000:.10f}"
                upfront = str(rnd.choice((0, rnd.randint(10, 3000))))
                prices[kind] = {"hourly": hourly, "upfront": upfront}
                prices[kind]["effective_hourly"] = effective_hourly(hourly, upfront, KINDS[kind].years)
            if rnd.random() < 0.5:
                spot = f"{Decimal(cents * 3) / 100_000:.4f}"
                prices[SPOT] = {"hourly": spot, "upfront": "0", "effective_hourly": effective_hourly(spot, "0", 0)}
                prices[SPOT] |= {"fetched_at": SYNCED, "interruption": "<5%", "savings_pct": 70}
            entry["prices"] = prices
        if rnd.random() < specs_share:
            entry["specs"] = SPEC_SHAPES[FAMILIES.index(family) % len(SPEC_SHAPES)]
        out.append(entry)
    return out


def write_files(data: Path, n: int, share: float, specs_share: float = 0.0) -> None:
    rows = entries(n, share, specs_share)
    catalog = {
        "schema_version": 2,
        "provider": "aws",
        "currency": "USD",
        "updated_at": SYNCED,
        "source": {"mode": "bulk", "version": "20261128", "publication_date": None},
        "entries": rows,
    }
    spec_fields = ("family", "vcpu", "memory_gib", "gpu", "arch")
    records = [
        {k: e[k] for k in ("instance_type", "region", "os", "price_per_hour")}
        | {"currency": "USD"}
        | {k: e[k] for k in spec_fields}
        | ({"prices": e["prices"]} if "prices" in e else {})
        | ({"specs": e["specs"]} if "specs" in e else {})
        for e in rows
    ]
    versions = {r: {"version": "20261128", "publication_date": None, "count": 0, "fetched_at": SYNCED} for r in REGIONS}
    cache = {
        "schema_version": 2,
        "provider": "aws",
        "mode": "bulk",
        "fetched_at": SYNCED,
        "source_version": "20261128",
        "regions": versions,
        "records": records,
    }
    for name, doc in (("aws_catalog.json", catalog), ("aws_cache.json", cache)):
        (data / name).write_bytes(msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n")


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    gc.collect(1)  # the young generations' collection the call's allocations bring about
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del result
    return wall, cpu


def json_load(path: Path) -> Callable[[], object]:
    def load() -> object:
        with open(path, "rb") as f:
            return json.load(f)

    return load


def compare(name: str, fn: Callable[[], object], baseline: Path, runs: int) -> None:
    base = json_load(baseline)
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):
        theirs.append(timed(base))
        ours.append(timed(fn))
    ow, oc = (statistics.median(x) for x in zip(*ours, strict=True))
    tw, tc = (statistics.median(x) for x in zip(*theirs, strict=True))
    print(f"| {name} | {ow:.2f} s | {oc:.2f} s | {tw:.2f} s | {tc:.2f} s | {ow / tw:.2f}x | {oc / tc:.2f}x |")


def peak_rss(code: Path | None, what: str, data: Path) -> str:
    """Peak RSS of one `what` in a fresh process (its imports included), in MB."""
    args = [sys.executable, __file__, "--rss", what, "--data", str(data)] + (["--code", str(code)] if code else [])
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def rss_child(what: str, data: Path) -> None:
    from pricesync.core.cache import load_cache
    from pricesync.core.catalog import load_catalog

    loads = {
        "json.load catalog": json_load(data / "aws_catalog.json"),
        "load_catalog": lambda: load_catalog(data / "aws_catalog.json", "aws"),
        "json.load cache": json_load(data / "aws_cache.json"),
        "load_cache": lambda: load_cache(data, "aws"),
    }
    before = high_water_mb()
    result = loads[what]()
    peak = high_water_mb()
    del result
    print(f"{peak:.0f} MB (imports {before:.0f} MB)")


def high_water_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not the parent's before the exec)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--kinds-share", type=float, default=0.1)
    parser.add_argument("--specs-share", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", type=Path, help="a checkout whose core/ to measure instead")
    parser.add_argument("--rss", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_code(args.code)
    if args.rss:
        rss_child(args.rss, args.data)
        return

    from pricesync.core.cache import load_cache, write_cache
    from pricesync.core.catalog import load_catalog, write_catalog
    from pricesync.core.diff import diff_catalog, merge, write_back_problems
    from pricesync.core.models import SourceInfo

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        write_files(data, args.entries, args.kinds_share, args.specs_share)
        catalog_file, cache_file = data / "aws_catalog.json", data / "aws_cache.json"
        print(
            f"{args.entries:,} entries, {catalog_file.stat().st_size / 1e6:.1f} MB catalog, "
            f"{cache_file.stat().st_size / 1e6:.1f} MB cache; code: {args.code or 'this checkout'}; "
            f"medians of {args.runs} runs\n"
        )
        print("| step | wall | CPU | `json.load` wall | `json.load` CPU | ratio wall | ratio CPU |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        catalog = load_catalog(catalog_file, "aws")
        compare("load catalog", lambda: load_catalog(catalog_file, "aws"), catalog_file, args.runs)
        compare("write catalog", lambda: write_catalog(catalog_file, catalog), catalog_file, args.runs)
        cache = load_cache(data, "aws")
        assert cache is not None
        compare("load cache", lambda: load_cache(data, "aws"), cache_file, args.runs)
        compare("write cache", lambda: write_cache(data, cache), cache_file, args.runs)
        regions = sorted(cache.regions)
        diff = diff_catalog(catalog, cache.records, regions)
        compare("diff", lambda: diff_catalog(catalog, cache.records, regions), cache_file, args.runs)
        compare(
            "write-back guard",
            lambda: write_back_problems(catalog, cache.records, regions, diff, 100.0),
            cache_file,
            args.runs,
        )
        source = SourceInfo("bulk", "20261128")
        compare("merge", lambda: merge(catalog, cache.records, diff, now=SYNCED, source=source), cache_file, args.runs)
        print()
        for what in ("json.load catalog", "load_catalog", "json.load cache", "load_cache"):
            print(f"peak RSS, {what}: {peak_rss(args.code, what, data)}")


if __name__ == "__main__":
    main()
