"""A local HTTP server that publishes feeds the way DMSs do, well and badly (tests only).

:class:`FeedServer` runs ``http.server`` in a thread on a free port of
127.0.0.1. Each path is a :class:`Reply`: a body with an ETag and a
Last-Modified that honours a conditional GET (304), or one of the ways a
fetch goes wrong (a status, a dropped connection, a Content-Length that lies,
an HTML page, a cut gzip stream, a body that never ends or stalls), maybe echoing
a request header in its body (as an API or a proxy may echo the token). Every
request's path and headers are recorded for the test to look at.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["ok", "drop", "lie", "gzip", "cut-gzip", "endless", "stall", "trickle"]
TRICKLE_PAUSE = 0.05  # between two bytes of a trickled body: the pace, not a synchronisation


@dataclass
class Reply:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    mode: Mode = "ok"
    etag: str | None = '"v1"'
    last_modified: str | None = None
    content_type: str = "application/octet-stream"
    echo: str | None = None
    """A request header whose value replaces ``{echo}`` in the body (a server that echoes
    the request, a token header among it)."""


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    answered: int = 0


@dataclass
class FeedServer:
    """The routes, the requests seen, and the URL to reach them."""

    port: int = 0
    routes: dict[str, Reply] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """The headers of every request for ``path``, lower-cased names."""
        return [s.headers for s in self.seen if s.path.split("?")[0] == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test looks at ``seen``."""

        def do_GET(self) -> None:
            seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
            server.seen.append(seen)
            reply = server.routes.get(self.path.split("?")[0])
            if reply is None:
                self._simple(404, b"not found")
                return
            if reply.etag and self.headers.get("If-None-Match") == reply.etag:
                seen.answered = 304
                self._simple(304, b"")
                return
            seen.answered = reply.status
            if reply.echo is not None:
                echoed = self.headers.get(reply.echo, "").encode()
                reply = replace(reply, body=reply.body.replace(b"{echo}", echoed))
            self._answer(reply)

        def _simple(self, status: int, body: bytes) -> None:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self, reply: Reply) -> None:
            body, mode = reply.body, reply.mode
            if mode in ("gzip", "cut-gzip"):
                body = gzip.compress(body)
                body = body[: len(body) // 2] if mode == "cut-gzip" else body
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in (("ETag", reply.etag), ("Last-Modified", reply.last_modified)):
                if value:
                    self.send_header(name, value)
            if mode in ("gzip", "cut-gzip"):
                self.send_header("Content-Encoding", "gzip")
            if mode in ("endless", "stall", "trickle"):
                self.send_header("Connection", "close")
            else:
                declared = len(body) * 2 if mode == "lie" else len(body)
                self.send_header("Content-Length", str(declared))
            self.end_headers()
            self._body(mode, body)

        def _body(self, mode: Mode, body: bytes) -> None:
            try:
                if mode == "drop":
                    self.wfile.write(body[: len(body) // 2])
                elif mode == "endless":
                    chunk = b"x" * 65536
                    while not server.release.is_set():
                        self.wfile.write(chunk)
                elif mode == "trickle":  # each read is quick; the whole never ends in time
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        if server.release.wait(TRICKLE_PAUSE):
                            break
                elif mode == "stall":
                    self.wfile.write(body[:10])
                    self.wfile.flush()
                    server.release.wait(60)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
            self.close_connection = True

    return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A running :class:`FeedServer` until the block ends."""
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
