"""Saved views in views.json: saved and read back whole, replaced by name, a broken file or a link
refused in one line, names checked."""

from __future__ import annotations

import json

import pytest
from pricesync.core import SavedView, find_view, load_views, save_view
from pricesync.core.errors import CatalogError, ConfigError

VIEW = SavedView(
    "cheap-arm",
    provider="gcp",
    filter="arch:arm64 price<0.1",
    columns=("type", "price", "region"),
    sort="price",
    descending=True,
    regions=("europe-west4", "us-east1"),
    price_kind="spot",
    pivot="region",
    pending_only=True,
)


def test_a_view_is_saved_whole_and_replaced_by_name(tmp_path):
    save_view(tmp_path, VIEW)
    save_view(tmp_path, SavedView("other"))
    assert load_views(tmp_path) == {"cheap-arm": VIEW, "other": SavedView("other")}
    save_view(tmp_path, SavedView("cheap-arm", filter="m5"))
    assert find_view(tmp_path, "cheap-arm") == SavedView("cheap-arm", filter="m5")
    obj = json.loads((tmp_path / "views.json").read_text())
    assert obj["schema_version"] == 1 and sorted(obj["views"]) == ["cheap-arm", "other"]


def test_keys_of_a_newer_version_are_ignored_and_missing_ones_default(tmp_path):
    (tmp_path / "views.json").write_text(json.dumps({"views": {"v": {"filter": "m5", "colour": "red"}}}))
    assert load_views(tmp_path) == {"v": SavedView("v", filter="m5")}


@pytest.mark.parametrize(
    "view, bad",
    [
        ({"columns": "type"}, "columns"),
        ({"regions": ["us-east-1", "EU WEST"]}, "regions"),
        ({"price_kind": "cheapest"}, "price_kind"),
        ({"price_kind": ["spot"]}, "price_kind"),
        ({"pivot": "os"}, "pivot"),
        ({"descending": "yes"}, "descending"),
        ({"filter": "x" * 1001}, "filter"),
        ({"home": "\u001b[2J"}, "home"),
        ({"home": 1}, "home"),
        ({"in_all_regions": "yes"}, "in_all_regions"),
    ],
)
def test_a_broken_view_is_one_line_naming_it(tmp_path, view, bad):
    (tmp_path / "views.json").write_text(json.dumps({"views": {"v": view}}))
    with pytest.raises(CatalogError, match=rf"^views file .*views\.json: view 'v': '{bad}' is not valid$"):
        load_views(tmp_path)


def test_a_file_of_another_shape_or_a_link_is_refused(tmp_path):
    (tmp_path / "views.json").write_text("[]")
    with pytest.raises(CatalogError, match="has the wrong shape"):
        load_views(tmp_path)
    (tmp_path / "views.json").unlink()
    (tmp_path / "elsewhere.json").write_text('{"views": {}}')
    (tmp_path / "views.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(CatalogError, match="is a symbolic link: refused"):
        save_view(tmp_path, VIEW)
    assert (tmp_path / "elsewhere.json").read_text() == '{"views": {}}'


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "\x1b[2J"])
def test_names_are_checked(tmp_path, name):
    with pytest.raises(ConfigError, match="a view's name must be 1 to 64 of"):
        save_view(tmp_path, SavedView(name))
