"""Fixtures and helpers every folder shares: the fake AWS price server and the price lists it
publishes, a data dir and settings bound to it, GCP settings, a webhook receiver, `pricesync` as
a real subprocess, and checks that a data dir was left alone. The fake servers and the data
builders themselves are in tests/fakes/."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from os import environ
from pathlib import Path

import pytest
from pricesync.core.config import DEFAULT_PRICE_KINDS, load_settings

from tests.fakes import gcpdata, offerdata
from tests.fakes.priceserver import PriceServer, Route, Running


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


# -- the fake AWS Price List Bulk API: its price list versions, paths and prices -----------------------

V1, V2, V3 = "20251101000000", "20251201000000", "20260101000000"
INDEX = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"


def offer_path(region: str, version: str = V1) -> str:
    return f"/offers/v1.0/aws/AmazonEC2/{version}/{region}/index.json"


OFFER = offer_path("us-east-1")

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
# later versions with price changes (the price history's fixture)
US_V2 = {k: v for k, v in US_EAST_1.items() if k != ("t3.micro", "RHEL")} | {
    ("m5.large", "Linux"): "0.1000000000",  # +4.17%
    ("p4d.24xlarge", "Linux"): "29.4953400000",  # -10%
    ("x1e.32xlarge", "Linux"): "26.6880000000",  # new
}
EU_V2 = EU_WEST_1 | {("c6g.large", "Linux"): "0.0731500000"}  # -5%
US_V3 = US_V2 | {("m5.large", "Linux"): "0.1050000000"}  # +5%
M5_US = ("m5.large", "us-east-1", "linux")


def serve_aws(server: PriceServer, regions: dict[str, tuple[str, dict]], *, index_etag: str | None = '"idx-1"') -> None:
    """Serve a region index and one offer file per region: {region: (version, prices)}."""
    server.set(
        INDEX,
        offerdata.dump(offerdata.region_index({r: v for r, (v, _) in regions.items()})),
        etag=index_etag,
    )
    for region, (version, prices) in regions.items():
        server.set(offer_path(region, version), offerdata.dump(offerdata.region_offer(region, prices, version=version)))


def serve_version(server: PriceServer, version: str, us: dict, eu: dict) -> None:
    """Publish a new price list version for both fixture regions."""
    serve_aws(server, {"us-east-1": (version, us), "eu-west-1": (version, eu)}, index_etag=f'"{version}"')


def serve_cny(server: PriceServer) -> None:
    """eu-west-1 published in CNY (a China region's file) while the catalog is USD."""
    cny = {k: str(Decimal(v) * 7) for k, v in EU_WEST_1.items()}
    serve_aws(server, {"us-east-1": (V1, US_EAST_1), "eu-west-1": (V2, cny)}, index_etag='"idx-2"')
    server.set(
        offer_path("eu-west-1", V2),
        offerdata.dump(offerdata.region_offer("eu-west-1", cny, currency="CNY", version=V2)),
    )


@pytest.fixture
def server():
    """The fake price server on 127.0.0.1, serving nothing yet."""
    running = Running()
    yield running.state
    running.stop()


@pytest.fixture
def aws_server(server):
    """The fake price server publishing US_EAST_1 and EU_WEST_1 at version V1."""
    serve_aws(server, {"us-east-1": (V1, US_EAST_1), "eu-west-1": (V1, EU_WEST_1)})
    return server


# -- a data dir and settings -------------------------------------------------------------------------------


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


# the default price kinds and spot (an opt-in): what the Azure and GCP kind tests sync
WITH_SPOT = (*DEFAULT_PRICE_KINDS, "spot")


def aws_settings(tmp_path: Path, data_dir: Path, endpoint: str, price_kinds: Sequence[str] = ()):
    """Settings from a config file in `tmp_path` whose AWS source is `endpoint`, with quick retries,
    keeping `price_kinds` besides on-demand (none by default: tests of the kinds ask for them)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[sync]\nprice_kinds = {json.dumps(list(price_kinds))}\n[aws]\nendpoint = "{endpoint}"\n'
        "[http]\nretries = 2\nbackoff_s = 0.01\ntimeout_s = 5\n"
    )
    return load_settings(cfg, data_dir)


@pytest.fixture
def settings(data_dir, tmp_path, aws_server):
    return aws_settings(tmp_path, data_dir, aws_server.url)


# -- GCP -----------------------------------------------------------------------------------------------------

GCP_KEY = "AIzaSyTEST-not-a-real-key-0123456789"
GCP_REGIONS = ("us-east1", "europe-west1")


@pytest.fixture
def gcp_settings(tmp_path, server, monkeypatch):
    """GCP enabled for GCP_REGIONS, against `server` (serving nothing yet), the key in the config."""
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f"[sync]\nprice_kinds = {json.dumps(list(WITH_SPOT))}\n"
        f"[gcp]\nenabled = true\nregions = {json.dumps(list(GCP_REGIONS))}\n"
        f'endpoint = "{server.url}{gcpdata.PATH}"\napi_key = "{GCP_KEY}"\n'
        "[http]\nretries = 2\nbackoff_s = 0.01\ntimeout_s = 5\n"
    )
    return load_settings(cfg, tmp_path / "data")


# -- webhooks ------------------------------------------------------------------------------------------------

HOOK_TOKEN = "query-token-77b1e0"


def receiver(server: PriceServer, path: str = "/hook", route: Route | None = None) -> list[tuple[dict, bytes]]:
    """Collect (headers, raw body) of every POST to `path`, answered by `route` (200 by default)."""
    got: list[tuple[dict, bytes]] = []
    route = route or Route(b"ok", content_type="text/plain")

    def respond(_path: str, headers: dict, body: bytes) -> Route:
        got.append((headers, body))
        return route

    server.responders[path] = respond
    return got


def hook_url(server: PriceServer, path: str = "/hook") -> str:
    return f"{server.url}{path}?token={HOOK_TOKEN}"


def with_webhooks(settings, *hooks: dict):
    """`settings` with these [[notify.webhook]] tables added to its config file."""
    text = settings.config_path.read_text()
    for hook in hooks:
        text += "\n[[notify.webhook]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in hook.items())
    settings.config_path.write_text(text)
    return load_settings(settings.config_path, settings.data_dir)


# -- running `pricesync` as a real subprocess ------------------------------------------------------------

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


def run_gcp_cli(settings, *args: str, key: str | None = GCP_KEY) -> subprocess.CompletedProcess:
    """`pricesync ARGS` against `settings` with `key` (if any) in PRICESYNC_GCP_API_KEY."""
    env = cli_env(settings) | ({"PRICESYNC_GCP_API_KEY": key} if key else {})
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


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


def one_line(stderr: str, pattern: str) -> None:
    """`stderr` is one `pricesync: ` line that matches `pattern`."""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert stderr.startswith("pricesync: "), stderr
    assert re.search(pattern, stderr), stderr


# -- a data dir left alone -----------------------------------------------------------------------------------

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


@contextlib.contextmanager
def read_only(directory: Path):
    """Make `directory` refuse new entries, even to root (chattr +i); skip if that is impossible."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        undo = ["chmod", "755", str(directory)]
    elif (
        shutil.which("chattr")
        and subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False).returncode == 0
    ):
        undo = ["chattr", "-i", str(directory)]
    else:
        pytest.skip("running as root without chattr +i: cannot make a directory read-only")
    try:
        probe = directory / ".probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip(f"{directory} is still writable")
        yield
    finally:
        subprocess.run(undo, check=True)
