"""A real HTTP server on 127.0.0.1 serving fixture price lists, with scriptable faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    chunk_delay_s: float = 0.0  # sleep between 64 KiB chunks (slow downloads)
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

        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):  # noqa: N802
            server.requests.append((self.path, dict(self.headers)))
            route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
            self._serve(route or self._respond(b""))

        def do_POST(self):  # noqa: N802
            server.requests.append((self.path, dict(self.headers)))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._serve(self._respond(body))

        def _respond(self, body: bytes) -> Route | None:
            responder = server.responders.get(self.path.split("?")[0])
            return responder(self.path, dict(self.headers), body) if responder else None

        def _serve(self, route: Route | None) -> None:
            if route is None:
                return self._send(404, b'{"message": "not found"}', "application/json")
            route.hits += 1
            if route.delay_s:
                time.sleep(route.delay_s)
            if route.hits <= route.fail_first:
                extra = {"Retry-After": route.retry_after} if route.retry_after else {}
                return self._send(route.fail_status, b'{"message": "try later"}', "application/json", extra)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            extra = {"ETag": route.etag} if route.etag else {}
            if route.status >= 400:
                return self._send(route.status, route.body, route.content_type, extra)
            body = route.body if route.truncate_at is None else route.body[: route.truncate_at]
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            try:
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i : i + 65536])
                    if route.chunk_delay_s:
                        time.sleep(route.chunk_delay_s)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            if route.truncate_at is not None:
                self.close_connection = True

        def _send(self, status, body, ctype, extra=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler


class Running:
    def __init__(self) -> None:
        self.state = PriceServer()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        self.state.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # a short poll keeps shutdown() (every test's teardown) from waiting the default 0.5 s
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
