from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import load_settings
from tests import offerdata
from tests.priceserver import PriceServer, Running

US_EAST_1 = {
    ("m5.large", "Linux"): "0.0960000000",
    ("m5.large", "Windows"): "0.1880000000",
    ("m5.xlarge", "Linux"): "0.1920000000",
    ("c6g.large", "Linux"): "0.0680000000",
    ("p4d.24xlarge", "Linux"): "32.7726000000",
    ("t3.micro", "RHEL"): "0.0392000000",
}
EU_WEST_1 = {
    ("m5.large", "Linux"): "0.1070000000",
    ("m5.xlarge", "Linux"): "0.2140000000",
    ("c6g.large", "Linux"): "0.0770000000",
}


@pytest.fixture
def server():
    running = Running()
    yield running.state
    running.stop()


def serve_aws(server: PriceServer, regions: dict[str, tuple[str, dict]], *, index_etag: str | None = '"idx-1"') -> None:
    """Serve a region index and one offer file per region: {region: (version, prices)}."""
    server.set(
        "/offers/v1.0/aws/AmazonEC2/current/region_index.json",
        offerdata.dump(offerdata.region_index({r: v for r, (v, _) in regions.items()})),
        etag=index_etag,
    )
    for region, (version, prices) in regions.items():
        server.set(
            f"/offers/v1.0/aws/AmazonEC2/{version}/{region}/index.json",
            offerdata.dump(offerdata.region_offer(region, prices, version=version)),
        )


@pytest.fixture
def aws_server(server):
    serve_aws(server, {"us-east-1": ("20251101000000", US_EAST_1), "eu-west-1": ("20251101000000", EU_WEST_1)})
    return server


def small_catalog(path: Path, entries: list[dict] | None = None) -> Path:
    """A catalog with the fixture's instance types in us-east-1 and eu-west-1, never synced."""
    if entries is None:
        entries = []
        for region, prices in (("us-east-1", US_EAST_1), ("eu-west-1", EU_WEST_1)):
            for itype, os in prices:
                vcpu, mem, gpu, _ = offerdata.SPECS[itype]
                entries.append({
                    "instance_type": itype, "family": itype.split(".")[0], "region": region, "os": os.lower(),
                    "vcpu": int(vcpu), "memory_gib": float(mem.split()[0].replace(",", "")), "gpu": int(gpu or 0),
                    "arch": "arm64" if itype.startswith("c6g") else "x86_64",
                    "price_per_hour": None, "price_synced_at": None, "available": True,
                })
    path.write_text(json.dumps({
        "schema_version": 1, "provider": "aws", "currency": "USD", "updated_at": None,
        "source": {"mode": "bundled", "version": None, "publication_date": None}, "entries": entries,
    }, indent=1))
    return path


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    small_catalog(d / "aws_catalog.json")
    return d


@pytest.fixture
def settings(data_dir, tmp_path, aws_server):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[aws]\nendpoint = "{aws_server.url}"\n[http]\nretries = 2\nbackoff_s = 0.01\ntimeout_s = 5\n')
    return load_settings(cfg, data_dir)
