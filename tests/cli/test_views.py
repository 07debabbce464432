"""`pricesync list --view NAME` prints a view saved in the dashboard in its columns, and `list`
exports in CSV, TSV, Markdown and JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
from pricesync.core import CSV_COLUMNS, KindPrice, SavedView, csv_columns, save_view

from tests.fakes import choosedata
from tests.tui.conftest import write_pending_data


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


# -- a price kind: in exports (list --csv --price KIND) and applied by a view ----------------------

ALL_UPFRONT = "reserved-1yr-standard-all-upfront"


def with_spot(entry):
    spot = KindPrice.of("spot", "0.0310000000", fetched_at="2026-11-01T00:00:00Z", interruption="<5%", savings_pct=68)
    return replace(entry, prices={**entry.prices, "spot": spot})


@pytest.fixture
def kinds(cli, settings):
    """The choosing fixture; m5.large in us-east-1 also has a spot price with the advisor's fields."""
    catalog = choosedata.catalog()
    entries = tuple(with_spot(e) if e.key == ("m5.large", "us-east-1", "linux") else e for e in catalog.entries)
    (settings.data_dir / "aws_catalog.json").write_text(json.dumps(replace(catalog, entries=entries).to_json()))

    def go(*args: str) -> str:
        p = cli(*args)
        assert p.returncode == 0, p.stderr
        return p.stdout

    return go


def csv_rows(text: str, delimiter: str = ",") -> tuple[list[str], dict[tuple[str, str, str], dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = {(r["instance_type"], r["region"], r["os"]): r for r in reader}
    return list(reader.fieldnames or []), rows


def test_a_kinds_export_appends_its_figures_exactly_after_the_on_demand_columns(kinds):
    header, rows = csv_rows(kinds("list", "--csv", "--price", ALL_UPFRONT, "--units"))
    assert tuple(header) == csv_columns(kind=True, units=True)
    m5 = rows[("m5.large", "us-east-1", "linux")]
    assert (m5["price_per_hour"], m5["price_per_month"]) == ("0.096", "70.08")  # on demand's, as before
    assert {k: m5[k] for k in header[len(CSV_COLUMNS) :]} == {
        "price_kind": ALL_UPFRONT,
        "kind_hourly": "0",
        "kind_upfront": "500",
        "kind_price_per_hour": "0.0570776256",  # 500 / 8760, half-even to 10 places
        "kind_price_per_month": "41.666666688",
        "savings_pct": "40.5",
        "per_vcpu": "0.0285388128",
        "per_gib": "0.0071347032",
        "per_gpu": "",  # no GPU: no value, never a guess
    }
    t4g = rows[("t4g.large", "us-east-1", "linux")]  # no price of that kind
    assert t4g["price_kind"] == ALL_UPFRONT and t4g["kind_price_per_hour"] == t4g["per_vcpu"] == ""
    header, _ = csv_rows(kinds("list", "--csv", "--price", ALL_UPFRONT))
    assert tuple(header) == csv_columns(kind=True)  # the unit prices only when asked for


def test_a_spot_export_has_the_advisors_fields(kinds):
    header, rows = csv_rows(kinds("list", "--tsv", "--price", "spot"), "\t")
    assert tuple(header) == csv_columns(kind=True, spot=True)
    m5 = rows[("m5.large", "us-east-1", "linux")]
    assert (m5["kind_price_per_hour"], m5["kind_upfront"], m5["savings_pct"]) == ("0.031", "0", "67.7")
    assert (m5["spot_interruption"], m5["spot_savings_pct"], m5["spot_fetched_at"]) == (
        "<5%",
        "68",
        "2026-11-01T00:00:00Z",
    )


def test_the_on_demand_export_keeps_its_columns(kinds):
    assert tuple(csv_rows(kinds("list", "--csv"))[0]) == CSV_COLUMNS
    assert tuple(csv_rows(kinds("list", "--csv", "--price", "on-demand"))[0]) == CSV_COLUMNS


def test_a_view_applies_its_price_kind_and_the_command_line_wins(settings, kinds):
    save_view(
        settings.data_dir,
        SavedView(
            "ri",
            filter="m5.large os:linux region:us-east-1",
            columns=("type", "price", "month", "savings", "per_vcpu"),
            price_kind=ALL_UPFRONT,
        ),
    )
    assert json.loads(kinds("list", "--view", "ri", "--json")) == [
        {
            "instance_type": "m5.large",
            "kind_price_per_hour": "0.0570776256",
            "kind_price_per_month": "41.666666688",
            "savings_pct": "40.5",
            "per_vcpu": "0.0285388128",
        }
    ]
    table = kinds("list", "--view", "ri")
    assert ALL_UPFRONT in table and "0.0570776256" in table and "40.5" in table
    assert json.loads(kinds("list", "--view", "ri", "--json", "--price", "on-demand")) == [
        {
            "instance_type": "m5.large",
            "price_per_hour": "0.0960000000",
            "price_per_month": "70.08",
            "per_vcpu": "0.0480000000",
        }
    ]  # savings shows with a kind only, as in the dashboard
    assert kinds("list", "--view", "ri", "--csv", "--price", "spot").splitlines() == [
        "instance_type,kind_price_per_hour,kind_price_per_month,savings_pct,per_vcpu",
        "m5.large,0.0310000000,22.63,67.7,0.0155000000",
    ]


def test_a_view_applies_its_pivot_with_its_regions_home_and_in_all_regions(settings, kinds):
    save_view(
        settings.data_dir,
        SavedView(
            "by-region",
            filter="large os:linux",
            regions=("eu-west-1", "us-east-1"),
            pivot="region",
            home="us-east-1",
            in_all_regions=True,
        ),
    )
    assert json.loads(kinds("list", "--view", "by-region", "--json")) == [
        {
            "instance_type": "m5.large",
            "os": "linux",
            "prices": {"eu-west-1": "0.1070000000", "us-east-1": "0.0960000000"},
            "cheapest_region": "us-east-1",
        },
        {
            "instance_type": "m6a.large",
            "os": "linux",
            "prices": {"eu-west-1": "0.0960000000", "us-east-1": "0.0864000000"},
            "cheapest_region": "us-east-1",
        },
    ]
    table = kinds("list", "--view", "by-region")
    assert "% against us-east-1" in table and "0.107 (+11.5%)" in table


def test_a_view_applies_pending_only(settings, cli):
    write_pending_data(settings.data_dir)
    save_view(settings.data_dir, SavedView("moved", columns=("type", "region", "os", "pending"), pending_only=True))
    p = cli("list", "--view", "moved", "--json")
    assert p.returncode == 0, p.stderr
    assert sorted(json.loads(p.stdout), key=lambda r: r["instance_type"]) == [
        {"instance_type": "c6g.large", "region": "eu-west-1", "os": "linux", "pending": "0.0700000000 -9.1%"},
        {"instance_type": "m5.large", "region": "us-east-1", "os": "linux", "pending": "0.1000000000 +4.2%"},
        {"instance_type": "t3.micro", "region": "us-east-1", "os": "rhel", "pending": "missing"},
    ]  # x1e.32xlarge, which the cache adds, is not in the catalog yet


def test_list_view_shows_the_spec_columns_chosen_in_the_dashboard(settings, synced):
    save_view(settings.data_dir, SavedView("specs", regions=("eu-west-1",), columns=("type", "processor", "network")))
    p = synced("list", "--view", "specs", "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    rows = json.loads(p.stdout)
    assert rows and all(set(r) == {"instance_type", "processor", "network"} for r in rows)
    assert all(r["processor"] and r["network"] for r in rows), rows  # the fixture's offer names them
