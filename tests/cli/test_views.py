"""`pricesync list --view NAME` prints a view saved in the dashboard in its columns, and `list`
exports in CSV, TSV, Markdown and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pricesync.core import SavedView, save_view


@pytest.fixture
def synced(cli):
    p = cli("sync", "--write-back")
    assert p.returncode == 0, p.stderr
    return cli


def test_list_view_uses_its_provider_regions_sort_and_columns(settings, synced):
    save_view(
        settings.data_dir,
        SavedView(
            "eu", regions=("eu-west-1",), columns=("type", "os", "price", "month"), sort="price", descending=True
        ),
    )
    p = synced("list", "--view", "eu", "--json")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert json.loads(p.stdout) == [
        {"instance_type": "m5.xlarge", "os": "linux", "price_per_hour": "0.2140000000", "price_per_month": "156.22"},
        {"instance_type": "m5.large", "os": "linux", "price_per_hour": "0.1070000000", "price_per_month": "78.11"},
        {"instance_type": "c6g.large", "os": "linux", "price_per_hour": "0.0770000000", "price_per_month": "56.21"},
    ]
    lines = synced("list", "--view", "eu").stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "$/hour" in line)
    assert lines[at].split() == ["instance", "type", "OS", "$/hour", "$/month"]
    body = [line for line in lines[at + 1 :] if not line.startswith("-")]  # under the header's rule
    assert [line.split()[0] for line in body] == ["m5.xlarge", "m5.large", "c6g.large"]


def test_list_view_applies_its_filter_in_the_dashboards_language(settings, synced):
    save_view(settings.data_dir, SavedView("m5", filter="m5 vcpu>=4", columns=("type", "region")))
    p = synced("list", "--view", "m5", "--csv")
    assert p.returncode == 0 and p.stderr == ""
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == ["instance_type", "region"]
    assert rows[1:] and all(r[0].startswith("m5.") and r[0] != "m5.large" for r in rows[1:])  # m5.large: 2 vCPU


def test_an_unknown_or_broken_view_is_one_line(settings, cli):
    save_view(settings.data_dir, SavedView("a"))
    p = cli("list", "--view", "nope")
    assert p.returncode == 2
    assert p.stderr == f"pricesync: no saved view 'nope' in {settings.data_dir / 'views.json'} (saved: a)\n"
    (settings.data_dir / "views.json").write_text('{"views": {"a": {"provider": "oracle"}}}')
    p = cli("list", "--view", "a")
    assert p.returncode == 1
    assert p.stderr == f"pricesync: views file {settings.data_dir / 'views.json'}: view 'a': 'provider' is not valid\n"


@pytest.mark.parametrize("fmt", ["--csv", "--tsv", "--markdown", "--json"])
def test_list_exports_every_format(synced, fmt):
    p = synced("list", "--region", "us-east-1", "--filter", "m5", "--os", "linux", "--sort", "price", fmt)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    if fmt == "--json":
        assert [e["price_per_hour"] for e in json.loads(out)] == ["0.0960000000", "0.1920000000"]
        return
    assert len(out.splitlines()) == (4 if fmt == "--markdown" else 3)
    first = out.splitlines()[2 if fmt == "--markdown" else 1]
    assert "m5.large" in first and "0.096" in first and "70.08" in first  # exact decimals, as every CSV
    if fmt == "--tsv":
        assert first.split("\t")[:2] == ["m5.large", "m5"]
    if fmt == "--markdown":
        assert out.splitlines()[0].startswith("| instance\\_type | family |")
