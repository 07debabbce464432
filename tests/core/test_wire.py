"""The fast path of the catalog and cache files (core.wire): it admits exactly what the
field-by-field checks admit, builds the same values, writes the same bytes, and is the path a
sound file takes."""

from __future__ import annotations

import copy
import gc
import itertools
import json
import random
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from pricesync.core import catalog as catalog_mod
from pricesync.core import wire
from pricesync.core.cache import PriceCache, load_cache, write_cache
from pricesync.core.catalog import bundled_catalog_file, load_catalog, parse_catalog, write_catalog
from pricesync.core.errors import CatalogError
from pricesync.core.fileio import json_bytes
from pricesync.core.models import KindPrice, PriceRecord, is_price_string, price_problem

from tests.conftest import small_catalog
from tests.core.test_catalog_store import RESERVED
from tests.core.test_catalog_store import SPOT_PRICE as SPOT

SPECS = {
    "current_generation": True,
    "processor": "Intel Xeon Platinum 8175",
    "processor_features": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
    "clock": "3.1 GHz",
    "clock_ghz": 3.1,
    "network": "4x 100 Gigabit",
    "network_gbps": 400.0,
    "storage": "2 x 900 NVMe SSD",
    "storage_gb": 1800.0,
    "storage_type": "nvme",
}


def sound(tmp_path) -> dict:
    """A small catalog with synced prices and kind prices: the shape a write-back produces."""
    obj = json.loads(small_catalog(tmp_path / "seed.json").read_text())
    obj["schema_version"] = 2
    for i, e in enumerate(obj["entries"]):
        e["price_per_hour"] = f"0.{i + 1:04d}000000"
        e["price_synced_at"] = "2026-11-29T02:00:00Z"
    obj["entries"][0]["prices"] = {
        "spot": dict(SPOT),
        RESERVED: {"hourly": "0.02", "upfront": "237", "effective_hourly": "0.0470547945"},
    }
    obj["entries"][1]["specs"] = dict(SPECS)
    return obj


def test_the_price_expression_is_price_problems_rule():
    """PRICE_STRING_RE (one regex call) against price_problem (regex, digit counts, Decimal) on
    every string of these characters up to 7 long, and the limits' edges."""
    edges = ["10000", "010000", "0010000", "10000.000", "10000.0001", "9999." + "9" * 18, "9999." + "9" * 19]
    edges += ["000000", "0000000", "1" * 7, "000999.5", "0.5 ", "\u0661", "", ".5", "5.", "1e3"]
    for text in itertools.chain(
        ("".join(t) for n in range(1, 8) for t in itertools.product("0159.\n", repeat=n)), edges
    ):
        assert is_price_string(text) == (price_problem(text) in ("", "zero_price")), repr(text)


def test_a_sound_catalog_takes_the_typed_path_and_reads_as_the_checks_read_it(tmp_path, monkeypatch):
    obj = sound(tmp_path)
    path = tmp_path / "aws_catalog.json"
    path.write_text(json.dumps(obj))
    expected = parse_catalog(obj, str(path), "aws")

    def no_field_by_field(*args, **kwargs):
        raise AssertionError("the field-by-field checks ran on a sound catalog")

    monkeypatch.setattr(catalog_mod, "parse_catalog", no_field_by_field)
    loaded = load_catalog(path, "aws")
    assert loaded == expected
    assert list(loaded.entries[0].prices) == [RESERVED, "spot"]  # the kinds' order, not the file's
    assert loaded.entries[0].prices["spot"] == KindPrice(**SPOT)


@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_a_never_synced_catalog_takes_the_typed_path_too(monkeypatch, provider):
    """No price at all (the bundled catalogs): nothing to check is no reason to go slow."""
    monkeypatch.setattr(catalog_mod, "parse_catalog", lambda *a: pytest.fail("checked field by field"))
    loaded = load_catalog(Path(str(bundled_catalog_file(provider))), provider)
    assert loaded.entries and all(e.price_per_hour is None for e in loaded.entries)


# values that break a rule, or that one path might read otherwise than the other
TRICKY = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    10**30,
    1.5,
    -0.0,
    1e308,
    "",
    "m5.large",
    "m5.large\n",
    "us-east-1",
    "US-EAST-1",
    "linux",
    "0.1000000000",
    "10000",
    "10000.01",
    "1e-3",
    "0.5 ",
    "x" * 70,
    "<5%",
    "2026-11-29T02:00:00Z",
    "é",
    [],
    {},
    {"spot": SPOT},
    {"spot": dict(SPOT, savings_pct=101)},
    {"spot": dict(SPOT, extra=1)},
    {"reserved-9yr": SPOT},
    SPECS,
    {"network": "Up to 10 Gigabit", "later": [1]},
    {"storage_type": "tape"},
    "x" * 201,
    "Intel\x1b[2J",
    "AWS\u202eGraviton",
    "ebs-only",
    10**400,
    3.1,
    400,
]
ENTRY_FIELDS = ["instance_type", "family", "region", "os", "vcpu", "memory_gib", "gpu", "arch"]
ENTRY_FIELDS += ["price_per_hour", "price_synced_at", "available", "prices", "specs"]


def outcome(read, *args):
    try:
        return read(*args)
    except (CatalogError, wire.Refused) as exc:
        return type(exc)


@pytest.mark.parametrize("seed", range(4))
def test_the_typed_path_never_admits_what_the_checks_refuse(tmp_path, seed):
    """Random damage to entries (a field set to a tricky value, removed, or a top-level field
    changed): where the typed path admits the file, the checks admit it too and build the same
    catalog; where the checks refuse it, the typed path refuses it."""
    rnd = random.Random(seed)
    base = sound(tmp_path)
    for _ in range(150):
        obj = copy.deepcopy(base)
        for _ in range(rnd.randint(1, 2)):
            entry = rnd.choice(obj["entries"])
            field = rnd.choice(ENTRY_FIELDS)
            if rnd.random() < 0.1:
                entry.pop(field, None)
            elif rnd.random() < 0.1:
                obj[rnd.choice(["schema_version", "provider", "currency", "updated_at"])] = rnd.choice(TRICKY)
            else:
                entry[field] = copy.deepcopy(rnd.choice(TRICKY))
        data = json.dumps(obj).encode()
        fast = outcome(wire.catalog, data, "aws")
        checked = outcome(parse_catalog, json.loads(data), "x", "aws")
        if fast is not wire.Refused:
            assert checked == fast, obj
        if checked is CatalogError:
            assert fast is wire.Refused, obj


@pytest.mark.parametrize("name", [*SPECS, "unknown_later_key"])
def test_the_typed_path_reads_every_spec_value_as_the_checks_do(tmp_path, name):
    """Every tricky value in every spec key: the same catalog from both paths, or both refuse."""
    base = sound(tmp_path)
    for value in TRICKY:
        obj = copy.deepcopy(base)
        obj["entries"][1]["specs"][name] = copy.deepcopy(value)
        data = json.dumps(obj).encode()
        fast = outcome(wire.catalog, data, "aws")
        checked = outcome(parse_catalog, json.loads(data), "x", "aws")
        if fast is not wire.Refused:
            assert checked == fast, (name, value)
        if checked is CatalogError:
            assert fast is wire.Refused, (name, value)


@pytest.mark.parametrize("text", ["AWS\u202eGraviton", "Intel\x7f", "Intel\x9b2J", "Xeon\u2028", "Graviton\ud800"])
def test_an_unprintable_spec_written_raw_or_escaped_is_refused_by_both_paths(tmp_path, text):
    """The typed path skips the per-string scan for a plain ASCII file (core.wire.plain_text):
    a raw UTF-8 bidi override, DEL or C1 control, or any escape, must still be refused."""
    for ensure_ascii in (True, False):
        obj = sound(tmp_path)
        obj["entries"][1]["specs"]["processor"] = text
        data = json.dumps(obj, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        assert outcome(wire.catalog, data, "aws") is wire.Refused
        assert outcome(parse_catalog, json.loads(data), "x", "aws") is CatalogError


def test_a_key_given_twice_reads_as_json_load_reads_it(tmp_path):
    """JSON allows a key twice; json.load keeps the last value, and so must the typed path."""
    obj = sound(tmp_path)
    text = json.dumps(obj)
    good, bad = '"price_per_hour": "0.0001000000"', '"price_per_hour": "0.0001000000", "price_per_hour": "1e-3"'
    assert text.count(good) == 1
    path = tmp_path / "aws_catalog.json"
    path.write_text(text.replace(good, bad))
    with pytest.raises(CatalogError, match=r"entries\[0\] price_per_hour '1e-3' is not a decimal string"):
        load_catalog(path, "aws")
    path.write_text(text.replace(good, good.replace("0001", "0002") + ", " + good))
    assert load_catalog(path, "aws").entries[0].price_per_hour == "0.0001000000"


def test_a_catalog_is_written_byte_for_byte_as_before(tmp_path):
    obj = sound(tmp_path)
    obj["entries"][1]["family"] = 'é\u2028\x1f"\\'  # free text: escapes as json.dumps writes them
    path = tmp_path / "aws_catalog.json"
    path.write_text(json.dumps(obj))
    cat = load_catalog(path, "aws")
    write_catalog(path, cat)
    assert path.read_bytes() == json_bytes(cat.to_json(), path)
    assert load_catalog(path, "aws") == cat


def test_a_value_only_the_checks_admit_is_still_read_and_written(tmp_path):
    """An integer past 64 bits is a valid vcpu for the checks, not for the C types: the file is
    read and written all the same, through the slower path."""
    obj = sound(tmp_path)
    obj["entries"][2]["vcpu"] = 10**30
    path = tmp_path / "aws_catalog.json"
    path.write_text(json.dumps(obj))
    cat = load_catalog(path, "aws")
    assert cat.entries[2].vcpu == 10**30
    write_catalog(path, cat)
    assert json.loads(path.read_text())["entries"][2]["vcpu"] == 10**30


def test_a_lone_surrogate_is_refused_at_write_as_before(tmp_path):
    path = small_catalog(tmp_path / "aws_catalog.json")
    cat = load_catalog(path, "aws")
    before = path.read_bytes()
    broken = replace(cat, entries=(replace(cat.entries[0], family="\ud800"), *cat.entries[1:]))
    with pytest.raises(CatalogError, match=r"cannot write .*surrogates not allowed"):
        write_catalog(path, broken)
    assert path.read_bytes() == before


def record(i: int, **extra) -> PriceRecord:
    return PriceRecord(f"m5.{i}xlarge", "us-east-1", "linux", f"0.{i:04d}", "USD", "m5", 2, 8.0, 0, "x86_64", **extra)


def test_the_cache_is_written_as_before_and_read_back_typed(tmp_path, monkeypatch):
    spot = KindPrice(**SPOT)
    records = (record(1), record(2, prices={"spot": spot}, sku="ABCDEFGH12345678"), record(3, sku="X1"))
    regions = {
        "us-east-1": {"version": "v1", "publication_date": None, "count": 3, "fetched_at": "2026-11-29T02:00:00Z"}
    }
    cache = PriceCache("aws", "bulk", "2026-11-29T02:00:00Z", "v1", regions, records)
    write_cache(tmp_path, cache)
    path = tmp_path / "aws_cache.json"
    assert path.read_bytes() == json_bytes(cache.to_json(), path)
    monkeypatch.setattr("pricesync.core.cache.parse_record", lambda *a: pytest.fail("checked field by field"))
    loaded = load_cache(tmp_path, "aws")
    assert loaded == cache and loaded.fingerprint


def test_gc_pause_nests_across_threads_and_restores_the_collector():
    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def hold():
        with wire.gc_paused:
            entered.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    entered.wait(10)
    with wire.gc_paused:
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause goes on
    release.set()
    other.join(10)
    assert gc.isenabled()
