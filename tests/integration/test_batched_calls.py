"""Batched intents and answers keep the intent-before-send guarantee, on a real SQLite mirror.

No request leaves before its intent has committed (a marketplace reads the
database file through its own connection when each call arrives); every answer
received is on disk when a round of calls ends, even when an error or a
cancellation stops it midway; and a crash after some sends (an exception that
kills the run and the mirror with it) leaves intents the next run resolves,
converging with no ad created twice.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd import bootstrap
from syncd.core.models import Accepted, Create, Payload, Rejected, WriteResult
from syncd.errors import ApiUnavailable
from syncd.execute import Executor
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.sql import SqlMirror
from syncd.ports import Marketplace, Mirror
from syncd.runs import Deps
from syncd.service import sync
from tests.fakes import FakeMarketplace
from tests.integration.harness import Harness, assert_mirror_agrees, goods
from tests.integration.sandbox_server import InProcessSandbox

D = "D1"
BODY = {"category_id": 2048, "title": "T", "price": [{"type": "list", "amount": 5}]}


class Clock:
    """The wall clock (answers batched by time need it to move)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def creates(n: int) -> list[Create]:
    return [
        Create(D, f"s{i}", 2048, body=BODY, payload=BODY, payload_hash=f"h{i}") for i in range(n)
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A migrated SQLite mirror file."""
    path = tmp_path / "mirror.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def mirror(db: Path) -> Iterator[SqlMirror]:
    """The real mirror on that file."""
    engine = make_engine(f"sqlite:///{db}")
    yield SqlMirror(engine)
    engine.dispose()


def stages(db: Path) -> dict[str, str | None]:
    """Each row's stage as committed (read through a connection of its own)."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT source_id, stage FROM ads").fetchall())


class Witness(FakeMarketplace):
    """Accepts every write, first noting what the database file holds when it arrives."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = db
        self.seen: list[tuple[str, dict[str, str | None]]] = []

    def _next(self, method: str, source_id: str, body: Payload | None) -> Accepted | Rejected:
        self.seen.append((source_id, stages(self.db)))
        return super()._next(method, source_id, body)


@pytest.mark.anyio
async def test_the_intents_of_a_batch_are_on_disk_before_any_of_its_calls_leaves(
    db: Path, mirror: SqlMirror
) -> None:
    """Each call finds its own row INTENT, and every row of its batch recorded, on disk."""
    api = Witness(db)
    actions = creates(10)
    results = await Executor(mirror, api, Clock(), max_in_flight=4, batch=4).apply(actions)
    assert results.counts["sent"] == 10
    order = [a.source_id for a in actions]
    assert [sid for sid, _ in api.seen] == order  # sent in the plan's order
    for n, (sid, on_disk) in enumerate(api.seen):
        assert on_disk[sid] == "intent", (sid, on_disk)
        batch = order[n - n % 4 : n - n % 4 + 4]
        assert all(on_disk.get(mate) in ("intent", "sent") for mate in batch), (sid, on_disk)
    assert set(stages(db).values()) == {"sent"}


@pytest.mark.anyio
async def test_every_answer_is_recorded_when_an_error_stops_the_round_midway(
    db: Path, mirror: SqlMirror
) -> None:
    """The API going down on the 4th call: the three answered are SENT on disk, the rest of
    the batches already intended stay INTENT for the next run, nothing else was sent."""
    api = FakeMarketplace()
    api.answer("POST", "s3", ApiUnavailable("down"))
    with pytest.raises(ApiUnavailable):
        await Executor(mirror, api, Clock(), max_in_flight=1, batch=3).apply(creates(8))
    assert [s for _, s, _ in api.calls] == ["s0", "s1", "s2", "s3"]
    assert stages(db) == {
        "s0": "sent",
        "s1": "sent",
        "s2": "sent",
        "s3": "intent",
        "s4": "intent",
        "s5": "intent",
    }


class Blocking(FakeMarketplace):
    """Accepts writes until ``source_id``, whose call never ends (a hung API)."""

    def __init__(self, source_id: str) -> None:
        super().__init__()
        self.hang_on = source_id
        self.hung = asyncio.Event()

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        if source_id == self.hang_on:
            self.hung.set()
            await asyncio.Event().wait()
        return await super().create(dealer_code, source_id, body)


@pytest.mark.anyio
async def test_every_answer_is_recorded_when_the_round_is_cancelled(
    db: Path, mirror: SqlMirror
) -> None:
    """A cancellation (the daemon's stop timeout) still records the answers received."""
    api = Blocking("s2")
    executor = Executor(mirror, api, Clock(), max_in_flight=1, batch=4)
    task = asyncio.ensure_future(executor.apply(creates(6)))
    await asyncio.wait_for(api.hung.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stages(db) == {"s0": "sent", "s1": "sent", "s2": "intent", "s3": "intent"}


# --- a crash after some sends ------------------------------------------------------


class Crash(BaseException):
    """The process dies: nothing after it runs, nothing more reaches the database."""


class Dying:
    """Forwards to a real port until the crash; from then on every call is the crash."""

    def __init__(self, port: Any, crashed: list[bool]) -> None:
        self._port = port
        self._crashed = crashed

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._port, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._crashed[0]:
                raise Crash
            return target(*args, **kwargs)

        return call


class CrashingApi(Dying):
    """The real client; the process dies right after the k-th write reached the API."""

    def __init__(self, port: Marketplace, crashed: list[bool], after: int) -> None:
        super().__init__(port, crashed)
        self.left = after

    def __getattr__(self, name: str) -> Any:
        target = super().__getattr__(name)
        if name not in ("create", "update", "delete"):
            return target

        async def write(*args: Any, **kwargs: Any) -> Any:
            result = await target(*args, **kwargs)
            self.left -= 1
            if self.left <= 0:
                self._crashed[0] = True
                raise Crash
            return result

        return write


def crashing_run(h: Harness, after: int) -> None:
    """A run of h's feed that dies after its ``after``-th write reached the sandbox."""

    async def go() -> None:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        crashed = [False]
        mirror: Mirror = Dying(container.mirror, crashed)  # type: ignore[assignment]
        api: Marketplace = CrashingApi(container.marketplace, crashed, after)  # type: ignore[assignment]
        try:
            deps = Deps(mirror=mirror, marketplace=api, clock=container.clock)
            await sync(deps, container.jobs()[0], container.options())
        finally:
            await container.aclose()

    with pytest.raises(BaseException) as caught:  # noqa: PT011 - the crash, however wrapped
        asyncio.run(go())
    assert (
        caught.group_contains(Crash)
        if isinstance(caught.value, BaseExceptionGroup)
        else (isinstance(caught.value, Crash))
    )


@pytest.fixture(scope="module")
def sandbox() -> InProcessSandbox:
    """One in-process sandbox for the module, quick to process."""
    return InProcessSandbox(processing_delay=0.01)


@pytest.mark.parametrize("phase", ["create", "update"])
@pytest.mark.parametrize("after", [1, 6, 11])
def test_a_crash_after_some_sends_leaves_intents_the_next_run_resolves(
    tmp_path: Path, sandbox: InProcessSandbox, phase: str, after: int
) -> None:
    """Killed after its k-th call reached the API, the next run reads the intents back
    and converges: the sandbox holds the feed, nothing was created twice, nothing in flight."""
    sandbox.reset()
    h = Harness(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", sandbox)
    feed = [goods(i) for i in range(12)]
    if phase == "update":
        h.write(feed)
        h.run()
        feed = [{**ad, "price": [{"type": "list", "amount": 5 + n}]} for n, ad in enumerate(feed)]
    h.write(feed)
    crashing_run(h, after)
    assert any(ad.stage is not None and ad.stage.value == "intent" for ad in h.mirror().values())
    report = h.run()
    assert report.outcome == "success", report.problems
    assert_mirror_agrees(h, feed)
    prices = {sid: ad["price"][0]["amount"] for (_, sid), ad in sandbox.ads().items()}
    assert prices == {ad["source_id"]: ad["price"][0]["amount"] for ad in feed}
    created = Counter(
        e["source_id"] for e in sandbox.journal() if e["method"] == "POST" and e["status"] == 201
    )
    assert max(created.values()) == 1, created
