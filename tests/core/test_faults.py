"""Bad input and faults (issue 2, item 10), each through the real `pricesync` process.

Each fault: one clear line on stderr, the right exit code, and every file already in the data
dir (catalog, cache, state versions) byte for byte as it was. The data dir starts from a
successful sync, so there is a cache and a state to lose; every run asks for --force
--write-back, so a fault cannot hide behind "unchanged".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pricesync.core.catalog import bundled_catalog_file

from tests.conftest import INDEX, OFFER, assert_files_kept, closed_port, data_snapshot, one_line, read_only

SYNC = ("sync", "--force", "--write-back")


@pytest.fixture
def synced_dir(cli, settings):
    """The data dir after one good sync (catalog, cache, state, log)."""
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    assert {"aws_catalog.json", "aws_cache.json", "state.json"} <= set(data_snapshot(settings.data_dir))
    return settings.data_dir


def tweak(path: str, **knobs):
    """Turn fault knobs of a served route (see tests/fakes/priceserver.Route)."""

    def change(server) -> None:
        for knob, value in knobs.items():
            setattr(server.routes[path], knob, value)

    return change


def serve(path: str, body: bytes, **opts):
    def change(server) -> None:
        server.set(path, body, **opts)

    return change


def cut_off(server) -> None:
    route = server.routes[OFFER]
    route.truncate_at = len(route.body) // 2


def drop_offer(server) -> None:
    del server.routes[OFFER]


# name -> (change the server, returning extra CLI args or None; stderr pattern). Exit code 1 each.
FAULTS = {
    "connection refused": (
        lambda s: ["--endpoint", f"http://127.0.0.1:{closed_port()}"],
        r"cannot connect to http://127\.0\.0\.1:\d+/offers/.*region_index\.json",
    ),
    "http 403": (
        serve(INDEX, b"<Error>AccessDenied</Error>", status=403),
        r"HTTP 403 Forbidden from .*region_index\.json",
    ),
    "http 404 offer file": (drop_offer, r"HTTP 404 Not Found from .*/us-east-1/index\.json"),
    "http 500 after retries": (
        tweak(INDEX, fail_first=100, fail_status=500),
        r"HTTP 500 Internal Server Error from .*region_index\.json",
    ),
    "index timeout": (tweak(INDEX, delay_s=3.0), r"timed out talking to .*region_index\.json"),
    # the ~300 kB offer goes out in 64 KiB chunks; the second one comes too late
    "offer stalls mid-stream": (tweak(OFFER, chunk_delay_s=3.0), r"timed out talking to .*/us-east-1/index\.json"),
    "body cut off": (cut_off, r"download of .*/us-east-1/index\.json was cut off: .*received \d+ bytes, expected \d+"),
    "html error page": (
        serve(
            INDEX, b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>", content_type="text/html"
        ),
        r"region_index\.json returned HTML \(an error page\?\), not JSON",
    ),
    "index of the wrong shape": (serve(INDEX, b'{"offers": {}}'), r"is not an AWS region index \(no 'regions'\)"),
    "index not JSON": (serve(INDEX, b'{"regions": '), r"region_index\.json did not return valid JSON"),
    "offer of the wrong shape": (
        serve(OFFER, b'{"formatVersion": "v1.0", "terms": {}}'),
        r"offer file for us-east-1 has no 'products'",
    ),
    "offer not JSON": (
        serve(OFFER, b'{"products": {"SKU": {"sku": nope}}}'),
        r"offer file for us-east-1 is not valid JSON "
        r"\(within bytes 0-\d+: lexical error: invalid string in json text\.\)$",
    ),
    "region not in the index": (
        lambda s: ["--region", "ap-south-9"],
        r"region ap-south-9 is not in the AWS price list index \(2 regions listed\)",
    ),
}
HITS = {"http 403": 1, "http 500 after retries": 3}  # 4xx is not retried; 5xx is, `retries` (2) times


@pytest.mark.parametrize("name", FAULTS)
def test_fault_is_one_line_and_loses_nothing(cli, synced_dir, aws_server, tmp_path, name):
    change, pattern = FAULTS[name]
    extra = change(aws_server) or []
    before = data_snapshot(synced_dir)
    seen = len(aws_server.requests)
    p = cli(*SYNC, "--config", str(fast_config(tmp_path, aws_server)), *extra)
    assert p.returncode == 1
    one_line(p.stderr, pattern)
    assert p.stdout == ""
    assert_files_kept(before, synced_dir)
    if name in HITS:
        assert [path for path, _ in aws_server.requests[seen:]] == [INDEX] * HITS[name]


def fast_config(tmp_path: Path, server) -> Path:
    """Short timeout, two quick retries: faults show in well under a second each."""
    cfg = tmp_path / "fast.toml"
    cfg.write_text(
        f'[aws]\nendpoint = "{server.url}"\n[http]\ntimeout_s = 0.5\nretries = 2\nbackoff_s = 0.01\n'
        "[sync]\nprice_kinds = []\n"  # on-demand only: the default's spot is fetched from AWS's own hosts
    )
    return cfg


# -- retries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, "1"), (500, None)])
def test_transient_failure_then_success(cli, aws_server, status, retry_after):
    route = aws_server.routes[OFFER]
    route.fail_first, route.fail_status, route.retry_after = 1, status, retry_after
    p = cli("sync", "--json")
    assert p.returncode == 0, p.stdout
    assert aws_server.hits(OFFER) == 2
    assert '"status": "updated"' in p.stdout


# -- local files ------------------------------------------------------------------------------------


# name -> (file, how it is damaged, CLI args, stderr pattern with {path})
DAMAGE = {
    "corrupt catalog": (
        "aws_catalog.json",
        lambda text: '{"schema_version": 1, "entries": [{"instance_type": "m5.lar',
        SYNC,
        r"catalog {path} is not valid JSON",
    ),
    "invalid catalog": (
        "aws_catalog.json",
        lambda text: text.replace('"vcpu": 96', '"vcpu": "96"'),
        SYNC,
        r"{path}: entries\[\d+\] 'vcpu' has the wrong type \(str\)",
    ),
    "corrupt cache": (
        "aws_cache.json",
        lambda text: '{"schema_version": 1}',
        ("sync", "--write-back"),
        r"price cache {path} has the wrong shape",
    ),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_local_file_is_kept_and_named(cli, synced_dir, name):
    filename, damage, args, pattern = DAMAGE[name]
    path = synced_dir / filename
    path.write_text(damage(path.read_text()))
    before = data_snapshot(synced_dir)
    p = cli(*args)
    assert p.returncode == 1
    one_line(p.stderr, pattern.replace("{path}", re.escape(str(path))))
    assert_files_kept(before, synced_dir)


def test_missing_catalog_gets_the_bundled_copy(cli, settings):
    src = Path(str(bundled_catalog_file("aws")))
    if not src.is_file():
        pytest.skip("bundled catalog core/data/aws_catalog.json is not there yet")
    (settings.data_dir / "aws_catalog.json").unlink()
    p = cli("sync", "--region", "us-east-1")
    assert p.returncode == 0, p.stderr
    assert (settings.data_dir / "aws_catalog.json").read_bytes() == src.read_bytes()


def test_read_only_data_dir(cli, synced_dir):
    before = data_snapshot(synced_dir)
    with read_only(synced_dir):
        p = cli(*SYNC)
    assert p.returncode == 1
    # refused at start, before any provider is tried
    one_line(p.stderr, rf"data dir {re.escape(str(synced_dir))} is not writable")
    assert_files_kept(before, synced_dir)


def test_data_dir_under_a_file(cli, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    p = cli("sync", "--data-dir", str(blocker / "data"))
    assert p.returncode == 1
    one_line(p.stderr, rf"data dir {re.escape(str(blocker))}/data is not a directory \(a part of its path is a file\)")
    assert blocker.read_text() == "x"
