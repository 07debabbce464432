"""HTTP for every source and every webhook: the one place where a response is bounded in time
and size, every redirect is checked, and a URL is made fit for a message.

* **Time.** Each request runs under a `_Pace` that a network backend consults on every socket
  operation: a connect, a write or a read never waits past the request's deadline (the read
  timeout is the smaller of `timeout_s` and the time left), and a download whose rate stays
  under the floor for a whole window fails. httpx's own read timeout restarts with every
  chunk, so it alone lets a server that trickles a byte at a time hold a request forever.
* **Size.** The body is counted after decompression (what httpx's decoders yield), and the
  read stops as soon as the bound is passed. Only `gzip` and `deflate` are asked for and
  accepted, one layer at most (stacked layers multiply a bomb's ratio).
* **Redirects.** Followed only within the origin (scheme, host, port) of the request, at most
  MAX_REDIRECTS hops, so a credential header (GCP's `X-Goog-Api-Key`, which httpx would carry
  along) never reaches another origin.
* **Retries.** `httpx-retries` adds them as a transport (exponential backoff, honours
  Retry-After) for 429 and 5xx, and for connect/read errors; a pause never outlasts the
  request's deadline.
* **Messages.** `redact_url` removes user info and credential query values; `plain` keeps an
  exception's text free of the raw bytes a server sent.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import httpcore
import httpx
from httpx_retries import Retry, RetryTransport

from .errors import Cancelled, SourceError

RETRY_STATUSES = (429, 500, 502, 503, 504)
CHUNK = 1 << 18
MAX_BACKOFF_S = 30.0  # cap of one sleep between attempts
MAX_REDIRECTS = 5
ENCODINGS = ("gzip", "deflate")  # the only Content-Encodings asked for and accepted


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout_s: float = 60.0  # one connect, write or read
    retries: int = 4
    backoff_s: float = 0.5
    max_download_mb: int = 6000  # an offer file, decompressed
    verify_tls: bool = True
    document_timeout_s: float = 120.0  # an index, an API page: first attempt to last byte
    max_document_mb: int = 32  # an index, an API page, decompressed
    min_rate_kb_s: float = 16.0  # an offer download fails when slower than this ...
    rate_window_s: float = 60.0  # ... for a whole window of this many seconds

    def document(self) -> Limits:
        """An index, an API page: small, whole in memory, a total deadline."""
        return Limits(self.max_document_mb * 1_000_000, self.document_timeout_s)

    def download(self) -> Limits:
        """An offer file: large, streamed; a deadline until the headers, then a rate floor."""
        return Limits(
            self.max_download_mb * 1_000_000, self.document_timeout_s, self.min_rate_kb_s * 1000, self.rate_window_s
        )


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of one request. With a rate floor (`min_rate`, bytes/s over `window_s`),
    `deadline_s` bounds the wait for the response headers only; without, the whole request."""

    max_bytes: int
    deadline_s: float
    min_rate: float = 0.0
    window_s: float = 0.0
    knob: str = "[http] document_timeout_s"  # what sets the deadline, for the message


# -- messages ---------------------------------------------------------------------------------

_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//|)[^/?#]*@")  # a scheme-less one too
_QUERY_PAIR = re.compile(r"(^|&)([^=&]*)=([^&]*)")
_CREDENTIAL = re.compile(r"key|token|secret|passw|pwd|sig|auth|credential|session", re.IGNORECASE)
_NOT_PRINTABLE = re.compile(r"[^\x21-\x7e]")
_RAW_BYTES = re.compile(r":? ?b['\"].*", re.DOTALL)  # a repr of raw bytes, as h11 puts in its messages


def redact_url(url: object) -> str:
    """`url` fit for a message: no user info, no fragment, credential-like query values as
    `***`, and every character outside printable ASCII percent-encoded (a URL can come from
    a server)."""
    text = _USERINFO.sub(r"\1", str(url)).partition("#")[0]
    base, sep, query = text.partition("?")

    def mask(m: re.Match[str]) -> str:
        return f"{m[1]}{m[2]}=***" if _CREDENTIAL.search(m[2]) else m[0]

    text = base + sep + _QUERY_PAIR.sub(mask, query)
    return _NOT_PRINTABLE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), text)


def plain(text: object, limit: int = 160) -> str:
    """An exception's or a server's text for a one-line message: its first line, without any
    repr of raw bytes, printable ASCII only, at most `limit` characters."""
    first = str(text).strip().split("\n", 1)[0]
    first = _RAW_BYTES.sub("", first)
    first = "".join(ch if " " <= ch <= "~" else "?" for ch in first)
    return first if len(first) <= limit else first[: limit - 3] + "..."


def reason(status: int) -> str:
    """The standard phrase of a status code: the server's own reason phrase is its bytes."""
    return httpx.codes.get_reason_phrase(status) or "(unknown status)"


def describe(exc: Exception, name: str) -> str:
    """One line for a transport failure of the request to `name` (already redacted)."""
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {name}: {plain(exc)}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {name}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"{name} redirects more than {MAX_REDIRECTS} times"
    if isinstance(exc, httpx.DecodingError):
        return f"{name} sent a compressed body that does not decompress"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return f"download of {name} was cut off: {plain(exc)}"
    return f"request to {name} failed: {plain(exc)}"


# -- time: a deadline and a rate floor on every socket operation ---------------------------------


class _Pace:
    """The time bounds of one request, checked by the network backend on every operation."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.deadline: float | None = time.monotonic() + limits.deadline_s
        self._window: float | None = None  # start of the current rate window
        self._window_bytes = 0

    def body_started(self) -> None:
        """Headers are in: a download now runs on its rate floor instead of the deadline."""
        if self.limits.min_rate > 0:
            self.deadline = None
            self._window, self._window_bytes = time.monotonic(), 0

    def check(self) -> None:
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            raise SourceError(f"{self.name} did not arrive within {self.limits.deadline_s:g} s ({self.limits.knob})")
        if self._window is not None and now - self._window >= self.limits.window_s:
            if self._window_bytes < self.limits.min_rate * self.limits.window_s:
                raise SourceError(
                    f"download of {self.name} stalled: under {self.limits.min_rate / 1000:g} KB/s for "
                    f"{self.limits.window_s:g} s ([http] min_rate_kb_s, rate_window_s)"
                )
            self._window, self._window_bytes = now, 0

    def timeout(self, timeout: float | None) -> float | None:
        """`timeout` cut to the time left before the deadline (raising once there is none)."""
        self.check()
        if self.deadline is None:
            return timeout
        left = max(self.deadline - time.monotonic(), 0.001)
        return left if timeout is None else min(timeout, left)

    def received(self, n: int) -> None:
        self._window_bytes += n
        self.check()


_PACE: contextvars.ContextVar[_Pace | None] = contextvars.ContextVar("pricesync_pace", default=None)


@contextlib.contextmanager
def _paced(kind: type[Exception]) -> Iterator[_Pace | None]:
    """The current request's pace; a timeout of `kind` that its deadline caused says so."""
    pace = _PACE.get()
    try:
        yield pace
    except kind:
        if pace is not None:
            pace.check()
        raise


class _PacedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _paced(httpcore.ReadTimeout) as pace:
            data = self._inner.read(max_bytes, pace.timeout(timeout) if pace else timeout)
        if pace is not None:
            pace.received(len(data))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _paced(httpcore.WriteTimeout) as pace:
            self._inner.write(buffer, pace.timeout(timeout) if pace else timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        with _paced(httpcore.ConnectTimeout) as pace:
            return _PacedStream(
                self._inner.start_tls(ssl_context, server_hostname, pace.timeout(timeout) if pace else timeout)
            )

    def get_extra_info(self, info: str) -> Any:  # httpcore's own signature: what it is depends on `info`
        return self._inner.get_extra_info(info)


class _PacedBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        with _paced(httpcore.ConnectTimeout) as pace:
            inner = super().connect_tcp(
                host, port, pace.timeout(timeout) if pace else timeout, local_address, socket_options
            )
        return _PacedStream(inner)


class PacedTransport(httpx.HTTPTransport):
    """httpx's transport on a network backend that holds every socket operation to the
    current request's `_Pace`. (httpx does not take a network backend, so the pool is
    rebuilt with one.)"""

    def __init__(self, verify: bool = True) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context)
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_PacedBackend())


class _Retry(Retry):
    """Retry whose pause between attempts never outlasts the current request's deadline."""

    def sleep(self, response: httpx.Response | Exception) -> None:
        pace = _PACE.get()
        if pace is not None and pace.deadline is not None:
            left = pace.deadline - time.monotonic()
            if left <= 0:
                pace.check()
            self.total_timeout = (
                self.elapsed_sleep + left
                if self.total_timeout is None
                else min(self.total_timeout, self.elapsed_sleep + left)
            )
        super().sleep(response)


# -- redirects ------------------------------------------------------------------------------------


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


def _same_origin_redirects(response: httpx.Response) -> None:
    """A response hook: refuse a redirect to another origin before httpx follows it."""
    if not response.has_redirect_location:
        return
    here = response.request.url
    try:
        target = here.join(response.headers["location"])
    except httpx.InvalidURL:
        raise SourceError(f"{redact_url(here)} redirects to an invalid URL") from None
    if origin(target) != origin(here):
        raise SourceError(f"{redact_url(here)} redirects to {redact_url(target)}, another origin: not followed")


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
    (honouring Retry-After) and follows redirects within the request's origin only.
    `methods` widens the retried methods beyond the idempotent ones (webhooks POST);
    `transport` replaces the inner PacedTransport (tests count attempts: subclass it)."""
    retry = _Retry(
        total=settings.retries,
        allowed_methods=methods,
        backoff_factor=settings.backoff_s,
        status_forcelist=RETRY_STATUSES,
        max_backoff_wait=MAX_BACKOFF_S,
        total_timeout=total_backoff_s,
    )
    timeout = timeout_s if timeout_s is not None else settings.timeout_s
    return httpx.Client(
        transport=RetryTransport(transport=transport or PacedTransport(settings.verify_tls), retry=retry),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        event_hooks={"response": [_same_origin_redirects] if follow_redirects else []},
        headers={"User-Agent": "pricesync", "Accept-Encoding": ", ".join(ENCODINGS)},
    )


# -- size: the body, counted after decompression ----------------------------------------------


class Body:
    """A streamed response body with a file-like `read`, counting decompressed bytes against
    a bound. Checks the cancel event on every read so a shutdown stops a download within a
    chunk."""

    def __init__(
        self,
        response: httpx.Response,
        name: str,
        max_bytes: int,
        cancel: threading.Event | None,
        on_bytes: Callable[[int, int | None], None] | None,
    ) -> None:
        self._response = response
        self._chunks = response.iter_bytes(CHUNK)
        self.name = name
        self.total = None if _encodings(response) else _content_length(response)
        self.read_bytes = 0
        self._max = max_bytes
        self._cancel = cancel
        self._on_bytes = on_bytes
        self._first = True

    def read(self, n: int = -1) -> bytes:
        """The next chunk, whatever its size; `read(0)` is ijson's probe for bytes vs str."""
        if n == 0:
            return b""
        if self._first:
            encodings = _encodings(self._response)
            if len(encodings) > 1 or any(e not in ENCODINGS for e in encodings):
                raise SourceError(
                    f"{self.name} sent a Content-Encoding other than one layer of {' or '.join(ENCODINGS)}"
                )
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("sync cancelled")
        try:
            chunk = next(self._chunks, b"")
        except httpx.HTTPError as exc:
            raise SourceError(describe(exc, self.name)) from None
        if self._first and chunk:
            self._first = False
            if chunk.lstrip()[:1] == b"<":
                raise SourceError(f"{self.name} returned HTML (an error page?), not JSON")
        self.read_bytes += len(chunk)
        if self.read_bytes > self._max:
            raise SourceError(f"{self.name} is larger than the {self._max // 1_000_000} MB limit (decompressed)")
        if self._on_bytes is not None:
            self._on_bytes(self.read_bytes, self.total)
        return chunk

    def whole(self) -> bytes:
        return b"".join(iter(self.read, b""))


def _encodings(response: httpx.Response) -> list[str]:
    values = (e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True))
    return [e for e in values if e not in ("", "identity")]


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


# what json.loads calls with the text of each JSON number that has a fraction or an exponent
ParseFloat = Callable[[str], object]


class NotModified(Exception):
    """The server answered 304 to a conditional request."""


@contextlib.contextmanager
def bounded(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    limits: Limits,
    name: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    content: bytes | None = None,
    cancel: threading.Event | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> Iterator[tuple[httpx.Response, Body]]:
    """Send a request under `limits`, streaming: yield the response (any status) and its body.
    Every failure is a SourceError of one line naming `name` (default: the redacted URL)."""
    pace = _Pace(name or redact_url(url), limits)
    token = _PACE.set(pace)
    try:
        with client.stream(method, url, headers=headers, params=params, content=content) as response:
            pace.body_started()
            yield response, Body(response, pace.name, limits.max_bytes, cancel, on_bytes)
    except httpx.HTTPError as exc:
        raise SourceError(describe(exc, pace.name)) from None
    finally:
        _PACE.reset(token)


def _checked(response: httpx.Response, name: str) -> None:
    """NotModified on 304; a SourceError naming the URL that answered for any 4xx/5xx."""
    if response.status_code == 304:
        raise NotModified()
    if response.status_code >= 400:
        where = redact_url(response.url)
        if response.history:
            where += f" (redirected from {name})"
        raise SourceError(f"HTTP {response.status_code} {reason(response.status_code)} from {where}")


class RequestOptions(TypedDict, total=False):
    """What `get_stream` and `get_json` pass on to `bounded`."""

    name: str | None
    headers: dict[str, str] | None
    params: dict[str, str] | None
    content: bytes | None
    cancel: threading.Event | None
    on_bytes: Callable[[int, int | None], None] | None


@contextlib.contextmanager
def get_stream(
    client: httpx.Client, url: str, *, limits: Limits, **request: Unpack[RequestOptions]
) -> Iterator[tuple[httpx.Response, Body]]:
    """GET `url` under `limits`, streaming (`request`: headers, params, cancel, on_bytes, as
    for `bounded`); SourceError on any failure or 4xx/5xx, NotModified on 304."""
    with bounded(client, "GET", url, limits=limits, **request) as (response, body):
        _checked(response, body.name)
        yield response, body


def get_json(
    client: httpx.Client,
    url: str,
    *,
    settings: HttpSettings,
    parse_float: ParseFloat | None = None,
    **request: Unpack[RequestOptions],
) -> tuple[httpx.Response, object]:
    """GET a small JSON document (an index, an API page) whole, under the document bounds.
    `parse_float=Decimal` keeps prices that a source sends as JSON numbers exact."""
    with get_stream(client, url, limits=settings.document(), **request) as (response, body):
        data = body.whole()
    return response, parse_json(data, body.name, parse_float=parse_float)


def parse_json(data: bytes | str, name: str, *, parse_float: ParseFloat | None = None) -> object:
    """`json.loads`, failing with one line that gives the position, never the bytes."""
    try:
        return json.loads(data, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{name} did not return valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name} did not return valid JSON (not UTF-8 at byte {exc.start})") from None
    except RecursionError:
        raise SourceError(f"{name} did not return valid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise SourceError(f"{name} did not return valid JSON ({plain(exc, 80)})") from None


@contextlib.contextmanager
def response_shape(name: str) -> Iterator[None]:
    """Turn a crash on a response of the wrong shape (a list where an object belongs, a
    number for a string, ...) into one SourceError naming it, without the data."""
    try:
        yield
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, ArithmeticError, RecursionError) as exc:
        raise SourceError(f"{name} has an unexpected shape ({type(exc).__name__})") from None
