"""Webhook notifications: after a sync that moved prices, POST one summary per `[[notify.webhook]]`.

The changes are the ones the history records (against the previous price cache), so a daily
sync without write-back tells about a change once, not every day it stays pending. Delivery
runs in a background thread and never delays or fails the sync; `wait_for_deliveries` (the
CLI after its syncs, and at interpreter exit) waits for them within each delivery's bound.
Logs name a webhook by scheme, host and path only: never its query string or its secret.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from .config import Webhook
from .errors import SourceError
from .formats import iso_z
from .history import CacheChange, cache_changes, count_kinds
from .http import MAX_BACKOFF_S, HttpSettings, Limits, PacedTransport, bounded, make_client, reason
from .kinds import ON_DEMAND
from .models import Key, SyncResult
from .textsafe import slack

if TYPE_CHECKING:
    from .cache import PriceCache
    from .config import Settings
    from .freshness import Freshness

log = logging.getLogger("pricesync.notify")

Payload = dict[str, Any]  # a webhook's JSON body
MAX_CHANGES = 20  # top changes in one payload; the rest are counted
SIGNATURE_HEADER = "X-Pricesync-Signature"
TIMESTAMP_HEADER = "X-Pricesync-Timestamp"
PRICES_CHANGED_EVENT = "pricesync.prices_changed"
STALE_EVENT = "pricesync.stale"
NEW_EVENT = "pricesync.new"


# -- the payload --------------------------------------------------------------------------------


def _change_json(change: CacheChange) -> Payload:
    itype, region, os_ = change.key
    pct = change.pct
    return {
        "instance_type": itype,
        "region": region,
        "os": os_,
        "price_kind": change.price_kind,
        "old": change.old,
        "new": change.new,
        "pct": None if pct is None else round(pct, 2),
    }


def summary(
    result: SyncResult, changes: list[CacheChange], min_change_pct: float, *, test: bool = False
) -> Payload | None:
    """The payload for one webhook, or None when no change reaches its threshold. Keys that
    appeared or left always count; price moves count from `min_change_pct` up. The biggest
    moves come first, then keys that appeared or left; at most MAX_CHANGES of them."""

    def order(c: CacheChange) -> tuple[bool, float, Key, str]:
        pct = c.pct
        return (pct is None, -abs(pct or 0), c.key, c.price_kind)

    relevant = sorted((c for c in changes if (pct := c.pct) is None or abs(pct) >= min_change_pct), key=order)
    if not relevant:
        return None
    changed, added, removed = count_kinds(changes)
    return {
        "event": "pricesync.test" if test else PRICES_CHANGED_EVENT,
        "provider": result.provider,
        "mode": result.mode,
        "regions": list(result.regions),
        "source_version": result.source_version,
        "wrote_back": result.wrote_back,
        "counts": {"records": result.records, "changed": changed, "added": added, "removed": removed},
        "catalog": {"added": result.added, "changed": result.changed, "missing": result.missing},
        "changes": [_change_json(c) for c in relevant[:MAX_CHANGES]],
        "more_changes": max(0, len(relevant) - MAX_CHANGES),
    }


def _slack(payload: Payload) -> Payload:
    """A Slack incoming-webhook message. Every value is passed through `textsafe.slack` (& < >
    escaped, control characters shown), so no source string becomes a link or a mention."""
    counts = payload["counts"]
    head = (
        f"*pricesync{' test' if payload['event'] == 'pricesync.test' else ''}*: {payload['provider']} prices moved "
        f"({counts['changed']} changed, {counts['added']} added, {counts['removed']} removed; "
        f"{', '.join(payload['regions'])}; source {payload['source_version'] or '-'}; "
        f"{'written back' if payload['wrote_back'] else 'pending write-back'})"
    )
    lines = [
        f"{c['instance_type']} {c['region']} {c['os']}"
        + ("" if c["price_kind"] == ON_DEMAND else f" {c['price_kind']}")
        + f": {c['old'] or 'new'} -> {c['new'] or 'gone'}"
        + (f" ({c['pct']:+.2f}%)" if c["pct"] is not None else "")
        for c in payload["changes"]
    ]
    if payload["more_changes"]:
        lines.append(f"... and {payload['more_changes']} more")
    return {"text": slack(head) + "\n```" + "\n".join(slack(line) for line in lines) + "```"}


def stale_payload(f: Freshness) -> Payload:
    """The `stale` event: a provider's last successful sync is older than [sync] max_age."""
    return {
        "event": STALE_EVENT,
        "provider": f.provider,
        "level": f.level,
        "last_success": iso_z(f.last_success) if f.last_success else None,
        "age_s": f.age_s,
        "max_age_s": int(f.max_age.total_seconds()) if f.max_age else None,
        "source_version": f.source_version,
    }


def new_payload(result: SyncResult, families: list[str], regions: list[str]) -> Payload:
    """The `new` event: a sync brought instance families or regions pricesync had not seen."""
    return {
        "event": NEW_EVENT,
        "provider": result.provider,
        "source_version": result.source_version,
        "families": families,
        "regions": regions,
    }


def _slack_event(payload: Payload) -> Payload:
    """A Slack message for the `stale` and `new` events, every value through `textsafe.slack`."""
    provider = payload["provider"]
    if payload["event"] == STALE_EVENT:
        age = "never synced" if payload["age_s"] is None else f"last successful sync {payload['age_s']} s ago"
        text = f"*pricesync*: {provider} prices are {payload['level']}: {age} (max_age {payload['max_age_s']} s)"
    else:
        found = [f"{what} {', '.join(payload[what])}" for what in ("families", "regions") if payload[what]]
        text = f"*pricesync*: {provider} lists new {'; '.join(found)}"
    return {"text": slack(text)}


def slack_message(payload: Payload) -> Payload:
    return _slack_event(payload) if payload["event"] in (STALE_EVENT, NEW_EVENT) else _slack(payload)


def render(hook: Webhook, payload: Payload, sent_at: int) -> bytes:
    """The raw body. In the json format `sent_at` (the timestamp header's time) is inside it,
    so the signature covers the time and a receiver can refuse replays."""
    stamped = payload | {"sent_at": iso_z(datetime.fromtimestamp(sent_at, UTC))}
    body = slack_message(stamped) if hook.format == "slack" else stamped
    return json.dumps(body, ensure_ascii=False).encode()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- delivery -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def describe(self) -> str:
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.ok:
            return f"delivered (HTTP {self.status}, {tries})"
        return f"failed: {self.error} ({tries})"


class _CountingTransport(PacedTransport):
    """Counts the attempts the retry transport makes through it."""

    attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return super().handle_request(request)


def delivery_bound_s(hook: Webhook, http: HttpSettings) -> float:
    """The deadline of a delivery, every attempt and every pause between them included:
    `timeout_s` per attempt plus the capped pauses."""
    return (http.retries + 1) * hook.timeout_s + MAX_BACKOFF_S


def deliver(hook: Webhook, payload: Payload, http: HttpSettings) -> Outcome:
    """POST `payload` to `hook` now, retrying 429/5xx/timeouts with capped exponential backoff."""
    sent_at = int(time.time())
    body = render(hook, payload, sent_at)
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(sent_at)}
    if hook.secret:
        headers[SIGNATURE_HEADER] = sign(body, hook.secret)
    inner = _CountingTransport(verify=http.verify_tls)
    client = make_client(
        http,
        methods=("POST",),
        timeout_s=hook.timeout_s,
        transport=inner,
        total_backoff_s=MAX_BACKOFF_S,
        follow_redirects=False,
    )
    # the answer's body is never read
    limits = Limits(
        max_bytes=0,
        deadline_s=delivery_bound_s(hook, http),
        knob="the webhook's timeout_s per attempt, pauses included",
    )
    try:
        with (
            client,
            bounded(client, "POST", hook.url, limits=limits, name="the webhook", content=body, headers=headers) as (
                response,
                _,
            ),
        ):
            status = response.status_code
    except SourceError as exc:
        return Outcome(False, inner.attempts, error=hook.scrub(str(exc)))
    if 200 <= status < 300:
        return Outcome(True, inner.attempts, status)
    return Outcome(False, inner.attempts, status, f"HTTP {status} {reason(status)}")


@dataclass(eq=False)
class _Delivery:
    thread: threading.Thread
    deadline: float  # time.monotonic()
    name: str


_inflight: set[_Delivery] = set()
_inflight_lock = threading.Lock()
EXIT_WAIT_S = 5.0  # at interpreter exit, how long unfinished deliveries may hold the process
DEADLINE_SLACK_S = 1.0  # a delivery ends at its deadline; the wait allows it this much to wind up


@functools.cache
def _wait_at_exit() -> None:
    """The daemon and the TUI exit through here (once registered); quitting must stay prompt."""
    atexit.register(wait_for_deliveries, EXIT_WAIT_S)


def _start(hook: Webhook, payload: Payload, http: HttpSettings) -> None:
    def run() -> None:
        try:
            outcome = deliver(hook, payload, http)
            if outcome.ok:
                log.info("webhook %s %s", hook.name, outcome.describe())
            else:
                log.warning("webhook %s %s", hook.name, outcome.describe())
        except Exception as exc:
            log.error("webhook %s failed: internal error %s", hook.name, hook.scrub(repr(exc)))
        finally:
            with _inflight_lock:
                _inflight.discard(delivery)

    delivery = _Delivery(
        threading.Thread(target=run, name="pricesync-webhook", daemon=True),
        time.monotonic() + delivery_bound_s(hook, http) + DEADLINE_SLACK_S,
        hook.name,
    )
    with _inflight_lock:
        _inflight.add(delivery)
    _wait_at_exit()
    delivery.thread.start()


def in_flight() -> int:
    with _inflight_lock:
        return len(_inflight)


def wait_for_deliveries(timeout_s: float | None = None) -> int:
    """Wait for background deliveries, each until its own bound (or `timeout_s` overall, if
    shorter). Returns how many were still running and are abandoned."""
    limit = None if timeout_s is None else time.monotonic() + timeout_s
    with _inflight_lock:
        pending = list(_inflight)
    abandoned = 0
    for d in pending:
        deadline = d.deadline if limit is None else min(d.deadline, limit)
        d.thread.join(max(0.0, deadline - time.monotonic()))
        if d.thread.is_alive():
            abandoned += 1
            log.warning("webhook %s still unanswered at its time bound; giving up on it", d.name)
    return abandoned


def wants(hook: Webhook, provider: str, event: str) -> bool:
    """The webhook's `providers` and `events` let this event about `provider` through."""
    return (not hook.providers or provider in hook.providers) and (
        not hook.events or event.removeprefix("pricesync.") in hook.events
    )


class Notifier:
    """The sync listener that sends webhook summaries in the background."""

    def __init__(self, hooks: list[Webhook], http: HttpSettings) -> None:
        self.hooks = hooks
        self.http = http

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        return cls(list(settings.webhooks), settings.http)

    def __repr__(self) -> str:  # the engine logs listeners by repr: no URLs, no secrets
        return f"Notifier({len(self.hooks)} webhook(s))"

    def send(self, provider: str, payload: Payload) -> None:
        """Send `payload` about `provider` to every webhook that wants it, in the background."""
        for hook in self.hooks:
            if wants(hook, provider, payload["event"]):
                _start(hook, payload, self.http)

    def __call__(self, result: SyncResult, before: PriceCache | None, written: PriceCache | None) -> None:
        changes = cache_changes(before, written)
        if not changes:
            return
        for hook in self.hooks:
            if not wants(hook, result.provider, PRICES_CHANGED_EVENT):
                continue
            payload = summary(result, changes, hook.min_change_pct)
            if payload is not None:
                _start(hook, payload, self.http)


def sample_payload() -> Payload:
    """What `pricesync notify test` sends."""
    result = SyncResult(
        provider="aws",
        mode="public",
        status="updated",
        regions=("us-east-1",),
        records=1,
        changed=1,
        source_version="20250101000000",
    )
    changes = [
        CacheChange(("m5.large", "us-east-1", "linux"), "0.0960000000", "0.1000000000"),
        CacheChange(
            ("m5.large", "us-east-1", "linux"), "0.0600000000", "0.0625000000", "reserved-1yr-standard-no-upfront"
        ),
    ]
    payload = summary(result, changes, 0, test=True)
    assert payload is not None
    return payload
