"""Issue 9, item 6: every request has a total deadline.

httpx's read timeout restarts with every chunk, so before, a server that sent one byte a second
held a sync (and its lock) forever. Now a document (index, API page, webhook) must arrive
within `[http] document_timeout_s` wherever the server stalls (the head, the body, between
retries), and an offer download fails once its rate stays under `min_rate_kb_s` for
`rate_window_s`. Each test would run for minutes against the old code; each asserts the
message naming the bound, and a generous wall-clock ceiling only so a regression cannot hang
the suite.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time

import pytest
from pricesync.core import notify
from pricesync.core.errors import SourceError
from pricesync.core.http import HttpSettings, get_json, make_client
from pricesync.core.notify import Webhook, deliver

from tests.adversarial.conftest import Setup, error_line, route, serve_us_east_1
from tests.conftest import INDEX, OFFER
from tests.fakes.priceserver import Route, Running

CEILING_S = 30  # far above every bound used here, far below the minutes the old code took


TRICKLES = {
    # 2 KB of index a byte every 50 ms: each read is far inside timeout_s (10 s), the whole takes minutes
    "body": {"chunk_size": 1, "chunk_delay_s": 0.05, "pad": 2000},
    # 2 KB of status line and headers a byte every 50 ms (h11 waits for up to 16 KiB of them)
    "head": {"head_delay_s": 0.05, "headers": {"X-Pad": "p" * 2000}},
}


@pytest.mark.parametrize("part", TRICKLES)
def test_a_trickled_index_fails_at_the_document_deadline(aws, tmp_path, part):
    index = route(aws, INDEX)
    knobs = dict(TRICKLES[part])
    index.body += b" " * knobs.pop("pad", 0)
    for knob, value in knobs.items():
        setattr(index, knob, value)
    setup = Setup(tmp_path, aws, document_timeout_s=1)
    started = time.monotonic()
    line = error_line(setup.cli("sync", "--force"))
    assert time.monotonic() - started < CEILING_S
    assert line.endswith(f"{aws.url}{INDEX} did not arrive within 1 s ([http] document_timeout_s)"), line


def test_the_deadline_covers_retries_and_their_pauses(aws, tmp_path):
    # 503 with Retry-After: 30 (the backoff cap) forever: the pause is cut to the deadline
    index = route(aws, INDEX)
    index.fail_first, index.fail_status, index.retry_after = 1000, 503, "30"
    setup = Setup(tmp_path, aws, document_timeout_s=1, retries=4)
    started = time.monotonic()
    line = error_line(setup.cli("sync", "--force"))
    assert time.monotonic() - started < 15  # one 30 s pause alone would exceed it
    assert line.endswith(f"{INDEX} did not arrive within 1 s ([http] document_timeout_s)"), line


def test_a_slow_offer_download_fails_at_the_rate_floor(aws, tmp_path):
    # ~10 KB/s against a floor of 16 KB/s over a 1 s window; the 2 MB offer would take minutes
    offer = route(aws, OFFER).body
    aws.set(OFFER, offer + b" " * (2_000_000 - len(offer)), chunk_size=1000, chunk_delay_s=0.1)
    setup = Setup(tmp_path, aws, min_rate_kb_s=16, rate_window_s=1)
    started = time.monotonic()
    line = error_line(setup.cli("sync", "--force"))
    assert time.monotonic() - started < CEILING_S
    assert line.endswith(
        f"download of {aws.url}{OFFER} stalled: under 16 KB/s for 1 s ([http] min_rate_kb_s, rate_window_s)"
    ), line


def test_a_slow_but_steady_download_is_not_cut(aws, tmp_path):
    # 64 KiB every 20 ms (~3 MB/s) is well above a 16 KB/s floor: the sync completes
    route(aws, OFFER).chunk_delay_s = 0.02
    setup = Setup(tmp_path, aws, min_rate_kb_s=16, rate_window_s=1)
    p = setup.cli("sync", "--force")
    assert p.returncode == 0, p.stderr


def test_a_silent_server_is_cut_by_the_deadline_not_the_read_timeout(aws, tmp_path):
    # 10 bytes, then nothing for a minute: the read timeout (10 s) is cut to the time left
    index = route(aws, INDEX)
    index.chunk_size, index.chunk_delay_s = 10, 60
    setup = Setup(tmp_path, aws, document_timeout_s=1, timeout_s=10)
    started = time.monotonic()
    line = error_line(setup.cli("sync", "--force"))
    assert time.monotonic() - started < 8  # well before the 10 s read timeout
    assert line.endswith(f"{INDEX} did not arrive within 1 s ([http] document_timeout_s)"), line


def test_get_json_is_bounded_in_process(aws):
    """The bound lives in core.http, so every caller has it, not only the CLI."""
    index = route(aws, INDEX)
    index.chunk_size, index.chunk_delay_s = 1, 0.05
    settings = HttpSettings(retries=0, timeout_s=10, document_timeout_s=1)
    with make_client(settings) as client:
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"did not arrive within 1 s"):
            get_json(client, f"{aws.url}{INDEX}", settings=settings)
    assert time.monotonic() - started < CEILING_S


def test_a_webhook_that_trickles_its_answer_ends_at_its_deadline(server, monkeypatch):
    # the answer's head a byte every 50 ms, 2 KB of it: each read is inside timeout_s, the head takes 100 s
    monkeypatch.setattr(notify, "MAX_BACKOFF_S", 0.5)  # the pause cap, part of the delivery's bound
    server.responders["/hook"] = lambda *_: Route(b"ok", head_delay_s=0.05, headers={"X-Pad": "p" * 2000})
    hook = Webhook(f"{server.url}/hook?token=secret-token", timeout_s=0.5)
    http = HttpSettings(retries=1, backoff_s=0.01)
    assert notify.delivery_bound_s(hook, http) == 1.5  # (retries + 1) x timeout_s + the pause cap
    started = time.monotonic()
    outcome = deliver(hook, {"event": "test"}, http)
    assert time.monotonic() - started < CEILING_S
    assert not outcome.ok
    assert (
        outcome.error
        == "the webhook did not arrive within 1.5 s (the webhook's timeout_s per attempt, pauses included)"
    )


# -- over TLS: the deadline holds through the handshake and TLS reads; verify_tls is honoured ----------


@pytest.fixture
def tls_server(tmp_path):
    """A real HTTPS server on 127.0.0.1 with a self-signed certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = Running(tls=context)
    serve_us_east_1(running.state)
    yield running.state
    running.stop()


def test_verify_tls_false_is_honoured_and_true_refuses_a_self_signed_server(tls_server, tmp_path):
    line = error_line(Setup(tmp_path, tls_server).cli("sync", "--force"))
    assert f"cannot connect to {tls_server.url}{INDEX}: [SSL: CERTIFICATE_VERIFY_FAILED]" in line, line
    p = Setup(tmp_path, tls_server, verify_tls=False).cli("sync", "--force")
    assert p.returncode == 0, p.stderr


def test_a_trickled_head_over_tls_fails_at_the_deadline(tls_server, tmp_path):
    index = route(tls_server, INDEX)
    index.head_delay_s, index.headers = 0.05, {"X-Pad": "p" * 2000}
    setup = Setup(tmp_path, tls_server, verify_tls=False, document_timeout_s=1)
    started = time.monotonic()
    line = error_line(setup.cli("sync", "--force"))
    assert time.monotonic() - started < CEILING_S
    assert line.endswith(f"{tls_server.url}{INDEX} did not arrive within 1 s ([http] document_timeout_s)"), line
