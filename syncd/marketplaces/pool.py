"""Adapter (marketplaces): the API client's HTTP transport: httpx over aiohttp's connections.

The client speaks httpx (requests, responses, auth, timeouts, errors); underneath,
``httpx-aiohttp`` sends each request through aiohttp's connection pool, whose HTTP/1.1
parser is C (llhttp). httpcore's pure-Python stack (h11, anyio's cancel scopes, a pool
that polls every idle connection on each request) cost about as much CPU as all the
rest of a call: measured with bench/calls.py (3 000 creates, 16 in flight, sandbox over
loopback), 1.47-1.64 ms of syncd's CPU per call through httpcore (already spread over
one small pool per call in flight), 1.17-1.19 ms through aiohttp, three runs each,
interleaved (issue 12). A hand-written HTTP/1.1 transport did as well, but its parser
would be syncd's to keep right; aiohttp's is one of the most used in Python.

What syncd relies on, and where it is kept:

* Errors: the library maps aiohttp's to httpx's (a connection refused, reset or closed
  is a ``TransportError``, a timeout a ``TimeoutException``); the client treats every
  one of them as "may have been applied" (blocket.py), so which subclass does not
  matter. One aiohttp error the map leaves out becomes a ``TransportError`` here.
* Timeouts: ``connect`` and ``read`` of ``api.timeout`` / ``api.connect_timeout``
  (aiohttp has no write timeout; an API's request bodies are a few kB, which the
  socket's buffer takes at once).
* TLS: one context made by httpx (certifi, ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
* Proxies: with a proxy named in the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY)
  :func:`api_transport` gives None, and httpx's own transport honours them as it always
  has (slower, and rare for a server-side job).
"""

from __future__ import annotations

import urllib.request

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

KEEPALIVE = 15.0
"""Seconds an idle connection is kept for the next call (aiohttp's default)."""


class ApiTransport(AiohttpTransport):
    """``AiohttpTransport`` (its one aiohttp session, made in the event loop of the first
    request, with httpx's TLS context and the limits' connections and keep-alive), every
    aiohttp error an httpx one."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; an aiohttp error the library does not map is a TransportError."""
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}", request=request) from exc


def api_transport(max_in_flight: int) -> ApiTransport | None:
    """The transport of the API client: up to two connections per call in flight (as
    httpx's own pool was set); None when the environment names a proxy (httpx's own then)."""
    if urllib.request.getproxies():
        return None
    limits = httpx.Limits(max_connections=2 * max(1, max_in_flight), keepalive_expiry=KEEPALIVE)
    return ApiTransport(limits=limits)
