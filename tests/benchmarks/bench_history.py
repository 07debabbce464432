"""Benchmark: the size of a year of price history, and how fast it is written and read.

    python tests/benchmarks/bench_history.py [--keys 80000] [--days 365] [--per-year 2 12]

Simulates one year of daily syncs of an all-regions AWS catalog (`--keys` prices: ~800
instance types x ~25 regions x 4 OS) into a fresh `history.sqlite3` per scenario. In each
scenario every price changes `--per-year` times a year on average (AWS moves a family a few
times a year: 2 is realistic, 12 pessimistic) and a few new instance types appear each month.
Prints the file size (after a WAL checkpoint), the median time to record one run, to list
the last 7 days of changes, the newest 100 (`pricesync changes`) and one entry's history, and
the ratio of the size against the baseline measured in the same run: keeping a full copy of
every price for every day.
Also times `cache_changes` (the diff of two caches) at `--keys` records.

    python tests/benchmarks/bench_history.py --spot [--spot-keys 30000] [--spot-moving 0.03] [--spot-days 365]

Sizes a year of hourly spot syncs of all regions instead: `--spot-keys` spot prices per run,
`--spot-moving` of them moving each hour (AWS spot prices move a few times a day per pool since
2017's smoothed pricing). Runs it twice: with thinning off (the file size, then the live size
after one `thin`), and with thinning on as the syncs run it (once a day). Prints the change
rows, the size and the median times of one entry's spot history and `pricesync changes`.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from pricesync.core import history
from pricesync.core.cache import PriceCache
from pricesync.core.history import CacheChange, HistoryStore, cache_changes
from pricesync.core.models import PriceRecord, SyncResult

OSES = ("linux", "windows", "rhel", "suse")
NEW_TYPES_PER_MONTH = 5


def keys(n: int) -> list[tuple[str, str, str]]:
    regions = [f"region-{i:02d}" for i in range(25)]
    per_type = len(regions) * len(OSES)
    return [(f"fam{t // 8}.size{t % 8}", r, o) for t in range(n // per_type + 1) for r in regions for o in OSES][:n]


def day(i: int) -> str:
    return (datetime(2025, 1, 1, 2, tzinfo=UTC) + timedelta(days=i)).isoformat().replace("+00:00", "Z")


def size_of(path: Path) -> int:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def run(result_dir: Path, all_keys: list, days: int, per_year: float, rng: random.Random) -> dict:
    store = HistoryStore(result_dir)
    prices = {k: rng.randint(5, 50000) for k in all_keys}  # in 1/10000 $
    record_s, rows = [], 0
    for d in range(days):
        changes = []
        for key in rng.sample(all_keys, int(rng.random() * 2 * len(all_keys) * per_year / 365)):
            old = prices[key]
            prices[key] = max(1, round(old * rng.uniform(0.85, 1.15)))
            changes.append((key, f"{old / 10000:.10f}", f"{prices[key] / 10000:.10f}"))
        if d % 30 == 29:
            changes += [
                ((f"new{d}.t{t}", r, o), None, "1.0000000000")
                for t in range(NEW_TYPES_PER_MONTH)
                for r in ("region-00", "region-01")
                for o in OSES
            ]
        result = SyncResult(
            provider="aws",
            mode="public",
            status="updated",
            regions=("region-00",),
            records=len(all_keys),
            changed=len(changes),
            source_version=f"v{d}",
        )
        t0 = time.perf_counter()
        store.record(result, changes, day(d))
        record_s.append(time.perf_counter() - t0)
        rows += len(changes)
    since = day(days - 7)
    query_s = [_timed(lambda: store.changes(since=since)) for _ in range(5)]
    newest_s = [_timed(lambda: store.changes(limit=101)) for _ in range(5)]
    sample = rng.sample(all_keys, 20)
    entry_s = [_timed(partial(store.entry_history, key)) for key in sample]
    return {
        "rows": rows,
        "bytes": size_of(store.path),
        "record_ms": 1000 * statistics.median(record_s),
        "week_ms": 1000 * statistics.median(query_s),
        "newest_ms": 1000 * statistics.median(newest_s),
        "entry_ms": 1000 * statistics.median(entry_s),
    }


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def full_copy_bytes_per_day(result_dir: Path, all_keys: list) -> int:
    """Baseline: the same schema holding one full copy of every price (what one day would cost
    if the history kept copies instead of changes)."""
    store = HistoryStore(result_dir)
    store.record(
        SyncResult(provider="aws", mode="public", status="updated"),
        [(k, "0.0960000000", "0.0960000000") for k in all_keys],
        day(0),
    )
    return size_of(store.path)


def diff_ms(all_keys: list) -> float:
    before = tuple(PriceRecord(*k, "0.0960000000", "USD") for k in all_keys)
    after = tuple(
        PriceRecord(*k, "0.0990000000" if i % 50 == 0 else "0.0960000000", "USD") for i, k in enumerate(all_keys)
    )
    regions = {k[1]: {} for k in all_keys}
    a, b = (PriceCache("aws", "public", "t", "v", regions, recs) for recs in (before, after))
    return 1000 * statistics.median(_timed(lambda: cache_changes(a, b)) for _ in range(5))


def hour(i: int) -> str:
    return (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=i)).isoformat().replace("+00:00", "Z")


def live_bytes(path: Path) -> int:
    """The pages in use: thinning frees pages that later writes reuse, it does not shrink the file."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (
            db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size")
        )
    return (pages - free) * size


def spot_queries(store: HistoryStore, sample: list, last: str) -> dict:
    week = last[:10]
    return {
        "entry_ms": 1000
        * statistics.median(_timed(partial(store.entry_history, k, price_kind="spot")) for k in sample),
        "newest_ms": 1000 * statistics.median(_timed(lambda: store.changes(limit=101)) for _ in range(5)),
        "day_ms": 1000 * statistics.median(_timed(lambda: store.changes(since=week)) for _ in range(3)),
    }


def spot_year(result_dir: Path, n: int, moving: float, days: int, thinning: bool, seed: int) -> dict:
    rng = random.Random(seed)
    all_keys = keys(n)
    store = HistoryStore(result_dir)
    prices = {k: rng.randint(5, 50000) for k in all_keys}
    kinds, history.THINNED_KINDS = history.THINNED_KINDS, history.THINNED_KINDS if thinning else ()
    rows, record_s = 0, []
    try:
        for h in range(days * 24):
            changes = []
            for key in rng.sample(all_keys, int(rng.random() * 2 * n * moving)):
                old = prices[key]
                prices[key] = max(1, round(old * rng.uniform(0.95, 1.05)))
                changes.append(CacheChange(key, f"{old / 10000:.4f}", f"{prices[key] / 10000:.4f}", "spot"))
            result = SyncResult(provider="aws", mode="public", status="updated", records=n, changed=len(changes))
            t0 = time.perf_counter()
            store.record(result, changes, hour(h))
            record_s.append(time.perf_counter() - t0)
            rows += len(changes)
    finally:
        history.THINNED_KINDS = kinds
    sample = rng.sample(all_keys, 20)
    last = hour(days * 24 - 1)
    out = {"rows": rows, "bytes": size_of(store.path), "record_ms": 1000 * statistics.median(record_s)}
    out |= {"kept": _count(store.path), **spot_queries(store, sample, last)}
    if not thinning:
        with sqlite3.connect(store.path) as db:  # as a file from before thinning: never thinned
            db.execute("DELETE FROM meta WHERE key = 'thinned_on'")
        t0 = time.perf_counter()
        store.thin(hour(days * 24 + 24))
        out |= {
            "thin_s": time.perf_counter() - t0,
            "live_after": live_bytes(store.path),
            "kept_after": _count(store.path),
        }
        out |= {f"after_{k}": v for k, v in spot_queries(store, sample, last).items()}
    return out


def _count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM change").fetchone()[0]


def _spot_line(r: dict, prefix: str = "") -> str:
    return (
        f"one entry's spot history {r[prefix + 'entry_ms']:.1f} ms, "
        f"newest 100 changes {r[prefix + 'newest_ms']:.1f} ms, "
        f"changes of the last day {r[prefix + 'day_ms']:.0f} ms"
    )


def spot_main(args: argparse.Namespace) -> None:
    print(
        f"{args.spot_keys} spot prices, {args.spot_moving:.0%} moving per hour, {args.spot_days * 24} hourly syncs "
        f"({args.spot_days} days); medians"
    )
    with tempfile.TemporaryDirectory() as tmp:
        r = spot_year(Path(tmp) / "off", args.spot_keys, args.spot_moving, args.spot_days, False, args.seed)
        print(
            f"  thinning off: {r['rows']} change rows, {r['bytes'] / 1e6:.1f} MB; "
            f"record a run {r['record_ms']:.1f} ms; " + _spot_line(r)
        )
        print(
            f"  after one thin ({r['thin_s']:.1f} s): {r['kept_after']} rows, {r['live_after'] / 1e6:.1f} MB in use; "
            + _spot_line(r, "after_")
        )
        r = spot_year(Path(tmp) / "on", args.spot_keys, args.spot_moving, args.spot_days, True, args.seed)
        print(
            f"  thinning on (daily, as syncs run): {r['kept']} rows, {r['bytes'] / 1e6:.1f} MB file; "
            f"record a run {r['record_ms']:.1f} ms; " + _spot_line(r)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=80_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-year", type=float, nargs="+", default=[2, 12])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spot", action="store_true", help="size a year of hourly spot syncs instead")
    ap.add_argument("--spot-keys", type=int, default=30_000)
    ap.add_argument("--spot-moving", type=float, default=0.03)
    ap.add_argument("--spot-days", type=int, default=365)
    args = ap.parse_args()
    if args.spot:
        spot_main(args)
        return
    all_keys = keys(args.keys)
    with tempfile.TemporaryDirectory() as tmp:
        copy = full_copy_bytes_per_day(Path(tmp) / "baseline", all_keys)
        print(
            f"{args.keys} prices, {args.days} daily syncs; baseline full copy: {copy / 1e6:.1f} MB/day, "
            f"{copy * args.days / 1e9:.2f} GB/year"
        )
        for per_year in args.per_year:
            r = run(Path(tmp) / f"s{per_year}", all_keys, args.days, per_year, random.Random(args.seed))
            print(
                f"  {per_year:g} changes/price/year: {r['rows']} change rows, {r['bytes'] / 1e6:.1f} MB "
                f"({r['bytes'] / max(r['rows'], 1):.0f} B/row; "
                f"{copy * args.days / r['bytes']:.0f}x smaller than copies); "
                f"record a run {r['record_ms']:.1f} ms, last 7 days {r['week_ms']:.1f} ms, "
                f"newest 100 {r['newest_ms']:.1f} ms, "
                f"one entry {r['entry_ms']:.2f} ms (medians)"
            )
    print(f"cache_changes over {args.keys} records (2% moved): {diff_ms(all_keys):.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
