"""The columnar rows, the row index (filter + sort) against a plain-Python reference, the cell
formats and the CSV export."""

import csv
import io
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pricesync.core import exact_decimal, natural_key
from pricesync.core import parse_query as parse
from pricesync.core.catalog import load_catalog
from pricesync.core.config import load_settings
from pricesync.core.diff import diff_catalog
from pricesync.core.errors import ExportError
from pricesync.core.exports import write_export
from pricesync.core.models import CatalogDiff, PriceChange, PriceRecord
from pricesync.core.sync import SyncEngine
from pricesync.tui.cells import cell, column_layout
from pricesync.tui.export import export_bytes
from pricesync.tui.rowindex import Cancelled, RowIndex, View
from pricesync.tui.rows import Column, Pending, build_rows

from tests.tui.conftest import ADDED, MISSING, PENDING_PRICES, synthetic_catalog, write_pending_data

QUERIES = [
    "",
    "m5",
    "M5 LARGE",
    "xlarge 4",
    "c6",
    "vcpu>=8",
    "vcpu<2",
    "vcpu=16",
    "vcpu!=16",
    "mem>=32",
    "mem<=4",
    "gpu>0",
    "gpu=0",
    "price<0.5",
    "price>=1.5",
    "price=2.5",
    "price!=2.5",
    "month<100",
    "month>=365",
    "region:eu-*",
    "region:eu-*,us-east-1",
    "region!=us-*",
    "os:linux",
    "os!=linux",
    "arch:arm64",
    "family:m5,c6g",
    "type:*.metal",
    "m5 vcpu>=8 mem>=32 gpu>0 price<20 region:eu-* os:linux",
    "nothing-matches-this",
    "vcpu>=x m5",
]
SORTS = ["type", "family", "vcpu", "mem", "gpu", "arch", "region", "os", "price", "month", "pending"]


@pytest.fixture(scope="module")
def sample():
    catalog = synthetic_catalog(3000, seed=7, unknown=0.05)
    entries = catalog.entries
    rnd = random.Random(3)
    changed = tuple(
        PriceChange(
            e.key, e.price_per_hour, f"{Decimal(e.price_per_hour) * Decimal(rnd.choice(('0.9', '1.1', '1.25'))):.10f}"
        )
        for e in entries[::11]
        if e.price_per_hour is not None
    )
    added = (PriceRecord("z9.large", "eu-west-1", "linux", "0.5000000000", "USD", "z9", 2, 8.0, 0, "x86_64"),)
    diff = CatalogDiff(added=added, changed=changed, missing=tuple(e.key for e in entries[5::97]))
    return catalog, diff, build_rows(catalog, diff)


def reference(catalog, diff, view: View) -> list[int]:
    """The same view computed naively from the entries."""
    items = list(catalog.entries) + list(diff.added)
    n_catalog = len(catalog.entries)
    pending: dict = (
        dict.fromkeys(diff.missing, "missing") | {c.key: c for c in diff.changed} | {r.key: r for r in diff.added}
    )

    def value(i, field):
        e = items[i]
        if field in ("price", "month"):
            if i >= n_catalog or e.price_per_hour is None:
                return None
            p = Decimal(e.price_per_hour)
            return p * 730 if field == "month" else p
        attr = {"type": "instance_type", "mem": "memory_gib"}.get(field, field)
        return getattr(e, attr)

    def keep(i):
        e = items[i]
        for w in view.query.words:
            if w.text not in e.instance_type.lower() and w.text not in (e.family or "").lower():
                return False
        if view.regions is not None and e.region not in view.regions:
            return False
        if view.pending_only and e.key not in pending:
            return False
        return all(t.matches(value(i, t.field)) for t in view.query.terms)

    def key(i):
        if view.sort == "pending":
            p = pending.get(items[i].key)
            if p is None:
                return None
            if p == "missing":
                return (3, 0.0, 0)
            if isinstance(p, PriceRecord):
                return (2, 0.0, Decimal(p.price_per_hour))
            return (0, p.pct or 0.0, Decimal(p.new)) if p.old is not None else (1, 0.0, Decimal(p.new))
        v = value(i, view.sort)
        return natural_key(v) if v is not None and view.sort in ("type", "family") else v

    rows = [i for i in range(len(items)) if keep(i)]
    known = sorted((i for i in rows if key(i) is not None), key=key, reverse=view.descending)
    return known + [i for i in rows if key(i) is None]


@pytest.mark.parametrize("text", QUERIES)
def test_filters_match_the_reference(sample, text):
    catalog, diff, rows = sample
    view = View(parse(text))
    assert RowIndex(rows).select(view) == reference(catalog, diff, view)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_sorts_match_the_reference_with_ties_in_catalog_order_and_unknown_values_last(sample, sort, descending):
    catalog, diff, rows = sample
    view = View(parse("vcpu>=2"), sort=sort, descending=descending)
    assert RowIndex(rows).select(view) == reference(catalog, diff, view)


def test_regions_and_pending_only(sample):
    catalog, diff, rows = sample
    index = RowIndex(rows)
    view = View(regions=frozenset({"eu-west-1", "us-east-1"}), pending_only=True)
    got = index.select(view)
    assert got == reference(catalog, diff, view)
    assert got and all(rows.value("region", r) in view.regions and rows.value("pending", r) for r in got)
    assert index.select(View(regions=frozenset())) == []


def test_cached_orders_are_reused_and_cancel_is_honoured(sample):
    _, _, rows = sample
    index = RowIndex(rows)
    assert index.order("price") is index.order("month")
    assert index.order("vcpu", True) is index.order("vcpu", True)
    with pytest.raises(Cancelled):
        index.select(View(parse("m5 vcpu>=8")), cancelled=lambda: True)
    assert index.select(View(), cancelled=lambda: True) == index.order("type")  # nothing to filter


def test_column_codes_switch_from_bytes_to_array_beyond_256_values():
    small = Column(["b", None, "a", "b"])
    assert small.values == ["a", "b", None] and isinstance(small.codes, bytes) and small.known == 2
    assert small.mask(lambda v: v == "b") == b"\1\0\0\1"
    big = Column([*range(300), None])
    assert not isinstance(big.codes, bytes) and big.known == 300 and big.planes is not None
    assert big.mask(lambda v: v is not None and v >= 298) == b"\0" * 298 + b"\1\1\0"


@pytest.mark.parametrize("distinct", [257, 6000, 70_000])
@pytest.mark.parametrize(
    "keep",
    [
        lambda v: v % 7 == 3,  # partial in every group: more than MAX_PARTIAL_GROUPS at 6000+
        lambda v: 200 <= v < 5000,  # whole groups and two partial ones
        lambda v: v % 1000 < 3,  # a few partial groups
        lambda v: False,
        lambda v: True,
    ],
)
def test_masks_of_big_columns_match_a_plain_lookup(distinct, keep):
    rnd = random.Random(distinct)
    raw = [rnd.randrange(distinct) for _ in range(20_000)] + list(range(distinct))
    column = Column(raw)
    assert (column.planes is None) == (distinct > 65536)
    assert column.mask(keep) == bytes(1 if keep(v) else 0 for v in raw)


def test_rows_carry_the_pending_changes_of_the_cache(data_dir):
    write_pending_data(data_dir)
    engine = SyncEngine(load_settings(None, data_dir))
    catalog, cache = load_catalog(data_dir / "aws_catalog.json"), engine.cache("aws")
    rows = build_rows(catalog, diff_catalog(catalog, cache.records, cache.regions))
    by_key = {k: rows.value("pending", i) for i, k in enumerate(rows.keys)}
    up = by_key[("m5.large", "us-east-1", "linux")]
    assert up.kind == "changed" and up.price == Decimal(PENDING_PRICES[("m5.large", "us-east-1", "linux")])
    assert round(up.pct, 2) == 4.17
    assert by_key[("c6g.large", "eu-west-1", "linux")].pct < 0
    assert by_key[MISSING] == Pending("missing")
    assert by_key[ADDED.key] == Pending("added", Decimal(ADDED.price_per_hour))
    assert rows.value("price", rows.keys.index(ADDED.key)) is None
    assert by_key[("m5.xlarge", "us-east-1", "linux")] is None


def test_rows_of_another_kind_from_the_rows_shown_are_those_built_afresh(data_dir):
    """Switching the price kind rebuilds only the kind's columns: the result is the same."""
    from dataclasses import replace

    from pricesync.core.models import KindPrice

    write_pending_data(data_dir)
    engine = SyncEngine(load_settings(None, data_dir))
    catalog, cache = load_catalog(data_dir / "aws_catalog.json"), engine.cache("aws")
    kind = "reserved-1yr-standard-no-upfront"
    entries = tuple(
        replace(e, prices={kind: KindPrice.of(kind, "0.0500000000")}) if i % 2 else e
        for i, e in enumerate(catalog.entries)
    )
    catalog = replace(catalog, entries=entries)
    diff = diff_catalog(catalog, cache.records, cache.regions)
    shown = build_rows(catalog, diff)
    fresh, switched = build_rows(catalog, diff, kind), build_rows(catalog, diff, kind, like=shown)
    assert switched.kind == fresh.kind == kind and switched.keys == fresh.keys
    assert switched.columns.keys() == fresh.columns.keys()
    for name, column in fresh.columns.items():
        got = [switched.value(name, i) for i in range(len(fresh))]
        assert got == [column.value(i) for i in range(len(fresh))], name
    assert any(switched.value("price", i) != shown.value("price", i) for i in range(len(fresh)))


@pytest.mark.parametrize(
    ("key", "value", "text", "style"),
    [
        ("price", Decimal("0.0960000000"), "0.0960", ""),
        ("price", Decimal("0.0123456000"), "0.0123456", ""),
        ("price", Decimal("32.7726000000"), "32.7726", ""),
        ("month", Decimal("0.0960000000"), "70.08", ""),
        ("month", Decimal("1.0000000000"), "730.00", ""),
        ("month", Decimal("0.0123456000"), "9.012288", ""),
        ("price", None, "-", "dim"),
        ("vcpu", None, "?", "dim"),
        ("mem", 0.5, "0.5", ""),
        ("mem", 1152.0, "1152", ""),
        ("pending", None, "", ""),
        ("pending", Pending("changed", Decimal("0.1"), 4.1666), "0.1000 ▲4.2%", "up"),
        ("pending", Pending("changed", Decimal("0.07"), -9.0909), "0.0700 ▼9.1%", "down"),
        ("pending", Pending("new", Decimal("0.096")), "0.0960 new", "new"),
        ("pending", Pending("added", Decimal("26.688")), "26.6880 added", "new"),
        ("pending", Pending("missing"), "missing", "missing"),
    ],
)
def test_cells(key, value, text, style):
    assert cell(key, value) == (text, style)


def test_widths_fit_every_value_and_title(sample):
    _, _, rows = sample
    widths = column_layout(rows).widths
    assert widths["type"] >= max(len(t) for t in rows.columns["type"].values)
    assert widths["gpu"] == len("GPU") + 2


def test_csv_export_has_exact_prices_in_the_order_shown(sample, tmp_path):
    catalog, _diff, rows = sample
    order = RowIndex(rows).select(View(parse("price<1"), sort="price", descending=True))
    path = write_export(
        tmp_path / "out", "aws", datetime(2025, 11, 3, tzinfo=UTC), "csv", export_bytes(rows, order, catalog.entries)
    )
    assert path == tmp_path / "out" / "exports" / "aws-20251103-000000.csv"
    lines = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(lines) == len(order)
    by_key = {e.key: e for e in catalog.entries}
    for line, row in zip(lines, order, strict=True):
        entry = by_key[rows.keys[row]]
        assert line["price_per_hour"] == exact_decimal(entry.price_per_hour)  # exact, no trailing zeros
        assert Decimal(line["price_per_hour"]) == Decimal(entry.price_per_hour)
        assert Decimal(line["price_per_month"]) == Decimal(entry.price_per_hour) * 730
    prices = [Decimal(line["price_per_hour"]) for line in lines]
    assert prices == sorted(prices, reverse=True)


def test_two_exports_of_the_same_second_keep_both(sample, tmp_path):
    catalog, _, rows = sample
    path = tmp_path / "exports" / "aws-20251103-093005.csv"
    at = datetime(2025, 11, 3, 9, 30, 5, tzinfo=UTC)
    first = write_export(tmp_path, "aws", at, "csv", export_bytes(rows, [0], catalog.entries))
    second = write_export(tmp_path, "aws", at, "csv", export_bytes(rows, [1, 2], catalog.entries))
    assert first == path and second == path.with_name("aws-20251103-093005-2.csv")
    assert len(path.read_text().splitlines()) == 2 and len(second.read_text().splitlines()) == 3
    assert {p.name for p in path.parent.iterdir()} == {path.name, second.name}  # no staging file left


def test_export_to_an_unwritable_place_is_one_clear_error(sample, tmp_path):
    catalog, _, rows = sample
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot create"):
        write_export(
            blocker / "sub", "aws", datetime(2025, 11, 3, tzinfo=UTC), "csv", export_bytes(rows, [0], catalog.entries)
        )


def test_the_spec_columns_are_chosen_not_shown_by_default_and_show_the_descriptions():
    from dataclasses import replace

    from pricesync.core.models import Catalog, CatalogEntry, SourceInfo
    from pricesync.core.specs import described_specs
    from pricesync.tui.cells import COLUMN_KEYS, DEFAULT_COLUMNS, SPEC_COLUMNS

    assert set(SPEC_COLUMNS) <= set(COLUMN_KEYS) and not set(SPEC_COLUMNS) & set(DEFAULT_COLUMNS)
    specs = described_specs("No", "AWS Graviton2 Processor", "", "Up to 3.5 GHz", "4x 100 Gigabit", "2 x 900 NVMe SSD")
    entry = CatalogEntry("c6gd.large", "c6gd", "us-east-1", "linux", 2, 4.0, 0, "arm64", "0.0768", specs=specs)
    bare = replace(entry, region="eu-west-1", specs=None)
    rows = build_rows(Catalog("aws", "USD", None, SourceInfo("x"), (entry, bare)))
    shown = {key: cell(key, rows.value(key, 0))[0] for key in SPEC_COLUMNS}
    assert shown == {
        "gen": "previous",
        "processor": "AWS Graviton2 Processor",
        "clock": "3.5",
        "network": "4x 100 Gigabit",
        "storage": "2 x 900 NVMe SSD",
    }
    assert {cell(key, rows.value(key, 1))[0] for key in SPEC_COLUMNS} == {"?"}
    order = RowIndex(rows).order("network", descending=True)  # sorted by Gbit/s, unknown last
    assert order == [0, 1]
