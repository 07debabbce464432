"""The catalog store (core.catalog + core.fileio): validation, atomic locked writes, first run."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pricesync.core import catalog as catalog_mod
from pricesync.core import fileio
from pricesync.core.catalog import (
    bundled_catalog_file,
    ensure_catalog,
    load_catalog,
    write_catalog,
)
from pricesync.core.errors import CatalogError, SyncBusy
from pricesync.core.fileio import lock_path

from tests.conftest import small_catalog


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_raw(path: Path, obj: object) -> Path:
    path.write_text(json.dumps(obj))
    return path


def base(tmp_path) -> dict:
    return json.loads(small_catalog(tmp_path / "base.json").read_text())


# -- validation ---------------------------------------------------------------------------------


def test_valid_catalog_loads_with_exact_price_strings(tmp_path):
    obj = base(tmp_path)
    obj["entries"][0]["price_per_hour"] = "0.0960000000"
    cat = load_catalog(write_raw(tmp_path / "aws_catalog.json", obj), "aws")
    assert cat.entries[0].price_per_hour == "0.0960000000"
    assert len(cat.entries) == len(obj["entries"])


def test_bad_json_names_file_and_problem(tmp_path):
    path = tmp_path / "aws_catalog.json"
    path.write_text('{"schema_version": 1, "entries": [')
    with pytest.raises(CatalogError, match=rf"{re.escape(str(path))} is not valid JSON"):
        load_catalog(path)


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "aws_catalog.json"
    with pytest.raises(CatalogError, match=rf"{re.escape(str(path))} does not exist"):
        load_catalog(path)


def test_binary_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "aws_catalog.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CatalogError, match=rf"{re.escape(str(path))} is not valid JSON"):
        load_catalog(path)


ENTRY_PROBLEMS = {
    "vcpu as string": ("vcpu", "2", r"entries\[0\] 'vcpu' has the wrong type \(str\)"),
    "price as float": ("price_per_hour", 0.096, r"entries\[0\] 'price_per_hour' has the wrong type \(float\)"),
    "price in exponent form": ("price_per_hour", "1e-3", r"entries\[0\] price_per_hour '1e-3' is not a decimal string"),
    "price with newline": ("price_per_hour", "0.5\n", r"entries\[0\] price_per_hour '0.5\\n' is not a decimal string"),
    "available as int": ("available", 1, r"entries\[0\] 'available' has the wrong type \(int\)"),
    "gpu as bool": ("gpu", True, r"entries\[0\] 'gpu' has the wrong type \(bool\)"),
    "region null": ("region", None, r"entries\[0\] 'region' has the wrong type \(NoneType\)"),
}


@pytest.mark.parametrize("name", ENTRY_PROBLEMS)
def test_wrong_entry_types_name_file_entry_and_field(tmp_path, name):
    field, value, message = ENTRY_PROBLEMS[name]
    obj = base(tmp_path)
    obj["entries"][0][field] = value
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: {message}"):
        load_catalog(path)


def test_missing_entry_field_is_named(tmp_path):
    obj = base(tmp_path)
    del obj["entries"][2]["os"]
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: entries\[2\] has no 'os'"):
        load_catalog(path)


def test_duplicate_keys_are_named(tmp_path):
    obj = base(tmp_path)
    obj["entries"].append(dict(obj["entries"][0], price_per_hour="1.0"))
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: duplicate entry m5.large/us-east-1/linux"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(schema_version=3), "schema_version 3 is not one of 1, 2"),
        (lambda o: o.update(provider="ibm"), "provider 'ibm' is not"),
        (lambda o: o.pop("currency"), "'currency' is missing"),
        (lambda o: o.update(source="bundled"), "'source' must be an object"),
        (lambda o: o.update(entries={}), "'entries' must be a list"),
        (lambda o: o["entries"].__setitem__(0, "m5.large"), r"entries\[0\] is not an object"),
    ],
)
def test_wrong_top_level_shape_is_named(tmp_path, change, message):
    obj = base(tmp_path)
    change(obj)
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: {message}"):
        load_catalog(path)


RESERVED = "reserved-1yr-standard-partial-upfront"
SPOT_PRICE = {
    "hourly": "0.0312",
    "upfront": "0",
    "effective_hourly": "0.0312000000",
    "fetched_at": "2026-11-29T10:00:00Z",
    "interruption": "<5%",
    "savings_pct": 67,
}
RESERVED_PRICE = {"hourly": "0.0270000000", "upfront": "237", "effective_hourly": "0.0540547945"}


def test_schema_1_is_read_and_written_as_schema_2_with_the_kinds_it_holds(tmp_path):
    obj = base(tmp_path)
    assert obj["schema_version"] == 1
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    cat = load_catalog(path, "aws")
    assert all(e.prices == {} for e in cat.entries)
    write_catalog(path, cat)
    written = json.loads(path.read_text())
    assert written["schema_version"] == 2
    assert all("prices" not in e for e in written["entries"])  # on-demand only: no empty object

    obj["entries"][0]["prices"] = {"spot": SPOT_PRICE, RESERVED: RESERVED_PRICE}
    cat = load_catalog(write_raw(path, obj), "aws")
    assert list(cat.entries[0].prices) == [RESERVED, "spot"]  # the kinds' documented order
    assert cat.entries[0].prices[RESERVED].upfront == "237"
    write_catalog(path, cat)
    again = json.loads(path.read_text())["entries"][0]["prices"]
    assert again == {RESERVED: RESERVED_PRICE, "spot": SPOT_PRICE}


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ([], "'prices' is not an object"),
        ({"reserved-5yr": RESERVED_PRICE}, "'prices' names an unknown kind"),
        ({RESERVED: "0.05"}, f"prices.{RESERVED} is not an object"),
        ({RESERVED: dict(RESERVED_PRICE, upfront="1e3")}, f"prices.{RESERVED}.upfront is not a decimal string"),
        ({RESERVED: dict(RESERVED_PRICE, hourly=None)}, f"prices.{RESERVED}.hourly is not a decimal string"),
        ({"spot": dict(SPOT_PRICE, interruption="\x1b[2J")}, "prices.spot.interruption is not a band"),
        ({"spot": dict(SPOT_PRICE, savings_pct=True)}, "prices.spot.savings_pct is not an integer"),
        ({"spot": dict(SPOT_PRICE, note="x")}, "prices.spot has an unknown field"),
    ],
)
def test_bad_kind_prices_are_named(tmp_path, prices, message):
    obj = base(tmp_path)
    obj["entries"][1]["prices"] = prices
    path = write_raw(tmp_path / "aws_catalog.json", obj)
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: entries\[1\] {re.escape(message)}"):
        load_catalog(path)


def test_other_providers_catalog_is_refused(tmp_path):
    path = small_catalog(tmp_path / "azure_catalog.json")
    with pytest.raises(CatalogError, match="provider 'aws' is not azure"):
        load_catalog(path, "azure")


# -- atomic write -------------------------------------------------------------------------------


def synced(path: Path):
    """The catalog at `path` with every price set: what a write-back produces."""
    cat = load_catalog(path, "aws")
    entries = tuple(
        replace(e, price_per_hour="0.1000000000", price_synced_at="2025-11-01T00:00:00Z") for e in cat.entries
    )
    return replace(cat, entries=entries, updated_at="2025-11-01T00:00:00Z")


def test_write_replaces_and_keeps_bak(tmp_path):
    path = small_catalog(tmp_path / "aws_catalog.json")
    old = path.read_bytes()
    new = synced(path)
    write_catalog(path, new)
    assert (tmp_path / "aws_catalog.json.bak").read_bytes() == old
    assert load_catalog(path, "aws") == new
    assert '"price_per_hour": "0.1000000000"' in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "aws_catalog.json",
        "aws_catalog.json.bak",
        "aws_catalog.json.lock",
    ]


def test_second_write_moves_bak_forward(tmp_path):
    path = small_catalog(tmp_path / "aws_catalog.json")
    write_catalog(path, synced(path))
    middle = path.read_bytes()
    write_catalog(path, replace(synced(path), currency="USD", updated_at="2025-12-01T00:00:00Z"))
    assert (tmp_path / "aws_catalog.json.bak").read_bytes() == middle


def test_write_keeps_the_old_files_mode(tmp_path):
    path = small_catalog(tmp_path / "aws_catalog.json")
    path.chmod(0o640)
    write_catalog(path, synced(path))
    assert mode_of(path) == 0o640


def test_new_file_gets_0644_not_mkstemps_0600(tmp_path):
    path = tmp_path / "aws_catalog.json"
    old_umask = os.umask(0o022)
    try:
        write_catalog(path, synced(small_catalog(tmp_path / "seed.json")))
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o644


def test_failed_replace_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = small_catalog(tmp_path / "aws_catalog.json")
    old = path.read_bytes()
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == path:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", failing_replace)
    with pytest.raises(CatalogError, match=rf"cannot write {re.escape(str(path))}: No space left on device"):
        write_catalog(path, synced(path))
    assert path.read_bytes() == old
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_lock_is_a_separate_file_held_across_processes(tmp_path, monkeypatch):
    """Another process holding `<catalog>.lock` blocks the write; the catalog itself is never locked."""
    path = small_catalog(tmp_path / "aws_catalog.json")
    old = path.read_bytes()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, filelock; l = filelock.FileLock(sys.argv[1]); l.acquire(); "
            "print('held', flush=True); sys.stdin.read()",
            str(lock_path(path)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        monkeypatch.setattr(catalog_mod, "WRITE_LOCK_WAIT_S", 0.2)
        with pytest.raises(SyncBusy, match="is being written"):
            write_catalog(path, synced(path))
        assert path.read_bytes() == old
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    write_catalog(path, synced(path))  # released with the process
    assert load_catalog(path, "aws").entries[0].price_per_hour == "0.1000000000"


# -- first run ----------------------------------------------------------------------------------


def bundled_or_skip(provider: str) -> Path:
    src = Path(str(bundled_catalog_file(provider)))
    if not src.is_file():
        pytest.skip(f"bundled catalog core/data/{provider}_catalog.json is not there yet")
    return src


@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_first_run_copies_the_bundled_catalog(tmp_path, provider):
    src = bundled_or_skip(provider)
    data = tmp_path / "fresh" / "data"
    path = ensure_catalog(data, provider)
    assert path == data / f"{provider}_catalog.json"
    assert path.read_bytes() == src.read_bytes()
    assert mode_of(path) == 0o644
    cat = load_catalog(path, provider)
    assert cat.entries and all(e.price_per_hour is None for e in cat.entries)
    assert sorted(p.name for p in data.iterdir() if not p.name.endswith(".lock")) == [path.name]


def test_existing_catalog_is_never_overwritten_by_the_bundled_one(tmp_path):
    bundled_or_skip("aws")
    path = small_catalog(tmp_path / "aws_catalog.json")
    before = path.read_bytes()
    assert ensure_catalog(tmp_path, "aws") == path
    assert path.read_bytes() == before
