"""Benchmark: `pricesync list` as a table against `--csv`, on a synthetic all-regions catalog.

    python tests/benchmarks/bench_list.py [--rows 300000] [--runs 5]

Each run is a real `pricesync list` subprocess reading a catalog of `--rows` entries from a
temp data dir, its stdout a pipe (every column, as a script or `less` gets it). Figures, the
median of the runs:

- first row: start -> the first table row (or CSV record) read from the pipe;
- total: start -> the process has exited;
- and the time the same process takes to load the catalog and exit (`list --region none`, no
  rows), which both of the others include.

Target (issue 14): the table starts printing within a second of the catalog being loaded, and
costs about what `--csv` does (it is streamed with widths from the distinct values).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pricesync.core.catalog import write_catalog  # noqa: E402

from tests.tui.conftest import synthetic_catalog  # noqa: E402

CLI = [sys.executable, "-m", "pricesync.core.cli", "list"]


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        write_catalog(data / "aws_catalog.json", synthetic_catalog(args.rows))
        size_mb = (data / "aws_catalog.json").stat().st_size / 1e6
        print(f"{args.rows:,} entries, {size_mb:.0f} MB catalog; median of {args.runs} runs", flush=True)
        cases = {
            "load only (no rows)": (("--region", "none"), 10**9),
            "table": ((), 3),  # the title, the header, the rule
            "--csv": (("--csv",), 1),
        }
        for name, (extra, header) in cases.items():
            firsts, totals = zip(*(run(data, *extra, header_lines=header) for _ in range(args.runs)), strict=True)
            first = "" if header == 10**9 else f"first row {statistics.median(firsts):6.2f} s   "
            print(f"{name:<20} {first}total {statistics.median(totals):6.2f} s", flush=True)


if __name__ == "__main__":
    main()
