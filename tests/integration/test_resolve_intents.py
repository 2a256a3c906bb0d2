"""Intents a crash left are read back concurrently, bounded, with the sequential outcomes.

A real SQLite mirror holds 40 intents of every kind (creates that reached the
sandbox and creates that did not, updates, deletes); the sandbox runs as a
subprocess over real HTTP. A wrapper around the real client counts the reads
in flight (entered and not yet returned): never more than ``max_in_flight``, and
that many at once when there are enough intents. The same mirror file resolved
one read at a time gives the same rows and the same problems.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd import bootstrap
from syncd.core.models import Create, Delete, MirrorAd, Payload, RemoteAd, Update, WriteResult
from syncd.errors import ApiUnavailable
from syncd.mirror.engine import make_engine
from syncd.mirror.sql import SqlMirror
from syncd.ports import Marketplace
from syncd.service import Deps, resolve_intents
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import SandboxServer

D = "D1"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIVE = 16  # ads synced first: the updates and deletes are intended on these
NEW = 24  # creates intended: the even ones reached the API before the "crash"
BROKEN = "sofa-105"  # its read back fails unexpectedly (a bug): reported, left intended


class FixedClock:
    """One instant, so that two resolutions write the same timestamps."""

    def now(self) -> datetime:
        return NOW


class Counting:
    """The real client; counts the reads in flight, and breaks on chosen source_ids."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.inner: Marketplace | None = None  # the real client, once built
        self._fail = fail or {}
        self.in_flight = 0
        self.peak = 0
        self.reads = 0

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.reads += 1
        try:
            if source_id in self._fail:  # at once, before any answer of the others
                raise self._fail[source_id]
            assert self.inner is not None
            return await self.inner.get(dealer_code, source_id)
        finally:
            self.in_flight -= 1

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        raise AssertionError("resolving intents sends nothing")

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> WriteResult:
        raise AssertionError("resolving intents sends nothing")

    async def delete(self, dealer_code: str, source_id: str) -> WriteResult:
        raise AssertionError("resolving intents sends nothing")

    async def list_with_logs(self, dealer_code: str, source_ids: Sequence[str]) -> list[RemoteAd]:
        raise AssertionError("resolving intents reads ads one by one")


def intended(h: Harness) -> Path:
    """The harness's mirror after a sync of LIVE ads, then a "crash" that left 40 intents:
    an update on half of them, a delete on the other half, and NEW creates of which
    the even ones reached the sandbox. Returns the mirror's file."""
    h.write([goods(i) for i in range(LIVE)])
    assert h.run().outcome == "success"
    fresh = [goods(100 + i) for i in range(NEW)]
    actions: list[Create | Update | Delete] = []
    for i in range(LIVE):
        ad = goods(i)
        if i % 2:
            actions.append(Delete(D, ad["source_id"]))
        else:
            changed = {**ad, "title": f"Ny soffa {i}"}
            actions.append(
                Update(D, ad["source_id"], 2048, {"title": changed["title"]}, changed, f"u{i}")
            )
    actions += [Create(D, a["source_id"], 2048, a, a, f"c{a['source_id']}") for a in fresh]

    async def crash() -> None:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            container.mirror.record_intents(actions, NOW)
            for ad in fresh[::2]:  # the creates whose answers the crash lost
                await container.marketplace.create(D, ad["source_id"], ad)
        finally:
            await container.aclose()

    asyncio.run(crash())
    return Path(h.settings.database.url.removeprefix("sqlite:///"))


def rows_of(db: Path) -> dict[str, MirrorAd]:
    """The mirror file's rows."""
    engine = make_engine(f"sqlite:///{db}")
    try:
        return SqlMirror(engine).load(D)
    finally:
        engine.dispose()


def intents_in(rows: dict[str, MirrorAd]) -> set[str]:
    """The source_ids still intended."""
    return {sid for sid, ad in rows.items() if ad.stage is not None and ad.stage.value == "intent"}


def resolved(
    h: Harness, db: Path, max_in_flight: int, api: Counting
) -> tuple[dict[str, MirrorAd], list[tuple[str | None, str]], int]:
    """Resolve the intents of the mirror file ``db`` through ``api``: its rows after,
    the problems reported and resolve_intents' answer."""

    async def go() -> tuple[list[tuple[str | None, str]], int]:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        engine = make_engine(f"sqlite:///{db}")
        try:
            api.inner = container.marketplace
            deps = Deps(mirror=SqlMirror(engine), marketplace=api, clock=FixedClock())
            problems: list[tuple[str | None, str]] = []
            n = await resolve_intents(deps, D, problems, max_in_flight=max_in_flight)
            return problems, n
        finally:
            engine.dispose()
            await container.aclose()

    problems, n = asyncio.run(go())
    return rows_of(db), problems, n


@pytest.fixture
def harness(tmp_path: Path, http_sandbox: SandboxServer) -> Harness:
    """A harness on a SQLite file, against the sandbox subprocess (emptied)."""
    http_sandbox.reset()
    return Harness(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", http_sandbox)


@pytest.mark.parametrize("max_in_flight", [3, 8])
def test_intents_are_read_back_concurrently_with_the_sequential_outcomes(
    harness: Harness, tmp_path: Path, max_in_flight: int
) -> None:
    """40 intents: at most (and at some point exactly) max_in_flight reads at once, each
    intent read once, and the rows and problems equal to those of one read at a time."""
    db = intended(harness)
    one_by_one = tmp_path / "sequential.db"
    shutil.copy(db, one_by_one)
    api = Counting({BROKEN: ValueError("unreadable")})
    sequential = Counting({BROKEN: ValueError("unreadable")})

    rows, problems, n = resolved(harness, db, max_in_flight, api)
    expected_rows, expected_problems, m = resolved(harness, one_by_one, 1, sequential)

    assert n == m == LIVE + NEW
    assert api.reads == sequential.reads == LIVE + NEW
    assert api.peak == max_in_flight
    assert sequential.peak == 1
    assert rows == expected_rows
    assert problems == expected_problems
    assert [sid for sid, _ in problems] == [BROKEN]
    assert intents_in(rows) == {BROKEN}
    created = {f"sofa-{100 + i}" for i in range(0, NEW, 2)}
    for i in range(NEW):  # a create that reached the API is known; one that did not, not
        sid = f"sofa-{100 + i}"
        if sid != BROKEN:
            assert (rows[sid].blocket_ad_id is not None) == (sid in created), sid


def test_an_error_that_stops_the_run_is_raised_and_starts_no_further_read(
    harness: Harness,
) -> None:
    """The API down on the second read: resolving raises it, its intent stays, and no read
    starts after it (only the first readers' own reads had started)."""
    db = intended(harness)
    before = intents_in(rows_of(db))
    down = sorted(before)[1]  # the mirror lists intents by source_id
    api = Counting({down: ApiUnavailable("down")})
    with pytest.raises(ApiUnavailable):
        resolved(harness, db, 4, api)
    assert api.reads <= 4
    left = intents_in(rows_of(db))
    assert down in left
    assert len(left) >= len(before) - api.reads + 1
