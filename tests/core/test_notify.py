"""Webhooks: config validation, signed summaries to a real local receiver, retries, a receiver
that never answers, `pricesync notify test`, and secrets kept out of every log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading

import pytest
from pricesync.core import build_engine, notify
from pricesync.core.config import parse_webhooks
from pricesync.core.errors import ConfigError
from pricesync.core.sync import SyncEngine

from tests.conftest import (
    EU_V2,
    EU_WEST_1,
    HOOK_TOKEN,
    US_EAST_1,
    US_V2,
    V2,
    closed_port,
    hook_url,
    receiver,
    serve_version,
    with_webhooks,
)
from tests.fakes.priceserver import Route, header

SECRET = "hook-secret-5f2c9a"


@pytest.fixture(autouse=True)
def no_delivery_left_behind():
    yield
    assert notify.wait_for_deliveries(timeout_s=60) == 0


def signature_ok(headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header(headers, "X-Pricesync-Signature") or "", expected)


def sync_a_price_change(settings, server, **kwargs):
    """A baseline sync, then a new price list version with changes; returns the second result."""
    SyncEngine(settings, listeners=[]).sync("aws")
    serve_version(server, V2, US_V2, EU_V2)
    result = build_engine(settings).sync("aws", **kwargs)
    assert result.status == "updated", result.error
    return result


# -- config -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        ({"url": "http://h/x", "colour": "red", "retry": 1}, "unknown key(s): colour, retry (known: events, format, "),
        ({"secret": "s"}, "url is required"),
        ({"url": "ftp://h/x"}, "url must be an http:// or https:// URL with a host"),
        ({"url": "http:///x"}, "url must be an http:// or https:// URL with a host"),
        ({"url": "http://h", "format": "xml"}, "format must be 'json' or 'slack', not 'xml'"),
        ({"url": "http://h", "timeout_s": 0}, "timeout_s must be a number > 0"),
        ({"url": "http://h", "min_change_pct": -1}, "min_change_pct must be a number >= 0"),
        ({"url": "http://h", "min_change_pct": True}, "min_change_pct must be a number >= 0"),
        ({"url": "http://h", "providers": ["aws", "oracle"]}, "providers must be a list of aws, azure, gcp"),
        ({"url": "http://h", "secret": 5}, "secret must be a string"),
    ],
)
def test_bad_webhook_tables_are_named(table, message):
    with pytest.raises(ConfigError) as err:
        parse_webhooks([{"url": "http://h"}, table], "cfg.toml")
    assert str(err.value).startswith(f"cfg.toml: [[notify.webhook]] #2: {message}")


def test_a_bad_webhook_fails_the_cli_with_one_line(cli, settings):
    with_webhooks(settings, {"url": "http://127.0.0.1/x"})
    settings.config_path.write_text(settings.config_path.read_text() + 'colour = "red"\n')
    p = cli("list")
    assert p.returncode == 2
    assert p.stderr.strip().endswith(
        "[[notify.webhook]] #1: unknown key(s): colour (known: events, format, min_change_pct, "
        "providers, secret, timeout_s, url)"
    )
    assert len(p.stderr.strip().splitlines()) == 1


def test_defaults_and_the_safe_name():
    (hook,) = parse_webhooks([{"url": f"https://user:pw@hooks.example:8443/a/b?token={HOOK_TOKEN}#frag"}], "cfg")
    assert (hook.min_change_pct, hook.providers, hook.format, hook.timeout_s, hook.secret) == (
        0.0,
        (),
        "json",
        10.0,
        "",
    )
    assert hook.name == "https://hooks.example:8443/a/b"
    assert HOOK_TOKEN not in repr(hook) and "pw" not in repr(hook)


# -- delivery -----------------------------------------------------------------------------------


def test_price_change_posts_one_signed_summary(settings, aws_server):
    got = receiver(aws_server)
    settings = with_webhooks(settings, {"url": hook_url(aws_server), "secret": SECRET})
    engine = build_engine(settings)
    engine.sync("aws")  # the baseline moves nothing: no webhook
    engine.sync("aws", force=True)
    assert notify.wait_for_deliveries() == 0 and got == []  # a rerun of the same data moves nothing either

    serve_version(aws_server, V2, US_EAST_1 | {("m5.large", "Linux"): "0.1000000000"}, EU_WEST_1)
    assert engine.sync("aws").status == "updated"
    assert notify.wait_for_deliveries() == 0
    ((headers, body),) = got
    assert signature_ok(headers, body)
    assert header(headers, "Content-Type") == "application/json"
    payload = json.loads(body)
    stamp = int(header(headers, "X-Pricesync-Timestamp"))
    assert payload.pop("sent_at") == notify.datetime.fromtimestamp(stamp, notify.UTC).isoformat().replace("+00:00", "Z")
    assert payload == {
        "event": "pricesync.prices_changed",
        "provider": "aws",
        "mode": "public",
        "regions": ["eu-west-1", "us-east-1"],
        "source_version": V2,
        "wrote_back": False,
        "counts": {"records": 9, "changed": 1, "added": 0, "removed": 0},
        "catalog": {"added": 0, "changed": 9, "missing": 0},
        "changes": [
            {
                "instance_type": "m5.large",
                "region": "us-east-1",
                "os": "linux",
                "price_kind": "on-demand",
                "old": "0.0960000000",
                "new": "0.1000000000",
                "pct": 4.17,
            }
        ],
        "more_changes": 0,
    }


def test_top_changes_first_capped_and_filtered(settings, aws_server, monkeypatch):
    monkeypatch.setattr(notify, "MAX_CHANGES", 4)
    all_, big, slack, gcp = (receiver(aws_server, p) for p in ("/all", "/big", "/slack", "/gcp"))
    settings = with_webhooks(
        settings,
        {"url": hook_url(aws_server, "/all")},
        {"url": hook_url(aws_server, "/big"), "min_change_pct": 8},
        {"url": hook_url(aws_server, "/slack"), "format": "slack"},
        {"url": hook_url(aws_server, "/gcp"), "providers": ["gcp"]},
    )
    sync_a_price_change(settings, aws_server, write_back=True)
    notify.wait_for_deliveries()
    assert gcp == []
    payload = json.loads(all_[0][1])
    assert [(c["instance_type"], c["pct"]) for c in payload["changes"]] == [
        ("p4d.24xlarge", -10.0),
        ("c6g.large", -5.0),
        ("m5.large", 4.17),
        ("t3.micro", None),
    ]
    assert payload["more_changes"] == 1 and payload["wrote_back"] is True
    assert payload["counts"] == {"records": 9, "changed": 3, "added": 1, "removed": 1}
    assert all(header(h, "X-Pricesync-Signature") is None for h, _ in all_)  # no secret, no signature
    assert [c["instance_type"] for c in json.loads(big[0][1])["changes"]] == [
        "p4d.24xlarge",
        "t3.micro",
        "x1e.32xlarge",
    ]
    text = json.loads(slack[0][1])["text"]
    assert text.startswith(
        "*pricesync*: aws prices moved (3 changed, 1 added, 1 removed; eu-west-1, us-east-1; "
        f"source {V2}; written back)"
    )
    assert "p4d.24xlarge us-east-1 linux: 32.7726000000 -&gt; 29.4953400000 (-10.00%)" in text
    assert "t3.micro us-east-1 rhel: 0.0392000000 -&gt; gone" in text and "... and 1 more" in text


@pytest.mark.parametrize("status, retry_after", [(503, None), (429, "0")])
def test_retry_then_success(settings, aws_server, caplog, status, retry_after):
    got = receiver(aws_server, route=Route(b"ok", fail_first=2, fail_status=status, retry_after=retry_after))
    # the new price list also brings a new family (x1e): its `new` event is left out here
    settings = with_webhooks(settings, {"url": hook_url(aws_server), "secret": SECRET, "events": ["prices_changed"]})
    with caplog.at_level(logging.INFO, "pricesync"):
        sync_a_price_change(settings, aws_server)
        notify.wait_for_deliveries()
    assert len(got) == 3 and len({body for _, body in got}) == 1
    assert all(signature_ok(h, b) for h, b in got)
    assert f"webhook {aws_server.url}/hook delivered (HTTP 200, 3 attempts)" in caplog.text


def test_a_receiver_that_does_not_answer_does_not_hold_the_sync(settings, aws_server, caplog):
    release = threading.Event()

    def answer_when_released(_path, _headers, _body) -> Route:
        release.wait(60)
        return Route(b"ok")

    aws_server.responders["/hook"] = answer_when_released
    settings = with_webhooks(settings, {"url": hook_url(aws_server), "timeout_s": 120, "events": ["prices_changed"]})
    with caplog.at_level(logging.INFO, "pricesync"):
        sync_a_price_change(settings, aws_server)
        # the sync has returned while its delivery waits on a receiver that cannot answer yet
        assert notify.in_flight() == 1
        release.set()
        assert notify.wait_for_deliveries() == 0
    assert "delivered (HTTP 200, 1 attempt)" in caplog.text


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_cli_sync_waits_only_up_to_the_timeout_and_logs_no_secret(cli, settings, aws_server, silent_port):
    with_webhooks(
        settings, {"url": f"http://127.0.0.1:{silent_port}/hook?token={HOOK_TOKEN}", "secret": SECRET, "timeout_s": 0.3}
    )
    SyncEngine(settings, listeners=[]).sync("aws")
    serve_version(aws_server, V2, US_V2, EU_V2)
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    assert "aws (public): updated" in p.stdout
    log = (settings.data_dir / "sync.log").read_text()
    assert f"webhook http://127.0.0.1:{silent_port}/hook failed: timed out talking to the webhook (3 attempts)" in log
    for text in (log, p.stderr, p.stdout):
        assert SECRET not in text and HOOK_TOKEN not in text


def test_failures_are_logged_without_secrets(settings, aws_server, caplog):
    receiver(aws_server, route=Route(b"boom", status=500))
    refused = closed_port()
    settings = with_webhooks(
        settings,
        {"url": hook_url(aws_server), "secret": SECRET},
        {"url": f"http://127.0.0.1:{refused}/refused?token={HOOK_TOKEN}", "secret": SECRET},
    )
    with caplog.at_level(logging.DEBUG, "pricesync"):
        sync_a_price_change(settings, aws_server)
        notify.wait_for_deliveries()
    assert f"webhook {aws_server.url}/hook failed: HTTP 500 Internal Server Error (3 attempts)" in caplog.text
    assert f"webhook http://127.0.0.1:{refused}/refused failed: cannot connect to the webhook" in caplog.text
    assert SECRET not in caplog.text and HOOK_TOKEN not in caplog.text


# -- pricesync notify test ----------------------------------------------------------------------


def test_notify_test_reports_each_webhook(cli, settings, aws_server):
    ok = receiver(aws_server, "/ok")
    receiver(aws_server, "/bad", Route(b"nope", status=500))
    with_webhooks(
        settings,
        {"url": hook_url(aws_server, "/ok"), "secret": SECRET, "format": "json"},
        {"url": hook_url(aws_server, "/bad")},
    )
    p = cli("notify", "test")
    assert p.returncode == 1
    assert p.stdout.splitlines() == [
        f"{aws_server.url}/ok: delivered (HTTP 200, 1 attempt)",
        f"{aws_server.url}/bad: failed: HTTP 500 Internal Server Error (3 attempts)",
    ]
    ((headers, body),) = ok
    assert signature_ok(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "pricesync.test" and payload["changes"][0]["instance_type"] == "m5.large"
    assert HOOK_TOKEN not in p.stdout + p.stderr


def test_notify_test_without_webhooks(cli):
    p = cli("notify", "test")
    assert p.returncode == 1 and "no webhooks configured" in p.stderr


def test_a_change_of_another_kind_is_announced_with_its_kind():
    """A reserved price move is a price move: the payload names its kind (json and Slack)."""
    from pricesync.core.history import CacheChange
    from pricesync.core.models import SyncResult

    kind = "reserved-3yr-standard-all-upfront"
    changes = [
        CacheChange(("m5.large", "us-east-1", "linux"), "0.0200000000", "0.0210000000", kind),
        CacheChange(("m5.large", "us-east-1", "linux"), None, "0.0350000000", "spot"),
    ]
    result = SyncResult(provider="aws", mode="public", status="updated", regions=("us-east-1",))
    payload = notify.summary(result, changes, 1.0)
    assert [(c["price_kind"], c["old"], c["new"], c["pct"]) for c in payload["changes"]] == [
        (kind, "0.0200000000", "0.0210000000", 5.0),
        ("spot", None, "0.0350000000", None),
    ]
    assert payload["counts"] == {"records": 0, "changed": 1, "added": 1, "removed": 0}
    text = notify._slack(payload | {"sent_at": "x"})["text"]
    assert f"m5.large us-east-1 linux {kind}: 0.0200000000 -&gt; 0.0210000000 (+5.00%)" in text
    assert "m5.large us-east-1 linux spot: new -&gt; 0.0350000000" in text
    assert notify.summary(result, changes[:1], 6.0) is None  # under the webhook's threshold
