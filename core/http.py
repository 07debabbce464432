"""HTTP for every source: timeouts, TLS verification, bounded retries, size limits.

httpx has no status-code retries of its own; `httpx-retries` adds them as a transport
(exponential backoff, honours Retry-After) for 429 and 5xx, and for connect/read errors.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from httpx_retries import Retry, RetryTransport

from .errors import Cancelled, SourceError

RETRY_STATUSES = (429, 500, 502, 503, 504)
CHUNK = 1 << 18


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout_s: float = 60.0
    retries: int = 4
    backoff_s: float = 0.5
    max_download_mb: int = 6000
    verify_tls: bool = True


MAX_BACKOFF_S = 30.0  # cap of one sleep between attempts


def make_client(
    settings: HttpSettings,
    *,
    methods: tuple[str, ...] | None = None,
    timeout_s: float | None = None,
    transport: httpx.BaseTransport | None = None,
    total_backoff_s: float | None = None,
    follow_redirects: bool = True,
) -> httpx.Client:
    """A client that retries 429/5xx and connection errors with capped exponential backoff
    (honouring Retry-After). `methods` widens the retried methods beyond the idempotent ones
    (webhooks POST); `transport` wraps an inner transport (tests count attempts)."""
    retry = Retry(
        total=settings.retries,
        allowed_methods=methods,
        backoff_factor=settings.backoff_s,
        status_forcelist=RETRY_STATUSES,
        max_backoff_wait=MAX_BACKOFF_S,
        total_timeout=total_backoff_s,
    )
    timeout = timeout_s if timeout_s is not None else settings.timeout_s
    return httpx.Client(
        transport=RetryTransport(transport=transport, retry=retry),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        verify=settings.verify_tls,
        follow_redirects=follow_redirects,
        headers={"User-Agent": "pricesync"},
    )


def describe(exc: Exception, url: str) -> str:
    """One line for a transport failure."""
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {url}"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return f"download of {url} was cut off: {exc}"
    return f"request to {url} failed: {exc}"


class Body:
    """A streamed response body with a file-like `read`, counting bytes against a bound.

    Checks the cancel event on every read so a shutdown stops a download within a chunk.
    """

    def __init__(
        self,
        response: httpx.Response,
        url: str,
        max_bytes: int,
        cancel: threading.Event | None,
        on_bytes: Callable[[int, int | None], None] | None,
    ) -> None:
        self._chunks = response.iter_bytes(CHUNK)
        self.url = url
        self.total = int(response.headers["content-length"]) if "content-length" in response.headers else None
        self.read_bytes = 0
        self._max = max_bytes
        self._cancel = cancel
        self._on_bytes = on_bytes
        self._first = True

    def read(self, n: int = -1) -> bytes:
        """The next chunk, whatever its size; `read(0)` is ijson's probe for bytes vs str."""
        if n == 0:
            return b""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("sync cancelled")
        try:
            chunk = next(self._chunks, b"")
        except httpx.HTTPError as exc:
            raise SourceError(describe(exc, self.url)) from None
        if self._first and chunk:
            self._first = False
            if chunk.lstrip()[:1] == b"<":
                raise SourceError(f"{self.url} returned HTML (an error page?), not JSON")
        self.read_bytes += len(chunk)
        if self.read_bytes > self._max:
            raise SourceError(f"{self.url} is larger than the {self._max // 1_000_000} MB limit")
        if self._on_bytes is not None:
            self._on_bytes(self.read_bytes, self.total)
        return chunk


class NotModified(Exception):
    """The server answered 304 to a conditional request."""


@contextlib.contextmanager
def get_stream(
    client: httpx.Client,
    url: str,
    *,
    settings: HttpSettings,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> Iterator[tuple[httpx.Response, Body]]:
    """GET `url` streaming; raise SourceError (one line) on any failure, NotModified on 304."""
    try:
        with client.stream("GET", url, headers=headers, params=params) as response:
            if response.status_code == 304:
                raise NotModified()
            if response.status_code >= 400:
                raise SourceError(f"HTTP {response.status_code} {response.reason_phrase} from {url}")
            yield response, Body(response, url, settings.max_download_mb * 1_000_000, cancel, on_bytes)
    except httpx.HTTPError as exc:
        raise SourceError(describe(exc, url)) from None


def get_json(
    client: httpx.Client, url: str, *, settings: HttpSettings, parse_float=None, **kwargs
) -> tuple[httpx.Response, object]:
    """GET a small JSON document (an index, an API page) whole. `parse_float=Decimal` keeps
    prices that a source sends as JSON numbers exact."""
    with get_stream(client, url, settings=settings, **kwargs) as (response, body):
        data = b"".join(iter(body.read, b""))
    try:
        return response, json.loads(data, parse_float=parse_float)
    except ValueError as exc:
        raise SourceError(f"{url} did not return valid JSON: {exc}") from None
