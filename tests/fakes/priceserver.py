"""A real HTTP server on 127.0.0.1 serving fixture price lists, with scriptable faults and the
hostile behaviours of the threat model: a trickled head or body, an endless body, extra headers
(a gzip bomb's Content-Encoding, a redirect's Location), raw bytes instead of HTTP."""

from __future__ import annotations

import gzip
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/json"
    etag: str | None = None
    fail_first: int = 0  # answer the first N requests with fail_status
    fail_status: int = 503
    retry_after: str | None = None
    truncate_at: int | None = None  # promise the full length, send this many bytes, close
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0  # sleep between chunks (slow downloads)
    chunk_size: int = 65536  # 1 with a chunk delay: a trickle
    head_delay_s: float = 0.0  # send the status line and headers a byte at a time, this far apart
    headers: dict[str, str] = field(default_factory=dict)  # extra headers: Location, Content-Encoding, ...
    endless: bytes = b""  # after the body, send this again and again until the client goes away
    raw: bytes | None = None  # send these bytes instead of an HTTP response, then close
    hits: int = 0


# (path with query, headers, request body) -> the Route to serve, or None for a 404
Responder = Callable[[str, dict, bytes], "Route | None"]


@dataclass
class PriceServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    url: str = ""
    # dynamic answers by path (no query): APIs whose answer depends on the query or the
    # POST body (paging tokens, the AWS Pricing API's JSON protocol)
    responders: dict[str, Responder] = field(default_factory=dict)

    def set(self, path: str, body: bytes, **opts) -> Route:
        route = Route(body, **opts)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path or p == path)


def _handler(server: PriceServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # a head and a body in two writes: no 40 ms delayed-ACK stall

        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            server.requests.append((self.path, dict(self.headers)))
            route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
            self._answer(route or self._respond(b""))

        def do_POST(self):
            server.requests.append((self.path, dict(self.headers)))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(self._respond(body))

        def _answer(self, route: Route | None) -> None:
            try:
                self._serve(route)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: a bound did its job
                self.close_connection = True

        def _respond(self, body: bytes) -> Route | None:
            responder = server.responders.get(self.path.split("?")[0])
            return responder(self.path, dict(self.headers), body) if responder else None

        def _serve(self, route: Route | None) -> None:
            if route is None:
                self._send(404, b'{"message": "not found"}', "application/json")
                return
            route.hits += 1
            if route.delay_s:
                time.sleep(route.delay_s)
            if route.raw is not None:
                self.close_connection = True
                self._write(route.raw)
                return
            if route.hits <= route.fail_first:
                extra = {"Retry-After": route.retry_after} if route.retry_after else {}
                self._send(route.fail_status, b'{"message": "try later"}', "application/json", extra)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self._head(304, {"ETag": route.etag, "Content-Length": "0"})
                return
            extra = ({"ETag": route.etag} if route.etag else {}) | route.headers
            if route.status >= 400:
                self._send(route.status, route.body, route.content_type, extra)
                return
            body = route.body if route.truncate_at is None else route.body[: route.truncate_at]
            length = {} if route.endless else {"Content-Length": str(len(route.body))}
            if route.endless or route.truncate_at is not None:
                self.close_connection = True
                extra["Connection"] = "close"
            self._head(route.status, {"Content-Type": route.content_type} | length | extra, route.head_delay_s)
            for i in range(0, len(body), route.chunk_size):
                self._write(body[i : i + route.chunk_size])
                if route.chunk_delay_s:
                    time.sleep(route.chunk_delay_s)
            while route.endless:
                self._write(route.endless)

        def _head(self, status: int, headers: dict[str, str], delay_s: float = 0.0) -> None:
            reason = HTTPStatus(status).phrase if status in set(HTTPStatus) else "Unknown"
            head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            if not delay_s:
                self._write(head.encode("latin-1"))
                return
            for byte in head.encode("latin-1"):
                self._write(bytes([byte]))
                time.sleep(delay_s)

        def _write(self, data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        def _send(self, status, body, ctype, extra=None):
            self._head(status, {"Content-Type": ctype, "Content-Length": str(len(body))} | (extra or {}))
            self._write(body)

    return Handler


class Running:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: serve HTTPS with this server context."""
        self.state = PriceServer()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.state.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.httpd.server_address[1]}"
        # a short poll keeps shutdown() (every test's teardown) from waiting the default 0.5 s
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def header(headers: dict, name: str) -> str | None:
    """The value of header `name` (in any case) among a recorded request's `headers`."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def gzip_bomb(decoded_mb: int, prefix: bytes = b"") -> bytes:
    """A gzip body that decompresses to `prefix` and then `decoded_mb` MB of spaces (valid
    JSON whitespace): about a thousandth of that on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * 1_000_000
    parts = [packer.compress(prefix)] + [packer.compress(spaces) for _ in range(decoded_mb)]
    return b"".join(parts) + packer.flush()


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)
