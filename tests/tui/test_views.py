"""Saved views in the dashboard (v, the palette, --view NAME) and the exports in every format."""

from __future__ import annotations

import json

from pricesync.core import DEFAULT_COLUMNS, SavedView, find_view, save_view
from pricesync.tui import cells
from pricesync.tui.app import main
from pricesync.tui.views import SaveViewScreen, ViewPicker

from tests.tui.conftest import SIZE, loaded, make_app, notes, wait_for


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
