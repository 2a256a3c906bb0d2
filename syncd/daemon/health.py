"""Daemon: ``/healthz``, ``/readyz`` and ``/metrics`` over HTTP, served from a thread.

The decisions (:func:`liveness`, :func:`readiness`) are pure functions over
plain values. :class:`HealthServer` is the standard library's threading HTTP
server: it runs beside the event loop, so ``/healthz`` still answers (503)
when the loop is stuck — which is exactly what it must report.

* ``/healthz`` — alive: the scheduler runs and its loop has ticked recently.
* ``/readyz`` — ready: the database answers, every feed had a successful
  run within ``daemon.ready_max_age``, and the API does not refuse the token.
* ``/metrics`` — the Prometheus text format (see :mod:`syncd.daemon.metrics`).
* ``/status`` (and ``/``) — the status page for a person (:mod:`syncd.daemon.page`):
  HTML with its CSS and chart inline, under a Content-Security-Policy that lets the
  browser load nothing else and run no script.

Each request is served on its own thread, so the status page's synchronous
database queries never run on the daemon's event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

import orjson
import structlog

from syncd.daemon.metrics import CONTENT_TYPE
from syncd.errors import shown

log = structlog.get_logger("syncd.health")

HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {
    # Nothing but the page itself: inline style, no script, no request anywhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class Check:
    """The answer of a probe: ok, or the reasons it is not."""

    ok: bool
    reasons: tuple[str, ...] = ()

    def json(self) -> bytes:
        """The body served for this check."""
        return orjson.dumps(
            {"status": "ok" if self.ok else "unavailable", "reasons": list(self.reasons)}
        )


def liveness(*, running: bool, since_beat: float, max_silence: float) -> Check:
    """Alive when the scheduler runs and the loop's heartbeat is at most max_silence old."""
    reasons = []
    if not running:
        reasons.append("scheduler is not running")
    if since_beat > max_silence:
        reasons.append(f"event loop silent for {since_beat:.0f}s")
    return Check(not reasons, tuple(reasons))


def readiness(
    *,
    now: datetime,
    last_success: Mapping[str, datetime | None],
    max_age: timedelta,
    db_error: str | None,
    token_refusals: tuple[str, ...] = (),
) -> Check:
    """Ready when the database answers, each feed synced successfully within max_age and
    no dealer's token is refused (``token_refusals``: their reasons)."""
    reasons = []
    if db_error is not None:
        reasons.append(f"database unreachable: {db_error}")
    for dealer_code, at in sorted(last_success.items()):
        shown = dealer_code or "(token dealer)"
        if at is None:
            reasons.append(f"{shown}: no successful sync yet")
        elif now - at > max_age:
            reasons.append(f"{shown}: last successful sync {int((now - at).total_seconds())}s ago")
    reasons.extend(token_refusals)
    return Check(not reasons, tuple(reasons))


class Probes(Protocol):
    """What the server asks the daemon (called from the server's threads)."""

    def live(self) -> Check: ...

    def ready(self) -> Check: ...

    def metrics(self) -> bytes: ...

    def page(self) -> bytes:
        """The status page, UTF-8 HTML."""
        ...


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "syncd"
    sys_version = ""

    def do_GET(self) -> None:
        probes = self.server.probes
        path = self.path.split("?", 1)[0]
        try:
            if path == "/healthz":
                self._check(probes.live())
            elif path == "/readyz":
                self._check(probes.ready())
            elif path == "/metrics":
                self._send(HTTPStatus.OK, CONTENT_TYPE, probes.metrics())
            elif path in ("/", "/status"):
                self._send(HTTPStatus.OK, HTML, probes.page(), PAGE_HEADERS)
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")
        except Exception as exc:  # a probe's bug must answer 500, not kill the thread
            log.exception("health_probe_failed", path=path, error=shown(exc))
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", b"probe failed\n")

    def _check(self, check: Check) -> None:
        status = HTTPStatus.OK if check.ok else HTTPStatus.SERVICE_UNAVAILABLE
        self._send(status, "application/json", check.json())

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Scrapes come every few seconds: keep them out of the info log.
        log.debug("health_request", client=self.client_address[0], line=format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    probes: Probes


class HealthServer:
    """The endpoint on ``host:port`` (port 0: any free port, see :attr:`port`)."""

    def __init__(self, probes: Probes, host: str, port: int) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.probes = probes
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="syncd-health",
            daemon=True,
        )

    @property
    def host(self) -> str:
        """The address listened on."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve from a background thread."""
        self._thread.start()
        log.info("health_listening", host=self.host, port=self.port)

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
