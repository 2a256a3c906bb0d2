"""Adapter (marketplaces): an HTTP transport that spreads calls over one-connection pools.

httpcore's connection pool walks every one of its connections, polling each idle
one's socket, on every request and every response: with 16 calls in flight that
walk costs about as much CPU as the rest of the call (bench/calls.py; in
isolation 1.9-2.5 against 1.2-1.3 ms of CPU per call). :class:`SpreadTransport`
holds one small pool per call in flight instead and sends each request through
the pool with the fewest requests under way, so each walk is over one connection.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence

import httpx


class SpreadTransport(httpx.AsyncBaseTransport):
    """Sends each request through the least busy of ``pools`` (until its response closes)."""

    def __init__(self, pools: Sequence[httpx.AsyncBaseTransport]) -> None:
        if not pools:
            raise ValueError("SpreadTransport needs at least one pool")
        self._pools = list(pools)
        self._busy = [0] * len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool with the fewest requests under way."""
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        stream = response.stream
        if response.is_closed or not isinstance(stream, httpx.AsyncByteStream):
            self._release(index)  # a body read whole already (a mock's): nothing under way
        else:
            response.stream = _Releasing(stream, lambda: self._release(index))
        return response

    def _release(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        """Close every pool."""
        for pool in self._pools:
            await pool.aclose()


class _Releasing(httpx.AsyncByteStream):
    """A response body that tells its transport, once, when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def spread_transport(max_in_flight: int) -> SpreadTransport | None:
    """One pool per call in flight (each up to two connections, one kept alive), sharing
    one TLS context; None when the environment names a proxy, so that httpx's own
    transport keeps honouring HTTP(S)_PROXY / ALL_PROXY / NO_PROXY as it always has."""
    if urllib.request.getproxies():
        return None
    tls = httpx.create_ssl_context()  # once: each transport would load the CA file anew
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=1)
    return SpreadTransport(
        [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(max_in_flight)]
    )
