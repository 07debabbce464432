"""Saved views in the dashboard (v, the palette, --view NAME) and the exports in every format."""

from __future__ import annotations

import json

import pytest
from pricesync.core import DEFAULT_COLUMNS, SavedView, csv_columns, find_view, save_view
from pricesync.tui import cells
from pricesync.tui.app import main
from pricesync.tui.columns_state import FILE_NAME
from pricesync.tui.screens_choose import PivotScreen
from pricesync.tui.views import SaveViewScreen, ViewPicker

from tests.fakes import choosedata
from tests.tui.conftest import SIZE, loaded, make_app, notes, status, wait_for


def test_core_default_columns_are_the_dashboards():
    # the dashboard's default columns; `savings` shows only with a price kind
    assert tuple(k for k in cells.DEFAULT_COLUMNS if k != "savings") == DEFAULT_COLUMNS


async def test_v_saves_filter_sort_regions_and_provider(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", *"m5 vcpu>=2", "enter", "greater_than_sign", "o", "d")
        app._set_view(regions=frozenset({"us-east-1"}))
        await pilot.press("V")
        assert isinstance(app.screen, SaveViewScreen)
        await pilot.press(*"bad name", "enter")
        assert isinstance(app.screen, SaveViewScreen)  # refused: a space
        await pilot.press("ctrl+a", "ctrl+k", *"m5-us", "enter")
        await wait_for(pilot, lambda: any("Saved view m5-us" in n for n in notes(app)), "the save")
    assert find_view(settings.data_dir, "m5-us") == SavedView(
        "m5-us",
        provider="aws",
        filter="m5 vcpu>=2",
        sort="price",  # > steps from the instance type to $/hour, the next column
        descending=True,
        regions=("us-east-1",),
        pending_only=True,
    )


async def test_a_saved_view_opens_with_its_filter_sort_and_regions(settings):
    save_view(settings.data_dir, SavedView("eu", filter="m5", sort="vcpu", descending=True, regions=("eu-west-1",)))
    async with make_app(settings, view=find_view(settings.data_dir, "eu")).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await wait_for(pilot, lambda: app.view.query.words and app.view_settled, "the view's filter")
        assert (app.view.sort, app.view.descending, app.view.regions) == ("vcpu", True, frozenset({"eu-west-1"}))
        assert app.shown == 2  # m5.large and m5.xlarge in eu-west-1
        assert app.query_one("#filter-input").value == "m5"


async def test_the_palette_opens_a_saved_view(settings):
    save_view(settings.data_dir, SavedView("arm", filter="arch:arm64"))
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        app.action_open_view()
        await wait_for(pilot, lambda: isinstance(app.screen, ViewPicker), "the picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.view.query.terms and app.view_settled, "the view")
        assert app.shown == 2  # c6g.large in both regions


def test_an_unknown_view_is_one_line_and_exit_2(settings, capsys):
    assert main(["--config", str(settings.config_path), "--data-dir", str(settings.data_dir), "--view", "x"]) == 2
    err = capsys.readouterr().err
    assert err == f"pricesync-tui: no saved view 'x' in {settings.data_dir / 'views.json'} (saved: none)\n"


async def test_the_palette_exports_every_format_without_overwriting(settings):
    async with make_app(settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        await pilot.press("slash", *"region:eu-*", "enter")
        for fmt in ("json", "markdown", "tsv", "csv", "csv"):
            app.action_export(fmt)
        folder = settings.data_dir / "exports"
        await wait_for(pilot, lambda: folder.exists() and len(list(folder.iterdir())) == 5, "five exports")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "aws-20251103-093005-2.csv",
        "aws-20251103-093005.csv",
        "aws-20251103-093005.json",
        "aws-20251103-093005.md",
        "aws-20251103-093005.tsv",
    ]
    rows = json.loads((folder / "aws-20251103-093005.json").read_text())
    assert len(rows) == 3 and {r["region"] for r in rows} == {"eu-west-1"}
    assert (folder / "aws-20251103-093005.md").read_text().count("\n") == 2 + 3


# -- a view's kind, columns and pivot; the export of a kind -------------------------------------------

ALL_UPFRONT = "reserved-1yr-standard-all-upfront"
PIVOT_VIEW = SavedView(
    "ri-by-region",
    filter="large os:linux",
    columns=("type", "price", "savings", "region"),
    price_kind=ALL_UPFRONT,
    pivot="region",
    home="eu-west-1",
    in_all_regions=True,
)


@pytest.fixture
def kind_settings(settings):
    choosedata.write_catalog(settings.data_dir / "aws_catalog.json")
    return settings


async def the_saved_pivot(pilot) -> PivotScreen:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, PivotScreen) and "types" in str(app.screen.query_one("#choose-note").render()),
        "the pivot",
    )
    return app.screen


def assert_view_shown(app, pivot: PivotScreen) -> None:
    assert app.data.kind == ALL_UPFRONT and f"prices: {ALL_UPFRONT}" in status(app)
    assert tuple(c.key for c in app.table.columns) == ("type", "price", "savings", "region")
    assert app.shown == sum(1 for e in choosedata.entries() if "large" in e.instance_type and e.os == "linux")
    assert (pivot.kind, pivot.home, pivot.in_all_regions) == (ALL_UPFRONT, "eu-west-1", True)
    assert "Δ% against eu-west-1 · only types in every region shown" in str(pivot.query_one("#choose-title").render())
    assert not (app.settings.data_dir / FILE_NAME).exists()  # the operator's own columns file is not touched


async def test_opening_a_view_applies_its_kind_columns_and_pivot(kind_settings):
    save_view(kind_settings.data_dir, PIVOT_VIEW)
    view = find_view(kind_settings.data_dir, PIVOT_VIEW.name)
    async with make_app(kind_settings, view=view).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert_view_shown(app, await the_saved_pivot(pilot))


async def test_the_palette_opens_a_view_with_another_kind_and_its_pivot(kind_settings):
    save_view(kind_settings.data_dir, PIVOT_VIEW)
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        assert app.data.kind == "on-demand"
        app.action_open_view()
        await wait_for(pilot, lambda: isinstance(app.screen, ViewPicker), "the picker")
        await pilot.press("enter")
        assert_view_shown(app, await the_saved_pivot(pilot))


async def test_v_saves_the_kind_and_columns_shown_and_in_the_pivot_its_home(kind_settings):
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        app._set_kind(ALL_UPFRONT)
        await wait_for(pilot, lambda: app.data.kind == ALL_UPFRONT and app.view_settled, "the kind")
        app.column_keys = ("type", "price", "savings", "per_vcpu", "region")
        app.show_columns()
        await pilot.press("V", *"ri", "enter")
        await wait_for(pilot, lambda: any("Saved view ri " in n for n in notes(app)), "the save")
        await pilot.press("v")
        pivot = await the_saved_pivot(pilot)
        await pilot.press("h", "a", "V")  # home: eu-west-1, only types in every region; save
        await wait_for(pilot, lambda: isinstance(app.screen, SaveViewScreen), "the name dialog")
        await pilot.press("ctrl+a", "ctrl+k", *"ri-pivot", "enter")
        await wait_for(pilot, lambda: any("Saved view ri-pivot" in n for n in notes(app)), "the pivot's save")
        assert app.screen is pivot  # back in the pivot
    saved = find_view(kind_settings.data_dir, "ri")
    assert (saved.price_kind, saved.columns, saved.pivot) == (
        ALL_UPFRONT,
        ("type", "price", "savings", "per_vcpu", "region"),
        None,
    )
    saved = find_view(kind_settings.data_dir, "ri-pivot")
    assert (saved.price_kind, saved.pivot, saved.home, saved.in_all_regions) == (
        ALL_UPFRONT,
        "region",
        "eu-west-1",
        True,
    )


async def test_the_export_of_a_kind_is_the_clis(kind_settings, cli):
    """`e` with a kind and a unit column shown writes what `list --csv --price KIND --units`
    prints for the same rows: the same header, the same cells."""
    async with make_app(kind_settings).run_test(size=SIZE) as pilot:
        app = await loaded(pilot)
        app._set_kind(ALL_UPFRONT)
        await wait_for(pilot, lambda: app.data.kind == ALL_UPFRONT and app.view_settled, "the kind")
        app.column_keys = (*app.column_keys, "per_gib")
        app.show_columns()
        await pilot.press("e")
        folder = kind_settings.data_dir / "exports"
        await wait_for(pilot, lambda: folder.exists() and any(folder.iterdir()), "the export")
    exported = next(folder.iterdir()).read_text()
    p = cli("list", "--csv", "--price", ALL_UPFRONT, "--units")
    assert p.returncode == 0, p.stderr
    assert exported.splitlines()[0] == p.stdout.splitlines()[0] == ",".join(csv_columns(kind=True, units=True))
    assert sorted(exported.splitlines()[1:]) == sorted(p.stdout.splitlines()[1:]) and len(p.stdout.splitlines()) == 12
