"""Reconcile's concurrent listings each add their ads still in flight to the round's count,
whatever order they are answered in (on fakes, ordered by events)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.models import (
    Accepted,
    Answer,
    Create,
    LogEntry,
    LogState,
    RemoteAd,
    RemoteState,
    Stage,
)
from syncd.runs import Deps, RunOptions
from syncd.settling import reconcile
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
D = "D1"
BODY = {"title": "Sofa", "price": [{"type": "list", "amount": 5}]}


class Ordered(FakeMarketplace):
    """Holds each listing until both are under way; then answers "a" first and "b" only
    once "a"'s outcomes are counted (``counted``, set by the progress port)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered: list[str] = []
        self.both = asyncio.Event()
        self.counted = asyncio.Event()

    async def list_with_logs(self, dealer_code: str, source_ids: Sequence[str]) -> list[RemoteAd]:
        self.entered.append(source_ids[0])
        if len(self.entered) == 2:
            self.both.set()
        await (self.both if source_ids[0] == "a" else self.counted).wait()
        return await super().list_with_logs(dealer_code, source_ids)


class Counted:
    """The progress port: told once a listing's outcomes are counted."""

    def __init__(self, market: Ordered) -> None:
        self.market = market

    def update(self, task: str, done: int, total: int | None = None) -> None:
        self.market.counted.set()


def entry(action: str, request_id: str) -> LogEntry:
    return LogEntry(action, LogState.DONE, T0 + timedelta(seconds=1), request_id, None)


@pytest.mark.anyio
async def test_a_listing_answered_while_another_is_under_way_keeps_its_ads_in_flight() -> None:
    """Two listings at once: "a" (still processing) is answered, then "b" (done); the
    round counts "a" still in flight instead of losing it to "b"'s answer."""
    mirror = FakeMirror()
    creates = [Create(D, s, 2048, body=BODY, payload=BODY, payload_hash="h") for s in "ab"]
    mirror.record_intents(creates, T0)
    accepted = [Accepted(201, request_id=f"r{c.source_id}") for c in creates]
    mirror.record_answers([Answer(c, r, T0) for c, r in zip(creates, accepted, strict=True)])
    market = Ordered()
    market.remote["a"] = RemoteAd("a", RemoteState.CREATED, logs=(entry("create", "ra"),))
    logs_b = (entry("create", "rb"), entry("publish", "rb"))
    market.remote["b"] = RemoteAd("b", RemoteState.CREATED, logs=logs_b)
    deps = Deps(mirror, market, FixedClock(T0 + timedelta(seconds=2)), progress=Counted(market))
    options = RunOptions(max_in_flight=2, batch_size=1, reconcile_wait=0)
    counts = await reconcile(deps, D, options)
    assert market.entered == ["a", "b"]
    assert counts == {"done": 1, "error": 0, "processing": 1}
    assert [ad.source_id for ad in mirror.in_flight(D)] == ["a"]
    assert mirror.load(D)["b"].stage is Stage.DONE
