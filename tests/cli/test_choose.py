"""`pricesync list --where/--price/--pivot`, `show` and `equivalents` as real subprocesses, on
the choosing fixture (tests/fakes/choosedata.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import one_line
from tests.fakes import choosedata

NO_UPFRONT = "reserved-1yr-standard-no-upfront"


@pytest.fixture
def run(cli, settings):
    choosedata.write_catalog(settings.data_dir / "aws_catalog.json")

    def go(*args: str):
        p = cli(*args)
        assert p.returncode == 0, p.stderr
        return p.stdout

    return go


def listed(run, *args: str) -> list[dict]:
    return json.loads(run("list", "--json", *args))


def test_where_takes_the_dashboards_language(run):
    assert {e["instance_type"] for e in listed(run, "--where", "per_vcpu<0.04 mem>=8")} == {"t4g.large", "c6g.xlarge"}
    rows = listed(run, "--where", "m5 region:eu-* os:linux")
    assert [(e["instance_type"], e["region"]) for e in rows] == [("m5.large", "eu-west-1")]
    rows = listed(run, "--where", "per_gpu<5")
    assert [(e["instance_type"], e["per_gpu"]) for e in rows] == [("p4d.24xlarge", "4.0965750000")]


def test_a_bad_where_term_is_one_line_and_exit_2(cli, run):
    p = cli("list", "--where", "vcpu>=x bogus:1")
    assert p.returncode == 2 and not p.stdout
    one_line(p.stderr, r"--where: vcpu>=x: 'x' is not a number; bogus:1: unknown field 'bogus'")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--home", "us-east-1"), "go with --pivot region"),
        (("--pivot", "region", "--csv"), "not --csv"),
        (("--pivot", "region", "--home", "ap-south-1"), "--home ap-south-1 is not one of the regions shown"),
    ],
)
def test_pivot_options_out_of_place_are_usage_errors(cli, run, args, problem):
    p = cli("list", *args)
    assert p.returncode == 2 and not p.stdout
    one_line(p.stderr, problem)


def test_price_kind_filters_and_json_carries_prices(run):
    rows = listed(run, "--price", NO_UPFRONT, "--where", "price<0.1")
    assert [e["instance_type"] for e in rows] == ["m5.large", "m6a.large"]  # on demand m5.large is 0.096 too
    m5 = rows[0]
    assert m5["prices"][NO_UPFRONT] == {"hourly": "0.0600000000", "upfront": "0", "effective_hourly": "0.0600000000"}
    assert m5["kind_price_per_hour"] == "0.0600000000" and m5["kind_price_per_month"] == "43.8"
    assert m5["savings_pct"] == "37.5" and m5["price_per_hour"] == "0.0960000000"
    assert m5["per_vcpu"] == "0.0300000000"
    by_price = listed(run, "--price", NO_UPFRONT, "--sort", "price")
    assert [e["instance_type"] for e in by_price][:3] == ["m6a.large", "m5.large", "m5.xlarge"]  # then no price
    table = run("list", "--price", NO_UPFRONT, "--where", "m5.large region:us-east-1 os:linux", "--units")
    assert "savings %" in table and "$/vCPU-h" in table and "37.5" in table


def test_pivot_json_and_table(run):
    rows = json.loads(run("list", "--pivot", "region", "--json", "--regions", "us-east-1,eu-west-1"))
    m5 = next(r for r in rows if (r["instance_type"], r["os"]) == ("m5.large", "linux"))
    assert m5 == {
        "instance_type": "m5.large",
        "os": "linux",
        "prices": {"us-east-1": "0.0960000000", "eu-west-1": "0.1070000000"},
        "cheapest_region": "us-east-1",
    }
    t4g = next(r for r in rows if r["instance_type"] == "t4g.large")
    assert t4g["prices"]["eu-west-1"] is None
    everywhere = json.loads(run("list", "--pivot", "region", "--json", "--in-all-regions"))
    assert {r["instance_type"] for r in everywhere} == {"m5.large", "m6a.large"}
    table = run("list", "--pivot", "region", "--home", "us-east-1", "--where", "m5.large os:linux")
    assert "0.107 (+11.5%)" in table and "0.096*" in table


def test_show_prints_every_kind_with_break_even(run):
    out = json.loads(run("show", "m5.large", "--region", "us-east-1", "--json"))
    assert len(out) == 1
    kinds = {k["kind"]: k for k in out[0]["kinds"]}
    assert kinds["reserved-1yr-standard-all-upfront"] == {
        "kind": "reserved-1yr-standard-all-upfront",
        "hourly": "0.0000000000",
        "upfront": "500",
        "effective_hourly": "0.0570776256",
        "savings_pct": "40.5",
        "break_even_month": 8,
    }
    assert kinds["savings-plan-compute-1yr-all-upfront"]["break_even_month"] is None
    text = run("show", "m5.large", "--region", "us-east-1")
    assert "month 8" in text and "never" in text
    both = json.loads(run("show", "m5.large", "--json"))
    assert [e["region"] for e in both] == ["us-east-1", "eu-west-1"]


def test_show_of_an_unknown_type_is_one_line(cli, run):
    p = cli("show", "m9.large")
    assert p.returncode == 1
    one_line(p.stderr, r"m9\.large \(linux\) is not in the catalog")


def test_equivalents(run):
    found = json.loads(run("equivalents", "m5.large", "--region", "us-east-1", "--json"))
    assert [(q["instance_type"], q["saving_pct"], q["saving_per_month"]) for q in found] == [
        ("t4g.large", "30.0", "21.0240000000"),
        ("m6a.large", "10.0", "7.0080000000"),
    ]
    assert found[0]["vcpu"] == 2 and found[0]["provider"] == "aws"
    same = json.loads(run("equivalents", "m5.large", "--arch", "same", "--json"))
    assert [q["instance_type"] for q in same] == ["m6a.large"]
    kind = json.loads(run("equivalents", "m5.large", "--kind", NO_UPFRONT, "--json"))
    assert [(q["instance_type"], q["price"]) for q in kind] == [("m6a.large", "0.0540000000")]
    table = run("equivalents", "m5.large")
    assert "t4g.large" in table and "21.024" in table


def test_equivalents_across_clouds(run, settings):
    choosedata.write_catalog(settings.data_dir / "gcp_catalog.json", "gcp")
    found = json.loads(run("equivalents", "m5.large", "--all-clouds", "--json"))
    assert {(q["provider"], q["instance_type"], q["region"]) for q in found} == {
        (provider, itype, "us-east-1") for provider in ("aws", "gcp") for itype in ("t4g.large", "m6a.large")
    }  # the bundled Azure catalog has no prices yet
