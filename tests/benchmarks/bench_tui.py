"""Benchmark: the dashboard's catalog table (Line-API ScrollView over RowIndex) against Textual's
DataTable on the same synthetic rows.

    python tests/benchmarks/bench_tui.py [--rows 300000] [--datatable-rows 100000] [--keys 40]

Both apps run headless at 160x50 in this process. A probe wrapped around each table's
`render_line` records when a frame showing the new rows is rendered (headless mode skips
only the terminal write, a few KB per frame for either table). Figures:

- first paint: app start -> first frame with rows, the rows already in memory (pricesync:
  the dataset loader is swapped for the prebuilt dataset; DataTable: add_rows in on_mount).
  "settled": the UI is idle again (DataTable measures its cells on idle).
- from disk (pricesync only): the same through core's catalog loader, JSON on disk.
- filter: keystroke -> repaint while typing filter queries one key at a time (keys that leave
  the filter unchanged, e.g. a half-typed term, repaint nothing and are not counted).
  DataTable has no filter: clear + add_rows(the matching rows, computed untimed) -> repaint.
- sort: key -> repaint for each column, first sort of the column (uncached) and again
  (cached); DataTable.sort(column) -> repaint.
- choosing views (median of 3 runs, half the rows with a reserved price): the region pivot of
  every row (core.choose.pivot, and the rows the dashboard's pivot view formats), cheaper
  equivalents of one entry among every row, and the rows built in another price kind: afresh, and
  from the rows shown (what `$` does).
  `--choosing-only` prints just these.

Targets (issue 4): first paint < 1 s, filter < 50 ms median, sort < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import textual  # noqa: E402
from pricesync.core import ON_DEMAND, KindPrice, equivalents, pivot  # noqa: E402
from pricesync.core import parse_query as parse  # noqa: E402
from pricesync.core.config import load_settings  # noqa: E402
from pricesync.core.fileio import atomic_write_json  # noqa: E402
from pricesync.core.sync import SyncEngine  # noqa: E402
from pricesync.tui import app as app_module  # noqa: E402
from pricesync.tui.cells import COLUMN_KEYS, DEFAULT_COLUMNS, cell, shown_columns  # noqa: E402
from pricesync.tui.choosing import pivot_rows  # noqa: E402
from pricesync.tui.dataset import load_dataset  # noqa: E402
from pricesync.tui.rowindex import View  # noqa: E402
from pricesync.tui.rows import build_rows  # noqa: E402
from pricesync.tui.widgets.catalog_table import CatalogTable  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from tests.tui.conftest import FIXED_NOW, synthetic_catalog  # noqa: E402

SIZE = (160, 50)
QUERIES = ["m5.large", "vcpu>=8 mem>=32", "region:eu-* os:linux", "gpu>0 price<5", "c6g arch:arm64"]
KEY_NAMES = {
    " ": "space",
    ">": "greater_than_sign",
    "<": "less_than_sign",
    "=": "equals_sign",
    ":": "colon",
    "*": "asterisk",
    "-": "minus",
    ".": "full_stop",
}
WAIT_S = 600.0


class Probe:
    """Counts `show` calls and records, per rendered line, the time and the show count."""

    def __init__(self, cls: type, show: str) -> None:
        self.shows = 0
        self.frames: list[tuple[float, int]] = []
        render_line, show_method = cls.render_line, getattr(cls, show)
        probe = self

        def probed_render_line(widget, y):
            strip = render_line(widget, y)
            probe.frames.append((time.perf_counter(), probe.shows))
            return strip

        def probed_show(widget, *args, **kwargs):
            result = show_method(widget, *args, **kwargs)
            probe.shows += 1
            return result

        cls.render_line, self._restore = probed_render_line, (cls, render_line, show, show_method)
        setattr(cls, show, probed_show)

    def restore(self) -> None:
        cls, render_line, show, show_method = self._restore
        cls.render_line = render_line
        setattr(cls, show, show_method)

    async def painted(self, shows: int) -> float:
        """Time of the first frame rendered after the `shows`-th show."""
        deadline = time.perf_counter() + WAIT_S
        while True:
            hits = [t for t, n in self.frames if n >= shows]
            if hits:
                return hits[0]
            if time.perf_counter() > deadline:
                raise TimeoutError("no repaint")
            await asyncio.sleep(0.0005)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def line(name: str, samples: list[float]) -> str:
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(len(s) * 0.9))]
    return f"  {name:<46} median {ms(statistics.median(s))}  p90 {ms(p90)}  (n={len(s)})"


# -- pricesync ----------------------------------------------------------------------------------------


async def pricesync_run(settings, dataset, keys: int) -> dict:
    """`dataset` None: loaded from disk through core."""
    probe = Probe(CatalogTable, "show_rows")
    if dataset is not None:
        app_module.load_dataset = lambda engine, provider: dataset
    try:
        app = app_module.PriceSyncApp(settings, scheduler_enabled=False, clock=lambda: FIXED_NOW)
        start = time.perf_counter()
        out: dict = {}
        async with app.run_test(size=SIZE) as pilot:
            out["first_frame"] = await probe.painted(0) - start
            out["first_paint"] = await probe.painted(1) - start
            await pilot.pause()
            out["settled"] = time.perf_counter() - start
            if dataset is not None:
                out["filter"] = await type_queries(pilot, app, probe, keys)
                out["sort"], out["sort_cached"] = await sort_columns(pilot, app, probe)
            await pilot.press("q")
        return out
    finally:
        app_module.load_dataset = load_dataset
        probe.restore()


async def timed_press(pilot, app, probe, *keys) -> float | None:
    """Press keys; the time until the table paints the view they make (None: view unchanged)."""
    view, shows = app.view, probe.shows
    t0 = time.perf_counter()
    await pilot.press(*keys)
    if app.view == view:
        return None
    deadline = time.perf_counter() + WAIT_S
    while probe.shows == shows or not app.view_settled:
        if time.perf_counter() > deadline:
            raise TimeoutError("view never shown")
        await asyncio.sleep(0.0005)
    return await probe.painted(probe.shows) - t0


async def type_queries(pilot, app, probe, keys: int) -> list[float]:
    samples: list[float] = []
    await pilot.press("slash")
    while len(samples) < keys:
        for query in QUERIES:
            for ch in query:
                t = await timed_press(pilot, app, probe, KEY_NAMES.get(ch, ch))
                if t is not None:
                    samples.append(t)
            await timed_press(pilot, app, probe, "ctrl+a", "ctrl+k")
    await pilot.press("enter")
    return samples


async def sort_columns(pilot, app, probe) -> tuple[list[float], list[float]]:
    first, again = [], []
    for samples in (first, again):
        for _ in COLUMN_KEYS:
            t = await timed_press(pilot, app, probe, "greater_than_sign")
            if app.view.sort != "month":  # month sorts by the price column: cached already
                samples.append(t)
    return first, again


# -- DataTable ----------------------------------------------------------------------------------------


class DataTableApp(App):
    def __init__(self, rows: list[tuple]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.keys = table.add_columns(*(c.title for c in shown_columns(DEFAULT_COLUMNS, False)))
        table.add_rows(self.rows)
        table.focus()


def formatted(rows, order) -> list[tuple]:
    specs = shown_columns(DEFAULT_COLUMNS, False)
    columns = [(c.key, rows.columns["price" if c.key == "month" else c.key]) for c in specs]
    return [tuple(cell(key, col.value(r))[0] for key, col in columns) for r in order]


async def datatable_run(rows, index, n: int) -> dict:
    probe = Probe(DataTable, "add_rows")
    try:
        order = index.order("type")[:n]
        data = formatted(rows, order)
        app = DataTableApp(data)
        start = time.perf_counter()
        out: dict = {}
        async with app.run_test(size=SIZE) as pilot:
            out["first_paint"] = await probe.painted(1) - start
            await pilot.pause()
            out["settled"] = time.perf_counter() - start
            table = app.query_one(DataTable)
            keep = set(order)
            out["filter"] = []
            for query in QUERIES:
                matching = [r for r in index.select(View(parse(query))) if r in keep]
                subset = formatted(rows, matching)
                t0 = time.perf_counter()
                table.clear()
                table.add_rows(subset)
                shown = await probe.painted(probe.shows)
                await pilot.pause()
                out["filter"].append(shown - t0)
            table.clear()
            table.add_rows(data)
            await pilot.pause()
            out["sort"] = []
            for key in app.keys[:4]:
                since = len(probe.frames)
                t0 = time.perf_counter()
                table.sort(key)
                while len(probe.frames) == since:
                    await asyncio.sleep(0.0005)
                out["sort"].append(probe.frames[since][0] - t0)
                await pilot.pause()
        return out
    finally:
        probe.restore()


# -- the choosing views ---------------------------------------------------------------------------

RESERVED = "reserved-1yr-standard-no-upfront"


def with_reserved(catalog):
    """Every other priced entry with a reserved price (60 % of on demand)."""
    entries = list(catalog.entries)
    for i in range(0, len(entries), 2):
        e = entries[i]
        if e.price_per_hour is not None:
            price = KindPrice.of(RESERVED, f"{Decimal(e.price_per_hour) * Decimal('0.6'):.10f}")
            entries[i] = replace(e, prices={RESERVED: price})
    return replace(catalog, entries=tuple(entries))


def median_s(work, runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def choosing_figures(catalog) -> None:
    catalog = with_reserved(catalog)
    entries = catalog.entries
    base = next(e for e in entries if e.vcpu and e.memory_gib is not None and RESERVED in e.prices)
    candidates = [("aws", e) for e in entries]
    shown = build_rows(catalog)  # the rows on screen before a switch of the kind
    figures = [
        ("pivot, 3 regions (core)", lambda: pivot(entries, ON_DEMAND, ["us-east-1", "eu-west-1", "ap-south-1"])),
        ("pivot, every region (core)", lambda: pivot(entries, ON_DEMAND)),
        ("pivot, every region, a reserved kind (core)", lambda: pivot(entries, RESERVED)),
        ("pivot view rows (core + formatting)", lambda: pivot_rows(entries, ON_DEMAND, None, "us-east-1", False)),
        ("equivalents, its region", lambda: equivalents(candidates, base)),
        ("equivalents, every region", lambda: equivalents(candidates, base, regions=[])),
        ("equivalents, every region, a reserved kind", lambda: equivalents(candidates, base, RESERVED, regions=[])),
        ("rows built afresh in a kind (build_rows)", lambda: build_rows(catalog, None, RESERVED)),
        ("the kind switched (`$`: the kind's columns only)", lambda: build_rows(catalog, None, RESERVED, shown)),
    ]
    print(f"\nchoosing views, {len(entries):,} rows (median of 3)")
    for name, work in figures:
        print(f"  {name:<46} {ms(median_s(work))}")


# -- main -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--datatable-rows", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=40, help="filter keystrokes to time (at least)")
    parser.add_argument("--choosing-only", action="store_true", help="only the choosing views' figures")
    args = parser.parse_args()

    print(
        f"pricesync-tui table benchmark: {args.rows:,} synthetic rows; Python {platform.python_version()}, "
        f"textual {textual.__version__}, {SIZE[0]}x{SIZE[1]} headless"
    )
    catalog = synthetic_catalog(args.rows, seed=1)
    choosing_figures(catalog)
    if args.choosing_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "config.toml").write_text("")
        settings = load_settings(data / "config.toml", data)
        atomic_write_json(data / "aws_catalog.json", catalog.to_json())
        size_mb = (data / "aws_catalog.json").stat().st_size / 1e6
        t0 = time.perf_counter()
        dataset = load_dataset(SyncEngine(settings), "aws")
        load_s = time.perf_counter() - t0
        rows, index = dataset.index.rows, dataset.index
        print(f"\ncore load + columnar build of the {size_mb:.0f} MB catalog (load_dataset): {load_s:.2f} s")

        ours = asyncio.run(pricesync_run(settings, dataset, args.keys))
        disk = asyncio.run(pricesync_run(settings, None, 0))
    print(f"\npricesync CatalogTable, {args.rows:,} rows")
    print(f"  {'first paint (rows in memory)':<46} {ms(ours['first_paint'])}   settled {ms(ours['settled'])}")
    print(
        f"  {'first paint (catalog JSON from disk)':<46} {ms(disk['first_paint'])}   "
        f"(first frame, 'Loading…': {ms(disk['first_frame']).strip()})"
    )
    print(line("filter keystroke -> repaint", ours["filter"]))
    print(line("sort key -> repaint (first sort of a column)", ours["sort"]))
    print(line("sort key -> repaint (column sorted before)", ours["sort_cached"]))

    n = min(args.datatable_rows, args.rows)
    theirs = asyncio.run(datatable_run(rows, index, n))
    print(f"\nTextual DataTable, {n:,} rows (the same rows, preformatted)")
    print(f"  {'first paint (rows in memory)':<46} {ms(theirs['first_paint'])}   settled {ms(theirs['settled'])}")
    print(line("filter: clear + add_rows -> repaint", theirs["filter"]))
    print(line("sort(column) -> repaint", theirs["sort"]))

    scale = args.rows / n
    sizes = "" if n == args.rows else f"; DataTable at {n:,} rows, pricesync at {args.rows:,}"
    print(f"\nratios (DataTable / pricesync{sizes}):")
    print(
        f"  first paint x{theirs['first_paint'] / ours['first_paint']:.0f}, "
        f"settled x{theirs['settled'] / ours['settled']:.0f}, "
        f"filter x{statistics.median(theirs['filter']) / statistics.median(ours['filter']):.0f}, "
        f"sort x{statistics.median(theirs['sort']) / statistics.median(ours['sort']):.0f}"
        + (f" (DataTable has {1 / scale:.2f} of the rows)" if scale != 1 else "")
    )
    targets = [
        ("first paint < 1 s", ours["first_paint"] < 1.0),
        ("filter median < 50 ms", statistics.median(ours["filter"]) < 0.05),
        ("sort median < 200 ms", statistics.median(ours["sort"]) < 0.2),
    ]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets))


if __name__ == "__main__":
    main()
