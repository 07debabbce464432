"""Item 12: absurd prices are refused the same way by every source (core.models.price_problem:
at most MAX_PRICE_INTEGER_DIGITS before the point and MAX_PRICE_DECIMALS after it, at most
MAX_PRICE_PER_HOUR), by the catalog loader too, and $/month is exact."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pricesync.core.config import load_settings
from pricesync.core.models import MAX_PRICE_PER_HOUR, monthly_price, price_problem
from pricesync.core.providers.base import FetchRequest
from pricesync.core.sources import make_provider

from tests.conftest import serve_aws, small_catalog
from tests.fakes import azuredata as az
from tests.fakes import gcpdata as g

FIVE_THOUSAND_DIGITS = "9" * 5000


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("0.0960000000", ""),
        ("10000", ""),  # the ceiling itself
        ("407.4560000000", ""),  # the dearest real instances cost a few hundred an hour
        ("0.000000000000000001", ""),  # 18 decimals
        ("0", "zero_price"),
        ("0.0000000000", "zero_price"),
        ("10000.0000000001", "absurd_price"),
        ("99999", "absurd_price"),
        ("0.0000000000000000001", "absurd_price"),  # 19 decimals
        ("0000000.5", "absurd_price"),  # 7 digits before the point
        (FIVE_THOUSAND_DIGITS, "absurd_price"),
        ("1e400", "bad_price"),
        ("Infinity", "bad_price"),
        ("-0.5", "bad_price"),
        ("\u0661.5", "bad_price"),  # an Arabic-Indic digit: Decimal() would take it
        (0.096, "bad_price"),
    ],
)
def test_one_rule_for_every_price(price, problem):
    assert price_problem(price) == problem


def test_monthly_is_exact_whatever_the_digits():
    assert str(monthly_price("0.0960000000")) == "70.0800000000"
    assert monthly_price("10000") == 7_300_000
    # 80 digits: the default context (28 digits) would round the product
    long = "9" * 40 + "." + "9" * 40
    _, digits, exponent = monthly_price(long).as_tuple()
    assert exponent == -40 and int("".join(map(str, digits))) == int(long.replace(".", "")) * 730
    assert monthly_price(long) != Decimal(long) * 730


def test_aws_absurd_prices_are_skipped_and_counted(cli, server, settings):
    prices = {
        ("m5.large", "Linux"): "9" * 40,
        ("m5.xlarge", "Linux"): "10000.0000000001",
        ("p4d.24xlarge", "Linux"): "0.1234567890123456789",  # 19 decimals
        ("c6g.large", "Linux"): "0.0680000000",
    }
    serve_aws(server, {"us-east-1": ("20251101000000", prices)})
    p = cli("sync", "--region", "us-east-1", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["records"] == 1 and out["skipped"]["absurd_price"] == 3
    cache = (settings.data_dir / "aws_cache.json").read_text()
    assert "0.0680000000" in cache and "99999" not in cache and "10000.0000000001" not in cache


def test_a_price_of_thousands_of_digits_fails_the_fetch_at_the_parser(cli, server, settings):
    """Past the parser's digit bound (core.jsonbounds: ijson crashes on an integer of 4,300
    digits) the offer file itself is refused, in one line; nothing is written."""
    serve_aws(server, {"us-east-1": ("20251101000000", {("m5.large", "Linux"): FIVE_THOUSAND_DIGITS})})
    p = cli("sync", "--region", "us-east-1", "--json")
    assert p.returncode == 1
    assert "longer than 2048 digits" in json.loads(p.stdout)["error"]
    assert not (settings.data_dir / "aws_cache.json").exists()


AZURE_CHILD = """
import json, sys
from pricesync.core.config import load_settings
from pricesync.core.sources import make_provider
from pricesync.core.providers.base import FetchRequest
provider = make_provider(load_settings(sys.argv[1], sys.argv[2]), "azure")
f = provider.fetch(FetchRequest(["eastus"], {})).regions["eastus"]
print(json.dumps({"prices": {r.instance_type: r.price_per_hour for r in f.records}, "skipped": f.skipped}))
"""


def test_azure_absurd_numbers_are_skipped_without_writing_them_out(server, tmp_path, limited):
    """`1E+999999999` would be a billion digits written out: the child has 400 MB."""
    items = [
        az.item("Standard_D2s_v5", "eastus", "0.096"),
        az.item("Standard_D4s_v5", "eastus", "1E+400"),
        az.item("Standard_D8s_v5", "eastus", "1E+999999999"),
        az.item("Standard_D16s_v5", "eastus", "12345.678"),
        az.item("Standard_D32s_v5", "eastus", "0.1234567890123456789"),
    ]
    az.serve_azure(server, {"eastus": items})
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[azure]\nenabled = true\nendpoint = "{server.url}{az.PATH}"\n[http]\nretries = 0\n')
    p = limited(AZURE_CHILD, args=(str(cfg), str(tmp_path / "data")))
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["prices"] == {"Standard_D2s_v5": "0.096"}
    assert out["skipped"] == {"absurd_price": 4}


def test_gcp_absurd_rates_and_machine_prices_are_skipped(server, tmp_path, monkeypatch):
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)
    skus = g.catalog_skus(g.AMERICAS)
    by_description = {s["description"]: s for s in skus}

    def unit_price(description: str) -> dict:
        return by_description[description]["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"]

    unit_price("N2D AMD Instance Core running in Americas")["units"] = "2000"  # x 8 vCPU and more: above the ceiling
    unit_price("E2 Instance Core running in Americas")["units"] = "1" + "0" * 30  # a rate of 31 digits
    unit_price("C3 Instance Ram running in Americas")["units"] = FIVE_THOUSAND_DIGITS  # int() would refuse it
    g.serve_gcp(server, skus, key="k")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[gcp]\nenabled = true\nendpoint = "{server.url}{g.PATH}"\napi_key = "k"\n[http]\nretries = 0\n')
    provider = make_provider(load_settings(cfg, tmp_path / "data"), "gcp")
    f = provider.fetch(FetchRequest(["us-east1"], {})).regions["us-east1"]
    provider.close()
    families = {r.family for r in f.records}
    assert "n2" in families and not families & {"e2", "c3"}
    assert all(Decimal(r.price_per_hour) <= MAX_PRICE_PER_HOUR for r in f.records)
    n2d = [r for r in f.records if r.family == "n2d"]
    assert all(r.vcpu < 5 for r in n2d)  # 2000 x 2 or 4 vCPU is within the ceiling, 8 and more are not
    assert f.skipped["absurd_price"] >= 1 and f.skipped["bad_price"] >= 1


def test_a_catalog_holding_an_absurd_price_is_refused_with_one_line(cli, settings):
    catalog = settings.data_dir / "aws_catalog.json"
    small_catalog(catalog)
    obj = json.loads(catalog.read_text())
    obj["entries"][3]["price_per_hour"] = FIVE_THOUSAND_DIGITS
    catalog.write_text(json.dumps(obj))
    p = cli("list")
    assert p.returncode == 1 and p.stderr.count("\n") == 1
    assert "entries[3]" in p.stderr and str(catalog) in p.stderr


def test_list_shows_the_exact_monthly_price(cli, settings):
    catalog = settings.data_dir / "aws_catalog.json"
    obj = json.loads(catalog.read_text())
    obj["entries"][0]["price_per_hour"] = "9999.999999999999999999"  # the most digits a price may have
    catalog.write_text(json.dumps(obj))
    p = cli("list", "--json")
    assert p.returncode == 0, p.stderr
    row = next(r for r in json.loads(p.stdout) if r["price_per_hour"] == "9999.999999999999999999")
    assert row["price_per_month"] == "7299999.99999999999999927"
    p = cli("list", "--csv")
    assert "7299999.99999999999999927" in p.stdout
