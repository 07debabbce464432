from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from os import environ
from pathlib import Path

import pytest
from pricesync.core.config import load_settings

from tests.fakes import offerdata
from tests.fakes.priceserver import PriceServer, Running

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


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes several seconds (deselect with -m 'not slow')")


STRAY_THREAD_WAIT_S = 15.0


@pytest.fixture(autouse=True)
def no_stray_sync_threads():
    """After each test, wait for the sync and webhook threads it started (`pricesync-*`) to end.
    A sync the scheduler gave up on at shutdown may still be waiting on a slow test server; its
    last log lines would otherwise land in the next test's log pane (and its snapshot)."""
    yield
    deadline = time.monotonic() + STRAY_THREAD_WAIT_S
    for thread in threading.enumerate():
        if thread.name.startswith("pricesync-") and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


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
            for itype, os_name in prices:
                vcpu, mem, gpu, _ = offerdata.SPECS[itype]
                entries.append(
                    {
                        "instance_type": itype,
                        "family": itype.split(".")[0],
                        "region": region,
                        "os": os_name.lower(),
                        "vcpu": int(vcpu),
                        "memory_gib": float(mem.split()[0].replace(",", "")),
                        "gpu": int(gpu or 0),
                        "arch": "arm64" if itype.startswith("c6g") else "x86_64",
                        "price_per_hour": None,
                        "price_synced_at": None,
                        "available": True,
                    }
                )
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "provider": "aws",
                "currency": "USD",
                "updated_at": None,
                "source": {"mode": "bundled", "version": None, "publication_date": None},
                "entries": entries,
            },
            indent=1,
        )
    )
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


# -- running `pricesync` as a real subprocess, and checking a data dir was left alone ------------

CLI = [sys.executable, "-m", "pricesync.core.cli"]


def cli_env(settings) -> dict[str, str]:
    """Environment of a `pricesync` subprocess bound to `settings` (never the user's own files)."""
    env = {k: v for k, v in environ.items() if not k.startswith("PRICESYNC_")}
    return env | {"PRICESYNC_CONFIG": str(settings.config_path), "PRICESYNC_DATA_DIR": str(settings.data_dir)}


@pytest.fixture
def cli(settings):
    """`cli("sync", "--json")` runs `pricesync` against `settings` and returns the CompletedProcess."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, *args], env=cli_env(settings), capture_output=True, text=True, timeout=timeout, check=False
        )

    return run


def read_terminal(master: int) -> bytes:
    """Everything written to a pseudo-terminal until the child closes it; closes `master`."""
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ATTEMPT_KEYS = ("last_attempt", "last_status", "last_error")


def data_snapshot(d: Path) -> dict[str, str]:
    """sha256 of every file in a data dir but sync.log*, history.sqlite3* and locks (a failed sync
    records itself in those on purpose); state.json without the attempt bookkeeping a failed sync
    records (its versions and validators must not move)."""
    snap = {}
    for p in sorted(d.iterdir()):
        if not p.is_file() or p.name.startswith(("sync.log", "history.sqlite3")) or p.name.endswith(".lock"):
            continue
        data = p.read_bytes()
        if p.name == "state.json":
            state = json.loads(data)
            for entry in state["providers"].values():
                for key in ATTEMPT_KEYS:
                    entry.pop(key, None)
            data = json.dumps(state, sort_keys=True).encode()
        snap[p.name] = hashlib.sha256(data).hexdigest()
    return snap


def assert_files_kept(before: dict[str, str], d: Path) -> None:
    """Every file of the `before` snapshot is still there, byte for byte."""
    after = data_snapshot(d)
    assert {name: after.get(name) for name in before} == before
