"""Issue 12, AWS spot: the two spot feeds are untrusted documents on origins of their own.
Each is bounded in decompressed size (`[http] max_document_mb`), in time, in nesting depth and
token length (core.jsonbounds), and in entries (aws_spot.MAX_ENTRIES), and parsed as a stream:
memory holds only the prices kept. Every attack runs the sync in a child process capped at
MEM_MB of address space, and fails with one line naming the feed, keeping every file."""

from __future__ import annotations

import json

import pytest
from pricesync.core.providers.aws_spot import MAX_ENTRIES

from tests.adversarial.conftest import run_limited
from tests.conftest import US_EAST_1, V1, serve_aws, small_catalog
from tests.fakes import spotdata
from tests.fakes.priceserver import gzip_bomb

MEM_MB = 400
# a full sync with spot, then a spot-only one; prints the second's status and error
SYNC = """
import json, sys
from pricesync.core.config import load_settings
from pricesync.core.sync import SyncEngine
engine = SyncEngine(load_settings(sys.argv[1], sys.argv[2]))
kinds = frozenset(sys.argv[3].split(","))
result = engine.sync("aws", kinds=kinds)
print(json.dumps({"status": result.status, "error": result.error}))
"""


@pytest.fixture
def feeds(server, tmp_path):
    """A server with us-east-1's offer and both spot feeds, a data dir, and `run(kinds, **http)`."""
    serve_aws(server, {"us-east-1": (V1, US_EAST_1)})
    spotdata.serve_spot(server)
    data = tmp_path / "data"
    data.mkdir()
    small_catalog(data / "aws_catalog.json")

    def run(kinds: str = "on-demand,spot", **http) -> dict:
        knobs = {"retries": 0, "timeout_s": 10} | http
        cfg = tmp_path / "config.toml"
        cfg.write_text(
            '[sync]\nprice_kinds = ["spot"]\n'
            f'[aws]\nendpoint = "{server.url}"\nregions = ["us-east-1"]\n{spotdata.spot_config(server.url)}[http]\n'
            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in knobs.items())
        )
        p = run_limited(SYNC, mem_mb=MEM_MB, args=(str(cfg), str(data), kinds), timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return json.loads(p.stdout)

    return server, data, run


def attack(feeds, path: str, **route) -> str:
    """A good sync, then the feed at `path` turned hostile: the spot-only sync's one-line error."""
    server, data, run = feeds
    assert run()["status"] == "updated"
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.name.endswith((".json",))}
    r = server.routes[path]
    for key, value in route.items():
        setattr(r, key, value)
    r.etag = None
    out = run("spot")
    assert out["status"] == "failed", out
    after = {p.name: p.read_bytes() for p in data.iterdir() if p.name.endswith((".json",)) and p.name != "state.json"}
    assert after == {k: v for k, v in before.items() if k != "state.json"}
    assert "\n" not in out["error"]
    return out["error"]


@pytest.mark.parametrize("path", [spotdata.PRICE_PATH, spotdata.ADVISOR_PATH])
def test_a_gzip_bomb_feed_stops_at_the_document_bound(feeds, path):
    server = feeds[0]
    body = gzip_bomb(200, prefix=server.routes[path].body[:-1])  # 200 MB of whitespace, ~200 KB on the wire
    error = attack(feeds, path, body=body, headers={"Content-Encoding": "gzip"})
    assert error.endswith(f"{server.url}{path} is larger than the 32 MB limit (decompressed)"), error


def test_an_endless_feed_stops_at_the_document_bound(feeds):
    error = attack(feeds, spotdata.PRICE_PATH, endless=b" " * 65536)
    assert "is larger than the 32 MB limit" in error, error


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"[" * 200_000, "nests deeper than 64 levels"),
        (b'{"config": {"regions": [{"region": "' + b"a" * (2 << 20) + b'"}]}}', "has a string longer than 1 MiB"),
        (b'{"vers": ' + b"9" * 5000 + b"}", "has a number longer than 2048 digits"),
    ],
    ids=["deep", "long-string", "long-number"],  # an id is passed on in the child's environment
)
def test_depth_and_token_length_are_bounded(feeds, body, problem):
    error = attack(feeds, spotdata.PRICE_PATH, body=body)
    assert problem in error, error


def test_a_feed_of_too_many_entries_is_refused(feeds):
    """Every entry a distinct size in a wanted region: under the size bound, past MAX_ENTRIES."""
    sizes = b",".join(
        b'{"size":"x%d.large","valueColumns":[{"name":"linux","prices":{"USD":"0.1"}}]}' % i
        for i in range(MAX_ENTRIES + 10)
    )
    body = b'{"config":{"regions":[{"region":"us-east-1","instanceTypes":[{"type":"t","sizes":[' + sizes + b"]}]}]}}"
    assert len(body) < 32_000_000
    error = attack(feeds, spotdata.PRICE_PATH, body=body)
    assert f"lists more than {MAX_ENTRIES:,} entries" in error, error


def test_a_redirect_to_another_origin_is_refused(feeds):
    error = attack(
        feeds,
        spotdata.ADVISOR_PATH,
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
    )
    assert "169.254.169.254" in error and "redirect" in error, error
