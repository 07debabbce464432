"""Write-back never produces a catalog the loader refuses (issue 9, item 3): records read back
from the price cache, and records a source hands over, pass the catalog's own rules, and the
merged catalog is checked before it is written. A damaged cache is one line, then a fresh fetch
(--force) or a failure: never a write."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pricesync.core.catalog import load_catalog, write_catalog
from pricesync.core.errors import CatalogError
from pricesync.core.models import PriceRecord
from pricesync.core.providers.base import FetchResult, RegionFetch, RegionVersion
from pricesync.core.sync import SyncEngine

from tests.conftest import one_line, small_catalog

# how a cache record is damaged -> what the one line says about it
DAMAGE = {
    "exponent": ("price_per_hour", "1e-3", r"price_per_hour '1e-3' is not a decimal string within the limits"),
    "infinity": ("price_per_hour", "Infinity", r"price_per_hour 'Infinity' is not a decimal string within the limits"),
    "non-ASCII digits": (
        "price_per_hour",
        "\u0661.\u0665",
        r"price_per_hour '.*' is not a decimal string within the limits",
    ),
    "5,000 digits": (
        "price_per_hour",
        "1" * 5000,
        r"price_per_hour '1{39}… \(5002 characters\) is not a decimal string within the limits",
    ),
    "escape in a type": (
        "instance_type",
        "m5.large\x1b]0;pwned\x07",
        r"instance_type 'm5.large\\x1b\]0;pwned\\x07' is not a valid identifier",
    ),
    "region with a space": ("region", "us east 1", r"region 'us east 1' is not a valid identifier"),
    "number, not string": ("price_per_hour", 0.096, r"'price_per_hour' has the wrong type \(float\)"),
    "vcpu as words": ("vcpu", "eight", r"'vcpu' has the wrong type \(str\)"),
    "memory NaN": ("memory_gib", float("nan"), r"memory_gib nan is not a finite number >= 0"),
    "no currency": ("currency", None, r"'currency' has the wrong type \(NoneType\)"),
}


@pytest.fixture
def synced(cli, settings):
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    return settings.data_dir


def damage(data: Path, field: str, value) -> Path:
    path = data / "aws_cache.json"
    obj = json.loads(path.read_text())
    obj["records"][3][field] = value
    path.write_text(json.dumps(obj))  # NaN is written as the bare NaN json.loads takes back
    return path


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_cache_is_one_line_and_never_written_back(cli, synced, name):
    field, value, message = DAMAGE[name]
    cache = damage(synced, field, value)
    catalog = (synced / "aws_catalog.json").read_bytes()
    p = cli("sync", "--write-back")  # the source is unchanged: this would write back the cache
    assert p.returncode == 1
    one_line(
        p.stderr,
        rf"aws sync failed: price cache {re.escape(str(cache))}: records\[3\] {message} "
        r"\(sync --force fetches afresh and replaces it\)$",
    )
    assert (synced / "aws_catalog.json").read_bytes() == catalog
    assert cli("list").returncode == 0
    # --force: one warning line, a fresh fetch replaces the damaged cache, the write-back is sound
    forced = cli("sync", "--write-back", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.count("\n") == 1 and "pricesync: warning: aws: price cache" in forced.stderr
    assert "ignored, fetching afresh (--force)" in forced.stderr
    load_catalog(synced / "aws_catalog.json", "aws")
    assert cli("list").returncode == 0 and cli("sync", "--write-back").returncode == 0


def test_the_dashboards_write_back_refuses_a_damaged_cache(settings, synced):
    damage(synced, "price_per_hour", "1e-3")
    catalog = (synced / "aws_catalog.json").read_bytes()
    engine = SyncEngine(settings, listeners=[])
    result = engine.write_back(engine.snapshot("aws"), force=True)
    assert result.status == "failed" and "is not a decimal string" in result.error
    assert (synced / "aws_catalog.json").read_bytes() == catalog


def test_a_source_record_that_breaks_the_rules_is_refused_even_with_force(settings):
    """Whatever a provider hands over passes the catalog's rules before anything is written."""

    class Source:
        def fetch(self, request):
            bad = PriceRecord("m5.large", "us-east-1", "linux", "1e-3", "USD", "m5", 2, 8.0, 0, "x86_64")
            good = replace(bad, instance_type="m5.xlarge", price_per_hour="0.1920000000")
            return FetchResult({"us-east-1": RegionFetch("us-east-1", RegionVersion("v9"), [good, bad])})

        def close(self):
            pass

    engine = SyncEngine(settings, provider_factory=lambda *a: Source(), listeners=[])
    catalog = (settings.data_dir / "aws_catalog.json").read_bytes()
    for force in (False, True):
        result = engine.sync("aws", regions=["us-east-1"], write_back=True, force=force)
        assert result.status == "failed"
        assert (
            "1 price(s) in us-east-1 break the catalog's rules, e.g. us-east-1 price of m5.large/us-east-1/linux "
            "price_per_hour '1e-3' is not a decimal string within the limits (nothing overrides this)"
        ) in result.error
    assert (settings.data_dir / "aws_catalog.json").read_bytes() == catalog
    assert not (settings.data_dir / "aws_cache.json").exists()


def test_a_merged_catalog_the_loader_would_refuse_is_not_written(tmp_path):
    path = small_catalog(tmp_path / "aws_catalog.json")
    before = path.read_bytes()
    catalog = load_catalog(path, "aws")
    broken = replace(catalog, entries=(replace(catalog.entries[0], price_per_hour="Infinity"), *catalog.entries[1:]))
    with pytest.raises(
        CatalogError,
        match=rf"^{re.escape(str(path))} \(not written\): entries\[0\] price_per_hour "
        r"'Infinity' is not a decimal string within the limits$",
    ):
        write_catalog(path, broken)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aws_catalog.json"]
