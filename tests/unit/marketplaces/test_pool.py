"""The spread transport: a request goes through the least busy pool, freed when it is answered."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from syncd.marketplaces.pool import SpreadTransport, spread_transport


class Pool:
    """A mock pool that records the requests it got; ``gate`` holds them until set."""

    def __init__(self, name: str, gate: asyncio.Event | None = None) -> None:
        self.name = name
        self.got: list[str] = []
        self.gate = gate
        self.transport = httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.got.append(request.url.path)
        if self.gate is not None:
            await self.gate.wait()
        if request.url.path == "/boom":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"pool": self.name})


@pytest.mark.anyio
async def test_calls_in_flight_each_go_through_a_pool_of_their_own() -> None:
    """Three requests under way at once land on three different pools, answered right."""
    gate = asyncio.Event()
    pools = [Pool(str(n), gate) for n in range(3)]
    async with httpx.AsyncClient(
        transport=SpreadTransport([p.transport for p in pools]), base_url="http://api"
    ) as client:
        calls = [asyncio.ensure_future(client.get(f"/ad/{n}")) for n in range(3)]
        while sum(len(p.got) for p in pools) < 3:
            await asyncio.sleep(0)
        gate.set()
        answers = [(await c).json()["pool"] for c in calls]
    assert [len(p.got) for p in pools] == [1, 1, 1]
    assert sorted(answers) == ["0", "1", "2"]


@pytest.mark.anyio
async def test_a_pool_is_free_again_once_its_response_closed_or_failed() -> None:
    """One call after another always finds the first pool free, failures included."""
    pools = [Pool("a"), Pool("b")]
    async with httpx.AsyncClient(
        transport=SpreadTransport([p.transport for p in pools]), base_url="http://api"
    ) as client:
        for path in ("/x", "/boom", "/y"):
            with contextlib.suppress(httpx.ConnectError):
                await client.get(path)
    assert (pools[0].got, pools[1].got) == (["/x", "/boom", "/y"], [])


def test_a_proxy_in_the_environment_keeps_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With HTTPS_PROXY set no spread transport is made: httpx's own honours the proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    assert isinstance(spread_transport(4), SpreadTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert spread_transport(4) is None
