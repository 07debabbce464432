"""Fixtures and helpers of the TUI tests (also used by the TUI benchmark): the app at a frozen
clock and its Pilot waits, a frozen log time, fixed data dirs with prices, a pending cache and a
price history, synthetic catalogs."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pricesync.core.cache import PriceCache, write_cache
from pricesync.core.history import HistoryStore
from pricesync.core.models import Catalog, CatalogEntry, PriceRecord, SourceInfo, SyncResult
from pricesync.core.state import update_provider_state
from pricesync.tui.app import PriceSyncApp

from tests.conftest import EU_WEST_1, M5_US, US_EAST_1, aws_settings, closed_port, small_catalog
from tests.fakes import offerdata

FIXED_NOW = datetime(2025, 11, 3, 9, 30, 5, tzinfo=UTC)
FIXED_LOG_TIME = datetime(2025, 11, 3, 9, 30, 0, tzinfo=UTC).timestamp()
WAIT_S = 20.0  # a bound on waits for threads, not a timing assertion
SIZE = (160, 50)  # the terminal of the Pilot tests (the snapshots use their own)


async def wait_for(pilot, predicate, what: str = "condition", timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)
    await pilot.pause()


@pytest.fixture
def settings(data_dir, tmp_path):
    """Settings whose AWS endpoint nothing listens on: a TUI test that never syncs starts no
    server (one that syncs by mistake fails: connection refused)."""
    return aws_settings(tmp_path, data_dir, f"http://127.0.0.1:{closed_port()}")


@pytest.fixture
def served_settings(data_dir, tmp_path, aws_server):
    """Settings bound to the fake price server, for the TUI tests that sync."""
    return aws_settings(tmp_path, data_dir, aws_server.url)


def settle(app, timeout: float = WAIT_S) -> None:
    """After the app has exited: wait until its scheduler's run has ended, so the run's last
    log lines cannot reach the next test's log pane."""
    deadline = time.monotonic() + timeout
    while app.scheduler.running:
        assert time.monotonic() < deadline, "the scheduler's run did not end"
        time.sleep(0.05)


MADE: list[PriceSyncApp] = []


def make_app(settings, **kwargs) -> PriceSyncApp:
    """The dashboard at FIXED_NOW, its scheduler off unless given; settled after the test."""
    kwargs.setdefault("clock", lambda: FIXED_NOW)
    kwargs.setdefault("scheduler_enabled", False)
    MADE.append(PriceSyncApp(settings, **kwargs))
    return MADE[-1]


@pytest.fixture(autouse=True)
def settled():
    """No test ends with a sync still running (its log lines would reach the next test)."""
    yield
    while MADE:
        settle(MADE.pop())


async def loaded(pilot) -> PriceSyncApp:
    """Wait until the app has loaded its catalog (or failed to); returns the app."""
    app = pilot.app
    await wait_for(pilot, lambda: app.data is not None and (app.data.error or app.table.message is None), "the catalog")
    return app


def notes(app) -> list[str]:
    """The messages of the app's notifications."""
    return [n.message for n in app._notifications]


def status(app) -> str:
    return str(app.query_one("#status").render())


def log_text(app) -> str:
    """The log pane's lines run together (the pane wraps long lines)."""
    from pricesync.tui.widgets.log_pane import LogPane

    return "".join(line.text for line in app.query_one(LogPane).lines)


def screen_text(app) -> str:
    """Every visible line of the catalog table, as plain text."""
    from pricesync.tui.widgets.catalog_table import CatalogTable

    table = app.query_one(CatalogTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


@pytest.fixture
def frozen_log_time():
    """Every log record made during the test carries FIXED_LOG_TIME (deterministic snapshots)."""
    factory = logging.getLogRecordFactory()

    def fixed(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.created = FIXED_LOG_TIME
        return record

    logging.setLogRecordFactory(fixed)
    yield
    logging.setLogRecordFactory(factory)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """HOME is the test's tmp dir, so paths show as ~/data/... in snapshots."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def priced_entries() -> list[dict]:
    """The conftest catalog's entries, with the fixture server's prices as catalog prices."""
    entries = []
    for region, prices in (("us-east-1", US_EAST_1), ("eu-west-1", EU_WEST_1)):
        for (itype, os_), price in prices.items():
            vcpu, mem, gpu, _ = offerdata.SPECS[itype]
            entries.append(
                {
                    "instance_type": itype,
                    "family": itype.split(".")[0],
                    "region": region,
                    "os": os_.lower(),
                    "vcpu": int(vcpu),
                    "memory_gib": float(mem.split()[0].replace(",", "")),
                    "gpu": int(gpu or 0),
                    "arch": "arm64" if itype.startswith("c6g") else "x86_64",
                    "price_per_hour": price,
                    "price_synced_at": "2025-11-01T02:00:00Z",
                    "available": True,
                }
            )
    return entries


PENDING_PRICES = {  # what the cache holds where it differs from priced_entries()
    ("m5.large", "us-east-1", "linux"): "0.1000000000",  # +4.2%
    ("c6g.large", "eu-west-1", "linux"): "0.0700000000",  # -9.1%
}
MISSING = ("t3.micro", "us-east-1", "rhel")  # in the catalog, not in the cache
ADDED = PriceRecord("x1e.32xlarge", "us-east-1", "linux", "26.6880000000", "USD", "x1e", 128, 3904.0, 0, "x86_64")


def write_pending_data(data) -> None:
    """A priced catalog, a state with a fixed last sync, and a cache with one change up, one
    down, one added and one missing record."""
    small_catalog(data / "aws_catalog.json", priced_entries())
    records = []
    for e in priced_entries():
        key = (e["instance_type"], e["region"], e["os"])
        if key != MISSING:
            price = PENDING_PRICES.get(key, e["price_per_hour"])
            records.append(
                PriceRecord(*key, price, "USD", e["family"], e["vcpu"], e["memory_gib"], e["gpu"], e["arch"])
            )
    records.append(ADDED)
    region = {"version": "20251101000000", "publication_date": None, "count": 1, "fetched_at": "2025-11-03T02:00:00Z"}
    write_cache(
        data,
        PriceCache(
            "aws",
            "public",
            "2025-11-03T02:00:00Z",
            "20251101000000",
            {"us-east-1": region, "eu-west-1": region},
            tuple(records),
        ),
    )
    update_provider_state(
        data,
        "aws",
        {
            "last_attempt": "2025-11-03T02:00:00Z",
            "last_success": "2025-11-03T02:00:00Z",
            "last_status": "updated",
            "source_version": "20251101000000",
        },
    )


RESERVED_KIND = "reserved-1yr-standard-all-upfront"  # the longest label in the changes view: RI1s-all
HISTORY_V2 = [  # (key, old, new[, price kind]) of the second run that stored changes
    (M5_US, "0.0960000000", "0.1000000000"),
    (("p4d.24xlarge", "us-east-1", "linux"), "32.7726000000", "29.4953400000"),
    (("c6g.large", "eu-west-1", "linux"), "0.0770000000", "0.0731500000", RESERVED_KIND),
    (("x1e.32xlarge", "us-east-1", "linux"), None, "26.6880000000"),
    (("t3.micro", "us-east-1", "rhel"), "0.0392000000", None),
]
HISTORY_V3 = [(M5_US, "0.1000000000", "0.1050000000")]


def write_history(data) -> None:
    """Five aws runs at fixed times, newest last: a baseline, one with five changes, a failure,
    one with one change (written back), an unchanged one."""
    store = HistoryStore(data)
    regions = ("us-east-1", "eu-west-1")

    def run(at, status, changes=(), version="20251101000000", error=None, wrote_back=False):
        result = SyncResult(
            "aws",
            "public",
            status,
            regions,
            9,
            wrote_back=wrote_back,
            duration_s=1.5,
            error=error,
            source_version=version,
        )
        store.record(result, list(changes), at)

    run("2025-11-01T02:00:00Z", "updated")
    run("2025-11-02T02:00:00Z", "updated", HISTORY_V2, "20251102000000")
    run("2025-11-02T14:00:00Z", "failed", error="HTTP 503 Service Unavailable", version=None)
    run("2025-11-03T02:00:00Z", "updated", HISTORY_V3, "20251103000000", wrote_back=True)
    run("2025-11-03T08:00:00Z", "unchanged", version="20251103000000")


FAMILIES = [f"{a}{g}{s}" for a in "cmrtpgix" for g in "34567" for s in ("", "g", "a", "d", "n")]
SIZES = [
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    *(f"{k}xlarge" for k in (2, 4, 8, 12, 16, 24, 32, 48)),
    "metal",
]
REGIONS = [
    f"{p}-{d}-{i}"
    for p in ("us", "eu", "ap", "sa", "ca", "me", "af")
    for d in ("east", "west", "central", "north", "south")
    for i in (1, 2, 3)
]
OSES = ["linux", "windows", "rhel", "suse", "ubuntu-pro", "rhel-ha"]


def synthetic_catalog(n: int, seed: int = 1, unknown: float = 0.0) -> Catalog:
    """`n` distinct entries in the real shape (up to 200 families x 15 sizes x 105 regions
    x 6 OSes); prices like AWS's (4 significant decimals, padded to 10); a fraction
    `unknown` of spec and price values is None."""
    rnd = random.Random(seed)
    entries: list[CatalogEntry] = []
    seen: set = set()

    def maybe(value):
        return None if unknown and rnd.random() < unknown else value

    while len(entries) < n:
        family, size = rnd.choice(FAMILIES), rnd.choice(SIZES)
        key = (f"{family}.{size}", rnd.choice(REGIONS), rnd.choice(OSES))
        if key in seen:
            continue
        seen.add(key)
        vcpu = 2 ** rnd.randint(0, 7)
        price = maybe(f"{Decimal(rnd.randint(30, 400_000)) / 10_000:.10f}")
        entries.append(
            CatalogEntry(
                key[0],
                maybe(family),
                key[1],
                key[2],
                maybe(vcpu),
                maybe(float(vcpu * rnd.choice((2, 4, 8)))),
                maybe(rnd.choice((0, 0, 0, 0, 1, 8))),
                maybe("arm64" if "g" in family[2:] else "x86_64"),
                price,
                available=rnd.random() > 0.01,
            )
        )
    return Catalog("aws", "USD", None, SourceInfo("bundled"), tuple(entries))
