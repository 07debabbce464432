"""Concurrency and crashes (issue 2, item 11) with real `pricesync` processes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import pytest
from pricesync.core.cache import load_cache
from pricesync.core.catalog import load_catalog
from pricesync.core.state import load_state

from tests.conftest import CLI, cli_env, offer_path, small_catalog

OFFERS = [offer_path(r) for r in ("us-east-1", "eu-west-1")]
DEADLINE_S = 60


def start(settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *args], env=cli_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def first_to_exit(procs: list[subprocess.Popen]) -> subprocess.Popen:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                return p
        time.sleep(0.01)
    raise AssertionError("no pricesync process finished")


def test_two_write_backs_at_once(settings, aws_server):
    """The offer files trickle out until one process has given up, so the other still holds
    the lock when it tries; then the trickle stops and the holder finishes."""
    for path in OFFERS:
        aws_server.routes[path].chunk_delay_s = 2.0
    procs = [start(settings, "sync", "--write-back"), start(settings, "sync", "--write-back")]
    try:
        loser = first_to_exit(procs)
        _, err = loser.communicate()
        assert loser.returncode == 3, err
        assert err.count("\n") == 1 and "sync already running for aws" in err
        for path in OFFERS:
            aws_server.routes[path].chunk_delay_s = 0.0
        (winner,) = [p for p in procs if p is not loser]
        out, err = winner.communicate(timeout=DEADLINE_S)
        assert winner.returncode == 0, err
        assert "written back" in out
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    catalog = load_catalog(settings.data_dir / "aws_catalog.json", "aws")
    assert {e.key: e.price_per_hour for e in catalog.entries}[("m5.large", "us-east-1", "linux")] == "0.0960000000"


# -- SIGKILL during write-back ------------------------------------------------------------------

FILLER = 20_000  # entries in a region the sync does not touch: makes each write take a while
WRITE_BACK = ("sync", "--write-back", "--region", "us-east-1", "--region", "eu-west-1")


def big_catalog(path):
    """The small catalog plus FILLER never-synced entries in another region."""
    entries = json.loads(small_catalog(path).read_text())["entries"]
    template = entries[0]
    entries += [
        dict(template, instance_type=f"z{i}.large", family=f"z{i}", region="ap-filler-1") for i in range(FILLER)
    ]
    return small_catalog(path, entries)


def catalog_temps(directory) -> list[str]:
    """Temp files of a catalog write in progress (or of a killed one)."""
    return [n for n in os.listdir(directory) if n.startswith(".aws_catalog.json.") and n.endswith(".tmp")]


def kill_when(proc: subprocess.Popen, data, rng: random.Random, mid_write: bool) -> None:
    """SIGKILL `proc` a random moment after its catalog temp file appears, or at a random time."""
    deadline = time.monotonic() + DEADLINE_S
    if mid_write:
        while not catalog_temps(data) and proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("the write-back never started")
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.003))  # the temp file lives only while it is written and fsynced
    else:
        time.sleep(rng.uniform(0.05, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sigkill_during_write_back_leaves_old_or_new_catalog(settings):
    data = settings.data_dir
    path = big_catalog(data / "aws_catalog.json")
    old = path.read_bytes()
    count = len(json.loads(old)["entries"])
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = {"old": 0, "new": 0}
    hit_mid_write = 0
    for i in range(40):  # at least 8 kills, more until one lands inside a write (bounded)
        if i >= 8 and hit_mid_write:
            break
        path.write_bytes(old)
        for n in catalog_temps(data):
            os.unlink(data / n)
        proc = start(settings, *WRITE_BACK)
        kill_when(proc, data, rng, mid_write=i % 4 != 0)
        hit_mid_write += bool(catalog_temps(data))
        # the state and the cache are written the same way: whatever is there is whole
        load_state(data)
        load_cache(data, "aws")
        if path.read_bytes() == old:
            outcomes["old"] += 1
            continue
        catalog = load_catalog(path, "aws")  # a partial file would not load
        assert len(catalog.entries) == count
        assert {e.key: e.price_per_hour for e in catalog.entries}[
            ("p4d.24xlarge", "us-east-1", "linux")
        ] == "32.7726000000"
        assert (data / "aws_catalog.json.bak").read_bytes() == old
        outcomes["new"] += 1
    assert hit_mid_write, f"no kill landed during a catalog write (seed {seed}, outcomes {outcomes})"
    # a killed process leaves no lock behind: the next sync runs, and clears its temp files
    path.write_bytes(old)
    done = subprocess.run(
        [*CLI, *WRITE_BACK], env=cli_env(settings), capture_output=True, text=True, timeout=DEADLINE_S, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "written back" in done.stdout
    assert not catalog_temps(data)
