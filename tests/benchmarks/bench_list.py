"""Benchmark: `pricesync list` as a table against `--csv`, on a synthetic all-regions catalog.

    python tests/benchmarks/bench_list.py [--rows 300000] [--runs 5]

Two catalogs of `--rows` entries: as a write-back leaves one (its entries in reading order,
pricesync.core.key_order) and shuffled (a catalog pricesync did not write: the bundled one,
a hand-made one). For each, the median of the runs of:

- in a fresh process (as `pricesync list` is one), after the catalog is loaded: the first
  table row written and the last (the sort, the column widths, the rows; the output dropped).
  Target (issue 14): the first row within a second of the load;
- a real `pricesync list` subprocess, its stdout a pipe (every column, as a script or `less`
  gets it): the first table row (or CSV record) read from the pipe, and the exit;
- the same process loading the catalog and exiting (`list --region none`, no rows; its one
  filter is a pass over the rows too), which the others include.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pricesync.core import ON_DEMAND, key_order  # noqa: E402
from pricesync.core.catalog import load_catalog, write_catalog  # noqa: E402
from pricesync.core.cli.listing import _print_table  # noqa: E402
from pricesync.core.cli.listsort import row_order  # noqa: E402

from tests.tui.conftest import synthetic_catalog  # noqa: E402

CLI = [sys.executable, "-m", "pricesync.core.cli", "list"]
HEADER_LINES = 3  # the title, the column names, the rule


class _FirstRow(io.TextIOBase):
    """A stdout that notes when the first table row is written and drops everything."""

    def __init__(self) -> None:
        self.lines = 0
        self.first: float | None = None

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if self.first is None and self.lines > HEADER_LINES:
            self.first = time.perf_counter()
        return len(text)


def after_load(path: Path, runs: int) -> tuple[float, float]:
    """Median seconds from a loaded catalog to the first table row, and to the last, timed in
    a child that loads only the catalog: this process holds the synthetic one too, which
    slows every pass over the rows by a tenth or more."""
    out = subprocess.run(
        [sys.executable, __file__, "--after-load", str(path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    first, total = map(float, out.stdout.split())
    return first, total


def in_process(path: Path, runs: int) -> tuple[float, float]:
    """`after_load`, in this process."""
    catalog = load_catalog(path)
    gc.freeze()  # as `pricesync list` does
    gc.disable()
    firsts, totals = [], []
    for _ in range(runs):
        out = _FirstRow()
        start = time.perf_counter()
        with redirect_stdout(out):
            kept = list(catalog.entries)
            _print_table(catalog, kept, row_order(kept, "instance_type", ON_DEMAND, False), ON_DEMAND, False, False)
        totals.append(time.perf_counter() - start)
        firsts.append((out.first or time.perf_counter()) - start)
    gc.enable()
    gc.unfreeze()
    return statistics.median(firsts), statistics.median(totals)


def run(data: Path, *args: str, header_lines: int) -> tuple[float, float]:
    """(seconds to the first row, seconds to exit) of one `pricesync list`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICESYNC_")} | {
        "PRICESYNC_DATA_DIR": str(data),
        "PRICESYNC_CONFIG": str(data / "none.toml"),
    }
    start = time.perf_counter()
    with subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env) as p:
        assert p.stdout is not None
        first = None
        for i, _ in enumerate(p.stdout):
            if i == header_lines and first is None:
                first = time.perf_counter() - start
        p.wait()
        total = time.perf_counter() - start
    return (first if first is not None else total), total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--after-load", type=Path, help=argparse.SUPPRESS)  # the child of `after_load`
    args = parser.parse_args()
    if args.after_load:
        print(*in_process(args.after_load, args.runs))
        return
    catalog = synthetic_catalog(args.rows)
    entries = list(catalog.entries)
    shuffled = random.Random(1).sample(entries, len(entries))
    with tempfile.TemporaryDirectory() as tmp:
        for name, order in (
            ("written back", [entries[i] for i in key_order(entries).positions]),
            ("shuffled", shuffled),
        ):
            data = Path(tmp) / name.replace(" ", "-")
            data.mkdir()
            path = data / "aws_catalog.json"
            write_catalog(path, replace(catalog, entries=tuple(order)))
            size_mb = path.stat().st_size / 1e6
            print(f"{args.rows:,} entries, {size_mb:.0f} MB catalog, {name}; median of {args.runs} runs", flush=True)
            first, total = after_load(path, args.runs)
            print(f"  {'after the load':<20} first row {first:6.2f} s   all rows {total:6.2f} s", flush=True)
            cases = {
                "load only (no rows)": (("--region", "none"), None),
                "table": ((), HEADER_LINES),
                "--csv": (("--csv",), 1),
            }
            for case, (extra, header) in cases.items():
                if case == "--csv" and name == "shuffled":
                    continue  # the order changes the sort, not what the CSV costs
                results = [run(data, *extra, header_lines=header or 10**9) for _ in range(args.runs)]
                firsts, totals = zip(*results, strict=True)
                shown = "" if header is None else f"first row {statistics.median(firsts):6.2f} s   "
                print(f"  {case:<20} {shown}total {statistics.median(totals):6.2f} s", flush=True)


if __name__ == "__main__":
    main()
