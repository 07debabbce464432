"""The richer specs (core.specs): the parsers on the AWS attributes' real shapes and traps, what
Azure's and GCP's names tell, the loaders' rules, and how a record's specs reach an entry."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pricesync.core.catalog import load_catalog
from pricesync.core.diff import diff_catalog, merge
from pricesync.core.errors import CatalogError
from pricesync.core.models import Catalog, CatalogEntry, PriceRecord, SourceInfo
from pricesync.core.providers.aws_offer import select_product
from pricesync.core.providers.specs import named_specs
from pricesync.core.query import parse
from pricesync.core.specs import SPEC_TEXT_MAX, Specs, clock_ghz, described_specs, network_gbps, storage_size

from tests.fakes import offerdata


@pytest.mark.parametrize(
    ("text", "gbps"),
    [
        ("25 Gigabit", 25),
        ("Up to 10 Gigabit", 10),
        ("Up to 12.5 Gigabit", 12.5),
        ("4x 100 Gigabit", 400),
        ("8x 400 Gigabit", 3200),
        ("3200 Gigabit", 3200),
        ("Very Low", None),  # the word levels hold no number: unknown, never a guess
        ("Low", None),
        ("Low to Moderate", None),
        ("Moderate", None),
        ("High", None),
        ("NA", None),
        ("Up to 10 Megabit", None),
        ("999x 99999 Gigabit", None),  # beyond the loaders' limit: unknown, not a refused record
    ],
)
def test_network_gbps(text, gbps):
    assert network_gbps(text) == gbps


@pytest.mark.parametrize(
    ("text", "ghz"),
    [("3.1 GHz", 3.1), ("3 GHz", 3), ("Up to 3.5 GHz", 3.5), ("NA", None), ("", None), ("3.1 MHz", None)],
)
def test_clock_ghz(text, ghz):
    assert clock_ghz(text) == ghz


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("EBS only", (0, "ebs-only")),
        ("1 x 75 NVMe SSD", (75, "nvme")),
        ("2 x 900 NVMe SSD", (1800, "nvme")),
        ("8 x 1000 SSD", (8000, "ssd")),
        ("4 x 2000 HDD", (8000, "hdd")),
        ("1 x 410", (410, None)),  # an old instance store: a size, no type
        ("NA", (None, None)),
        ("lots", (None, None)),
    ],
)
def test_storage_size(text, size):
    assert storage_size(text) == size


def test_described_specs_keep_the_texts_and_read_the_numbers():
    attributes = (
        "Yes",
        "Intel Xeon Platinum 8175 (Skylake)",
        "Intel AVX; Intel AVX2",
        "Up to 3.5 GHz",
        "4x 100 Gigabit",
        "NA",
    )
    specs = described_specs(*attributes)
    assert specs == Specs(
        current_generation=True,
        processor="Intel Xeon Platinum 8175 (Skylake)",
        processor_features="Intel AVX; Intel AVX2",
        clock="Up to 3.5 GHz",
        clock_ghz=3.5,
        network="4x 100 Gigabit",
        network_gbps=400.0,
    )
    assert described_specs(*attributes) is specs  # one value for every region's product
    assert described_specs("No", "", "", "", "High", "").to_json() == {"current_generation": False, "network": "High"}
    assert described_specs("", "", "", "NA", "", "") is None


@pytest.mark.parametrize(
    "bad", ["Intel\x1b]0;owned\x07", "AWS\u202eGraviton", "x" * (SPEC_TEXT_MAX + 1), "line\nbreak"]
)
def test_a_description_that_is_not_spec_text_is_unknown(bad):
    specs = described_specs("Maybe", bad, bad, bad, bad, bad)
    assert specs is None


def test_select_product_reads_the_offer_attributes():
    product = offerdata.product("S1", "p4d.24xlarge")
    selected, _ = select_product(product, "us-east-1")
    assert selected is not None and selected.specs is not None
    assert selected.specs.network_gbps == 400 and selected.specs.storage_gb == 8000
    assert selected.specs.storage_type == "ssd" and selected.specs.clock_ghz == 3
    product["attributes"]["physicalProcessor"] = ["not", "a", "string"]
    selected, _ = select_product(product, "us-east-1")
    assert selected is not None and selected.specs is not None and selected.specs.processor is None


@pytest.mark.parametrize(
    ("provider", "name", "processor", "storage"),
    [
        ("azure", "Standard_D2as_v5", "AMD", None),
        ("azure", "Standard_D4pds_v5", "Ampere Altra (Arm)", "local temporary disk"),
        ("azure", "Standard_D2ps_v6", "Azure Cobalt 100 (Arm)", None),
        ("azure", "Standard_NC24ads_A100_v4", "AMD", "local temporary disk"),
        ("azure", "Standard_E64-16ds_v4", None, "local temporary disk"),
        ("azure", "Standard_HB120rs_v3", None, None),  # AMD in fact, but the name does not say
        ("azure", "Standard_DS2_v2", None, None),
        ("gcp", "t2a-standard-4", "Ampere Altra (Arm)", None),
        ("gcp", "n2d-standard-8", "AMD EPYC Rome or Milan", None),
        ("gcp", "c4a-highmem-8", "Google Axion (Arm)", None),
        ("gcp", "e2-standard-4", None, None),  # E2 picks its platform: unknown
    ],
)
def test_what_azure_and_gcp_names_tell(provider, name, processor, storage):
    specs = named_specs(provider, name)
    assert (specs.processor if specs else None) == processor
    assert (specs.storage if specs else None) == storage
    assert specs is None or (specs.clock_ghz, specs.network_gbps, specs.storage_gb) == (None, None, None)


# -- the loaders --------------------------------------------------------------------------------


def catalog_file(tmp_path, specs: object):
    entry = {
        "instance_type": "m5.large",
        "family": "m5",
        "region": "us-east-1",
        "os": "linux",
        "vcpu": 2,
        "memory_gib": 8.0,
        "gpu": 0,
        "arch": "x86_64",
        "price_per_hour": "0.096",
        "price_synced_at": None,
        "available": True,
        "specs": specs,
    }
    doc = {"schema_version": 2, "provider": "aws", "currency": "USD", "source": {"mode": "x"}, "entries": [entry]}
    path = tmp_path / "aws_catalog.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ({"current_generation": "Yes"}, "specs.current_generation is not true or false"),
        ({"processor": 8175}, "specs.processor is not printable text"),
        ({"processor": "x" * (SPEC_TEXT_MAX + 1)}, "specs.processor is not printable text"),
        ({"network": "Up to 10\x1b[2J Gigabit"}, "specs.network is not printable text"),
        ({"storage": ""}, "specs.storage is not printable text"),
        ({"network_gbps": "25"}, "specs.network_gbps is not a number"),
        ({"clock_ghz": 1000}, "specs.clock_ghz is not a number"),
        ({"storage_gb": -1}, "specs.storage_gb is not a number"),
        ({"storage_gb": True}, "specs.storage_gb is not a number"),
        ({"storage_type": "tape"}, "specs.storage_type is not one of"),
        (["nvme"], "'specs' is not an object"),
    ],
)
def test_the_loader_refuses_malformed_specs_in_one_line(tmp_path, specs, message):
    path = catalog_file(tmp_path, specs)
    with pytest.raises(CatalogError) as err:
        load_catalog(path, "aws")
    text = str(err.value)
    assert message in text and str(path) in text and "entries[0]" in text
    assert "\n" not in text and "\x1b" not in text and "x" * 50 not in text


def test_the_loader_reads_specs_and_ignores_keys_it_does_not_know(tmp_path):
    path = catalog_file(tmp_path, {"processor": "AWS Graviton2 Processor", "network_gbps": 25, "later": [1]})
    entry = load_catalog(path, "aws").entries[0]
    assert entry.specs == Specs(processor="AWS Graviton2 Processor", network_gbps=25.0)
    assert load_catalog(catalog_file(tmp_path, None), "aws").entries[0].specs is None


# -- from a record to the catalog ---------------------------------------------------------------

M5 = described_specs("Yes", "Intel Xeon Platinum 8175", "", "3.1 GHz", "Up to 10 Gigabit", "EBS only")


def entry(specs: Specs | None = None) -> CatalogEntry:
    return CatalogEntry("m5.large", "m5", "us-east-1", "linux", 2, 8.0, 0, "x86_64", "0.096", specs=specs)


def record(specs: Specs | None = None) -> PriceRecord:
    return PriceRecord("m5.large", "us-east-1", "linux", "0.096", "USD", "m5", 2, 8.0, 0, "x86_64", specs=specs)


def test_a_record_without_specs_keeps_the_entrys():
    assert entry(M5).with_record(record(None), "now").specs == M5
    assert entry(None).with_record(record(M5), "now").specs == M5


def test_a_record_replaces_the_specs_it_knows_a_description_with_its_numbers():
    assert M5 is not None
    newer = Specs(network="25 Gigabit", network_gbps=25.0)
    merged = entry(M5).with_record(record(newer), "now").specs
    assert merged == replace(M5, network="25 Gigabit", network_gbps=25.0)
    words_only = Specs(network="High")  # a description without a number: the old number goes with the old text
    assert entry(M5).with_record(record(words_only), "now").specs == replace(M5, network="High", network_gbps=None)


def test_a_fetch_that_brings_only_specs_is_written_back():
    catalog = Catalog("aws", "USD", None, SourceInfo("x"), (entry(None),))
    diff = diff_catalog(catalog, [record(M5)], ["us-east-1"])
    assert not diff.empty and diff.specs_changed == 1 and not diff.changed
    assert merge(catalog, [record(M5)], diff, now="t", source=SourceInfo("x")).entries[0].specs == M5
    same = Catalog("aws", "USD", None, SourceInfo("x"), (entry(M5),))
    assert diff_catalog(same, [record(M5)], ["us-east-1"]).empty
    assert diff_catalog(same, [record(None)], ["us-east-1"]).empty


# -- the filter terms on one entry --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("gen:current", True),
        ("gen:previous", False),
        ("net>=10", True),
        ("net>10", False),
        ("net>=10gbit", True),
        ("clock>=3", True),
        ("clock>=3.2ghz", False),
        ("storage:ebs*", True),
        ("storage:nvme*", False),
        ("disk=0", True),
        ("disk>=1000", False),
        ("cpu:xeon*", True),  # a pattern: the processor, from any word
        ("cpu:graviton*", False),
        ("processor:*platinum*", True),
        ("cpu>=2", True),  # a number: vCPUs, as before
        ("cpu>2", False),
        ("cpu!=*amd*", True),
    ],
)
def test_spec_terms_on_an_entry(text, hit):
    query = parse(text)
    assert not query.bad
    assert query.matches(entry(M5)) is hit
    assert not query.matches(entry(None)) or text.startswith("cpu>=2")  # unknown specs pass no spec term


def test_a_spec_term_that_is_not_understood_is_bad():
    assert [b.reason for b in parse("net>=fast clock<x cpu>graviton").bad] == [
        "'fast' is not a number",
        "'x' is not a number",
        "'graviton' is not a number",
    ]
