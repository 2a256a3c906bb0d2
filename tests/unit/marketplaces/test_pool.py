"""The API client's transport: httpx over aiohttp, errors as httpx's, proxies left to httpx.

Real sockets on loopback: a server that answers, one that closes the connection
before answering, one that never answers, and a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from syncd.marketplaces.pool import ApiTransport, api_transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:  # keep-alive: every request on the connection answered
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(h.split(b":")[1])
                for h in head.split(b"\r\n")
                if h.lower().startswith(b"content-length")
            ),
            0,
        )
        body = await reader.readexactly(length)
        reply = b'{"got": %d}' % len(body)
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply)
        )
        await writer.drain()


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.Event().wait()  # never answers; cancelled when the server closes


async def _serving(handler: Handler) -> tuple[asyncio.Server, str]:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed its kept-alive connection
        finally:
            writer.close()

    server = await asyncio.start_server(closing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _client(base_url: str, timeout: float = 30.0) -> httpx.AsyncClient:
    transport = api_transport(4)
    assert transport is not None
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def answering() -> AsyncIterator[str]:
    server, url = await _serving(_answer)
    async with server:
        yield url
        server.close()
        await server.wait_closed()


@pytest.mark.anyio
@pytest.mark.usefixtures("no_proxy")
async def test_requests_are_answered_over_kept_alive_connections(answering: str) -> None:
    """Sixteen POSTs at once over at most eight connections: each answered, its own."""
    async with await _client(answering) as client:
        answers = await asyncio.gather(
            *(client.post("/v4/ad", content=b"x" * n) for n in range(16))
        )
    assert [a.status_code for a in answers] == [201] * 16
    assert [a.json()["got"] for a in answers] == list(range(16))


@pytest.mark.anyio
@pytest.mark.usefixtures("no_proxy")
async def test_a_connection_closed_before_the_answer_is_an_httpx_transport_error() -> None:
    server, url = await _serving(_hang_up)
    async with server, await _client(url) as client:
        with pytest.raises(httpx.TransportError):
            await client.post("/v4/ad", content=b"{}")


@pytest.mark.anyio
@pytest.mark.usefixtures("no_proxy")
async def test_no_answer_within_the_read_timeout_is_an_httpx_timeout() -> None:
    server, url = await _serving(_silent)
    async with server, await _client(url, timeout=0.2) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get("/v4/ad")


@pytest.mark.anyio
@pytest.mark.usefixtures("no_proxy")
async def test_a_refused_connection_is_an_httpx_transport_error() -> None:
    with socket.socket() as s:  # a free port, closed again: nobody listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with await _client(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/v4/ad")


def test_a_proxy_in_the_environment_keeps_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch, no_proxy: None
) -> None:
    """With HTTPS_PROXY set no aiohttp transport is made: httpx's own honours the proxy."""
    assert isinstance(api_transport(4), ApiTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert api_transport(4) is None
