"""Fixtures for the sandbox's own tests: an in-process sandbox with a stepped clock.

* ``clock`` — a :class:`ManualClock`; tests advance it instead of sleeping.
* ``make_sandbox`` — builds a :class:`Harness` (app + clock + clients) from settings.
* ``sb`` — a harness with the default settings and a 1 s processing delay.

A harness gives ``client(*dealers, group=None)`` (an httpx client over
ASGITransport with a token), ``anonymous()`` (no token), ``admin()`` and payload
builders ``car()``, ``plain()``, ``moped()``; clients are closed at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.clock import ManualClock
from syncd.sandbox.settings import SandboxSettings

BASE = "http://sandbox.test/pro-import-api"


class Harness:
    """One sandbox app and the clients that talk to it."""

    def __init__(self, settings: SandboxSettings, clock: ManualClock) -> None:
        self.settings = settings
        self.clock = clock
        self.app = create_app(settings, clock=clock)
        self.sandbox = self.app.state.sandbox
        self._clients: list[httpx.AsyncClient] = []

    def _client(self, headers: dict[str, str], base: str = BASE) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=base, headers=headers
        )
        self._clients.append(client)
        return client

    def token(self, *dealers: str, group: str | None = None) -> str:
        return mint_token(list(dealers), secret=self.settings.secret, group=group)

    def client(
        self, *dealers: str, group: str | None = None, base: str = BASE
    ) -> httpx.AsyncClient:
        return self._client({"X-Auth-Token": self.token(*dealers, group=group)}, base)

    def anonymous(self) -> httpx.AsyncClient:
        return self._client({})

    def admin(self) -> httpx.AsyncClient:
        return self._client({}, "http://sandbox.test")

    def settle(self, seconds: float = 60) -> None:
        self.clock.advance(seconds)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()

    @staticmethod
    def car(source_id: str = "car-1", **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "source_id": source_id,
            "category_id": 1020,
            "body": "Välskött bil, servad.",
            "price": [{"type": "list", "amount": 189000, "currency": "SEK"}],
            "image_urls": ["https://cdn.example/car/1.jpg", "https://cdn.example/car/2.png"],
            "category_fields": {
                "model_year": 2019,
                "registration_number": "ABC123",
                "brand": "volvo",
                "model": "v70",
                "condition": {"mileage": {"value": 81000, "unit": "km"}, "is_new_vehicle": False},
                "powertrain": {"fuels": ["diesel"], "transmission": "automatic"},
            },
        }
        doc.update(over)
        return doc

    @staticmethod
    def plain(source_id: str = "sofa-1", **over: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "source_id": source_id,
            "category_id": 2048,
            "title": "Soffa i skinn",
            "body": "Tresits, fint skick.",
            "price": [{"type": "list", "amount": 4500}],
            "contact": {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"},
            "location": {"zipcode": "12133"},
        }
        doc.update(over)
        return doc

    @staticmethod
    def moped(source_id: str = "moped-1", **over: Any) -> dict[str, Any]:
        """A moped as v3 knows it: a simple ad with title and contact."""
        doc = Harness.plain(source_id, category_id=1121, title="Moped klass 1")
        doc.update(over)
        return doc


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when a test advances it."""
    return ManualClock()


@pytest.fixture
async def make_sandbox(clock: ManualClock) -> AsyncIterator[Callable[..., Harness]]:
    """A factory of harnesses from settings keywords; closes their clients afterwards."""
    made: list[Harness] = []

    def make(**settings: Any) -> Harness:
        settings.setdefault("processing_delay", 1.0)
        # These tests PATCH right after a POST to check other rules; the 409 that the
        # sandbox answers while a create is processing has a test of its own.
        settings.setdefault("refuse_updates_while_creating", False)
        harness = Harness(SandboxSettings(**settings), clock)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.aclose()


@pytest.fixture
def sb(make_sandbox: Callable[..., Harness]) -> Harness:
    """A sandbox with the default settings (1 s per action)."""
    return make_sandbox()
