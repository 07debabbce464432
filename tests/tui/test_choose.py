"""The dashboard's choosing keys with Pilot on the choosing fixture (tests/fakes/choosedata.py):
the price kind, a row's every kind, the pivot, marks and compare, cheaper equivalents, columns."""

from __future__ import annotations

import json

import pytest
from pricesync.tui.choosing import CHEAPEST
from pricesync.tui.columns_state import FILE_NAME
from pricesync.tui.screens_choose import ColumnChooser, CompareScreen, DetailScreen, EquivalentsScreen, PivotScreen
from textual.widgets import DataTable

from tests.fakes import choosedata
from tests.tui.conftest import SIZE, loaded, make_app, screen_text, status, wait_for

NO_UPFRONT = "reserved-1yr-standard-no-upfront"


@pytest.fixture
def kind_settings(settings):
    choosedata.write_catalog(settings.data_dir / "aws_catalog.json")
    return settings


def keys(text: str) -> list[str]:
    names = {" ": "space", ":": "colon", "<": "less_than_sign", ".": "full_stop", "-": "minus", "*": "asterisk"}
    return [names.get(c, c) for c in text]


async def type_filter(pilot, text: str) -> None:
    app = pilot.app
    await pilot.press("slash", "ctrl+a", "ctrl+k", *keys(text), "enter")
    await wait_for(pilot, lambda: app.view_settled, "the filter")


async def open_view(pilot, key: str, screen_type: type):
    """Press `key` and wait until a `screen_type` shows rows; returns the screen."""
    app = pilot.app
    await pilot.press(key)
    await wait_for(
        pilot, lambda: isinstance(app.screen, screen_type) and app.screen.query_one(DataTable).row_count, key
    )
    return app.screen


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_price_kind_changes_the_prices_the_header_and_the_price_terms(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert "savings" not in screen_text(app).splitlines()[0]
        await pilot.press("dollar_sign", "down", "enter")
        await wait_for(pilot, lambda: app.data.kind == NO_UPFRONT and app.table.message is None, "the kind")
        assert f"prices: {NO_UPFRONT}" in status(app)
        await type_filter(pilot, "m5.large region:us-east-1 os:linux")
        text = screen_text(app)
        assert "savings" in text.splitlines()[0]
        assert "0.06" in text and "43.8" in text and "37.5%" in text
        await type_filter(pilot, "price<0.059")
        assert app.shown == 1 and "m6a.large" in screen_text(app)  # 0.054; m5.large costs 0.06 of that kind


async def test_enter_shows_every_kind_with_break_even(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await type_filter(pilot, "m5.large region:us-east-1 os:linux")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), "the detail view")
        rows = {r[0]: r for r in table_rows(app.screen)}
        assert rows["reserved-1yr-standard-all-upfront"][3:] == ["0.0570776256", "41.666666688", "+40.5%", "month 8"]
        assert rows["savings-plan-compute-1yr-all-upfront"][-1] == "never"
        assert rows["on-demand"][1] == "0.0960"


async def test_pivot_marks_the_cheapest_region_and_the_delta_to_home(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await type_filter(pilot, "os:linux")
        await open_view(pilot, "v", PivotScreen)
        rows = {r[0]: r for r in table_rows(app.screen)}
        assert rows["m5.large"] == ["m5.large", "linux", "0.1070", f"0.0960{CHEAPEST}"]
        assert rows["t4g.large"][2] == "-"
        await pilot.press("h")  # home: eu-west-1
        await wait_for(pilot, lambda: "-10.3%" in str(table_rows(app.screen)), "the delta")
        await pilot.press("a")  # only types in every region
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 2, "in all regions")


async def test_marks_survive_filter_and_sort_and_compare_against_the_first(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await type_filter(pilot, "m5.large region:us-east-1 os:linux")
        await pilot.press("space")
        await type_filter(pilot, "t4g")
        await pilot.press("space")
        await type_filter(pilot, "")
        await pilot.press("o")  # reverse the sort
        assert app.picked == [("m5.large", "us-east-1", "linux"), ("t4g.large", "us-east-1", "linux")]
        assert app.table.picked == frozenset(app.picked)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        rows = {r[0]: r for r in table_rows(app.screen)}
        assert rows["arch"] == ["arch", "x86_64", "arm64"]
        assert rows["on-demand $/h"] == ["on-demand $/h", "0.0960", "0.0672 -30.0%"]
        assert rows["reserved-1yr-standard-no-upfront"][2] == "-"


async def test_compare_needs_two_marks(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("x")
        assert not isinstance(app.screen, CompareScreen)


async def test_cheaper_equivalents_of_the_selected_row(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await type_filter(pilot, "m5.large region:us-east-1 os:linux")
        await open_view(pilot, "E", EquivalentsScreen)
        assert [r[1] for r in table_rows(app.screen)] == ["t4g.large", "m6a.large"]
        assert table_rows(app.screen)[0][-2:] == ["+30.0%", "21.024"]
        await pilot.press("a")  # same arch
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1, "same arch")
        assert table_rows(app.screen)[0][1] == "m6a.large"


async def test_all_clouds_lists_each_provider(kind_settings):
    choosedata.write_catalog(kind_settings.data_dir / "gcp_catalog.json", "gcp")
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await type_filter(pilot, "m5.large region:us-east-1 os:linux")
        await open_view(pilot, "A", EquivalentsScreen)
        assert {(r[0], r[1]) for r in table_rows(app.screen)} == {
            ("AWS", "t4g.large"), ("AWS", "m6a.large"), ("GCP", "t4g.large"), ("GCP", "m6a.large")
        }  # fmt: skip


async def test_chosen_columns_are_saved_and_used_again(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        app._set_columns(("type", "per_vcpu", "price"))
        await pilot.pause()
        assert screen_text(app).splitlines()[0].split() == ["instance", "type", "▲", "$/vCPU-h", "$/hour"]
    saved = json.loads((kind_settings.data_dir / FILE_NAME).read_text())
    assert saved == {"columns": ["type", "per_vcpu", "price"]}
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert [c.key for c in app.table.columns] == ["type", "per_vcpu", "price"]


async def test_the_column_chooser_keeps_its_keys_on_an_80x24_screen(kind_settings):
    """Every column, the specs' too, does not fit 24 rows: the list scrolls, the keys stay."""
    async with make_app(kind_settings).run_test(size=(80, 24)) as pilot:
        app = await loaded(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ColumnChooser), "the column chooser")
        await pilot.pause()
        keys = app.screen.query_one(".dialog-keys")
        assert keys.region.height > 0 and keys.region.bottom <= 24, keys.region


async def test_a_bad_columns_file_gives_the_default_columns(kind_settings):
    (kind_settings.data_dir / FILE_NAME).write_text('{"columns": ["\\u001b[31m"]}')
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert "vCPU" in screen_text(app).splitlines()[0]


@pytest.mark.parametrize("kind", ["on-demand", NO_UPFRONT])
@pytest.mark.parametrize(
    "text",
    [
        "per_vcpu<0.02",
        "per_gib<=0.005 vcpu>=4",
        "per_gpu<2",
        "price<5 m5",
        "month>=100 region:eu-*",
        "per_vcpu!=0.01",
        "large os:linux arch!=arm64",
    ],
)
def test_the_dashboard_and_list_where_select_the_same_rows(text, kind):
    """One language: the dashboard's columnar evaluation and Query.matches agree on every row."""
    from dataclasses import replace
    from decimal import Decimal

    from pricesync.core import KindPrice, parse_query
    from pricesync.tui.rowindex import RowIndex, View
    from pricesync.tui.rows import build_rows

    from tests.tui.conftest import synthetic_catalog

    catalog = synthetic_catalog(3000, seed=7, unknown=0.1)
    entries = tuple(
        replace(e, prices={NO_UPFRONT: KindPrice.of(NO_UPFRONT, f"{Decimal(e.price_per_hour) * 6 / 10:.10f}")})
        if e.price_per_hour is not None and i % 2
        else e
        for i, e in enumerate(catalog.entries)
    )
    catalog = replace(catalog, entries=entries)
    query = parse_query(text)
    rows = build_rows(catalog, None, kind)
    shown = {rows.keys[r] for r in RowIndex(rows).select(View(query))}
    assert shown == {e.key for e in entries if query.matches(e, kind)}
    assert shown  # the query selects something: the comparison means something


SPEC_CHOICES = [
    None,
    ("Yes", "Intel Xeon Platinum 8175", "", "3.1 GHz", "Up to 10 Gigabit", "EBS only"),
    ("Yes", "AWS Graviton2 Processor", "", "2.5 GHz", "25 Gigabit", "1 x 75 NVMe SSD"),
    ("No", "Intel Xeon E5-2686 v4 (Broadwell)", "", "2.3 GHz", "High", "2 x 1920 SSD"),
    ("Yes", "AMD EPYC 7R13 Processor", "", "Up to 3.6 GHz", "4x 100 Gigabit", "4 x 2000 HDD"),
    ("", "Variable", "", "NA", "Low to Moderate", "1 x 410"),
]


@pytest.mark.parametrize(
    "text",
    [
        "gen:current",
        "gen:previous storage:ssd",
        "net!=25 gen:current",
        "net<25",
        "net>=25",
        "clock>=3 vcpu>=4",
        "storage:nvme*",
        "storage!=ebs*",
        "disk>=1000",
        "cpu:graviton*,*epyc*",
        "cpu>=8 processor:intel*",
    ],
)
def test_the_dashboard_and_list_where_select_the_same_rows_on_specs(text):
    """The spec terms (some entries know no specs, some only part of them) agree too."""
    import random
    from dataclasses import replace

    from pricesync.core import parse_query
    from pricesync.core.specs import described_specs
    from pricesync.tui.rowindex import RowIndex, View
    from pricesync.tui.rows import build_rows

    from tests.tui.conftest import synthetic_catalog

    rnd = random.Random(3)
    catalog = synthetic_catalog(3000, seed=7, unknown=0.1)
    entries = tuple(
        replace(e, specs=described_specs(*choice) if (choice := rnd.choice(SPEC_CHOICES)) else None)
        for e in catalog.entries
    )
    catalog = replace(catalog, entries=entries)
    query = parse_query(text)
    assert not query.bad
    rows = build_rows(catalog)
    shown = {rows.keys[r] for r in RowIndex(rows).select(View(query))}
    assert shown == {e.key for e in entries if query.matches(e)}
    assert shown  # the query selects something: the comparison means something
