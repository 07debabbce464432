"""Issue 9, item 9: secrets never show, and neither do a server's raw bytes.

Before, a GCP key with a stray non-breaking space or CR/LF was printed whole in the error,
`--json`, state.json, history.sqlite3 and sync.log; `user:password@` in an endpoint showed
everywhere the URL did; and error messages quoted what the server sent. Each test runs the real
`pricesync` and then searches everything it wrote or printed, byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.adversarial.conftest import Setup, error_line, route
from tests.conftest import CLI, INDEX, OFFER, closed_port
from tests.fakes import gcpdata as g
from tests.fakes.priceserver import Route

KEY = "AIzaSyTEST-secret-key-0123456789abcd"
PASSWORD = "pw-5ecret-3b9f"
MARKER = "RAWMARKER-7c1e"


def everything(p: subprocess.CompletedProcess, data_dir: Path) -> bytes:
    """What a run printed and every file it left in the data dir."""
    out = (p.stdout + p.stderr).encode()
    for path in data_dir.rglob("*"):
        if path.is_file():
            out += path.read_bytes()
    return out


# -- the GCP key -----------------------------------------------------------------------------------


def gcp_config(tmp_path: Path, server, key: str | None) -> Path:
    cfg = tmp_path / "config.toml"
    line = f"api_key = {json.dumps(key)}\n" if key is not None else ""
    cfg.write_text(
        f'[gcp]\nenabled = true\nregions = ["us-east1"]\nendpoint = "{server.url}{g.PATH}"\n{line}'
        "[http]\nretries = 1\nbackoff_s = 0.01\n"
    )
    return cfg


def run(cfg: Path, data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRICESYNC_")}
    return subprocess.run(
        [*CLI, *args],
        env=clean | {"PRICESYNC_CONFIG": str(cfg), "PRICESYNC_DATA_DIR": str(data_dir)} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("bad", "what", "position"),
    [
        (KEY[:10] + "\u00a0" + KEY[10:], "a non-breaking space", 11),
        (KEY + "\r\n", "a carriage return", len(KEY) + 1),
        (KEY + "\n", "a line feed", len(KEY) + 1),
        (" " + KEY, "a space", 1),
    ],
)
def test_a_malformed_key_in_the_environment_is_refused_unseen(tmp_path, server, bad, what, position):
    g.serve_gcp(server, g.catalog_skus(g.AMERICAS), key=KEY)
    data = tmp_path / "data"
    for args in (("sync", "--provider", "gcp", "--json"), ("list", "--provider", "gcp")):
        p = run(gcp_config(tmp_path, server, None), data, *args, PRICESYNC_GCP_API_KEY=bad)
        assert p.returncode == 2, p.stderr
        assert p.stderr == (
            f"pricesync: $PRICESYNC_GCP_API_KEY: the GCP API key has {what} at position {position} "
            "(a key is printable ASCII; the key is not shown)\n"
        )
        assert KEY[12:].encode() not in everything(p, data)
    assert server.requests == []


def test_a_malformed_key_in_the_config_is_refused_unseen(tmp_path, server):
    cfg = gcp_config(tmp_path, server, KEY + "\r\n")
    p = run(cfg, tmp_path / "data", "sync", "--provider", "gcp")
    assert p.returncode == 2
    assert p.stderr == (
        f"pricesync: {cfg}: gcp.api_key: the GCP API key has a carriage return at position "
        f"{len(KEY) + 1} (a key is printable ASCII; the key is not shown)\n"
    )
    assert KEY[12:].encode() not in everything(p, tmp_path / "data")


# -- user:password@ in an endpoint -----------------------------------------------------------------------


def with_password(url: str) -> str:
    return url.replace("http://", f"http://syncer:{PASSWORD}@")


ENDPOINTS = {  # config key -> the [section] text, with {url} the endpoint that holds the password
    "aws.endpoint": '[aws]\nendpoint = "{url}"\n',
    "aws.endpoint_url": '[aws]\nmode = "boto3"\nendpoint_url = "{url}"\n',
    "azure.endpoint": '[azure]\nenabled = true\nregions = ["eastus"]\nendpoint = "{url}/api/retail/prices"\n',
    "gcp.endpoint": f'[gcp]\nenabled = true\nregions = ["us-east1"]\napi_key = "{KEY}"\n' + 'endpoint = "{url}/skus"\n',
}
PROVIDER = {"aws.endpoint": "aws", "aws.endpoint_url": "aws", "azure.endpoint": "azure", "gcp.endpoint": "gcp"}


@pytest.mark.parametrize("key", ENDPOINTS)
@pytest.mark.parametrize("fault", ["refused", "http 500"])
def test_user_info_in_an_endpoint_never_shows(tmp_path, server, key, fault, monkeypatch):
    if fault == "refused":
        url = with_password(f"http://127.0.0.1:{closed_port()}")
    else:
        server.responders["/"] = server.responders["/skus"] = server.responders["/api/retail/prices"] = lambda *_: (
            Route(b'{"message": "boom"}', status=500)
        )
        server.routes[INDEX] = Route(b"{}", status=500)
        url = with_password(server.url)
    cfg = tmp_path / "config.toml"
    cfg.write_text(ENDPOINTS[key].format(url=url) + "[http]\nretries = 0\ntimeout_s = 5\n")
    data = tmp_path / "data"
    aws_env = {
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    seen = b""
    for args in (
        (
            "sync",
            "--provider",
            PROVIDER[key],
            "--region",
            "us-east-1" if key.startswith("aws") else "eastus" if key.startswith("azure") else "us-east1",
        ),
    ):
        for extra in ((), ("--json",)):
            p = run(cfg, data, *args, *extra, **aws_env)
            assert p.returncode == 1, (p.stdout, p.stderr)
            seen += everything(p, data)
    assert PASSWORD.encode() not in seen
    assert b"syncer:" not in seen
    if fault == "refused":
        assert b"cannot connect to http://127.0.0.1:" in seen  # the URL is named, without its user info


def test_user_info_never_shows_in_the_log_of_a_good_sync(aws, tmp_path):
    setup = Setup(tmp_path, aws)
    p = setup.cli("sync", "--force", "--json", "--endpoint", with_password(aws.url))
    assert p.returncode == 0, p.stderr
    assert PASSWORD.encode() not in everything(p, setup.data_dir)


# -- a server's raw bytes ------------------------------------------------------------------------------


def test_a_json_error_gives_the_position_not_the_bytes(aws, tmp_path):
    route(aws, INDEX).body = b'{"regions": {"us-east-1": ' + MARKER.encode() + b"}}"
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"{INDEX} did not return valid JSON (Expecting value at line 1 column 27)"), line
    assert MARKER not in line


def test_an_offer_json_error_gives_the_position_not_the_bytes(aws, tmp_path):
    route(aws, OFFER).body = b'{"products": {"SKU": ' + MARKER.encode() + b"}}"
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(
        "offer file for us-east-1 is not valid JSON (within bytes 0-37: lexical error: invalid char in json text.)"
    ), line


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"HTTP/1.1 500 {MARKER}\r\nContent-Length: 0\r\n\r\n", "HTTP 500 Internal Server Error from "),
        (f"HTTP/1.1 200 OK\r\nX-{MARKER}\x01: y\r\n\r\n", "was cut off: illegal header line"),
        (f"{MARKER} \x1b]0;title\x07\r\n\r\n", "was cut off: illegal status line"),
    ],
)
def test_protocol_garbage_is_described_not_quoted(aws, tmp_path, raw, expected):
    aws.routes[INDEX] = Route(b"", raw=raw.encode("latin-1"))
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert expected in line and MARKER not in line and "\x1b" not in line, line
