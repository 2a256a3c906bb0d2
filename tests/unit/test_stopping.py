"""run-once's graceful stop (syncd/cli/stopping.py) around the real executor, with fakes.

The stop is requested by calling the handler directly (the e2e tests send real
signals): the calls in flight finish and are recorded, no other call starts, and
the step ends in Stopped; a second request cancels the calls in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.cli.stopping import GracefulStop
from syncd.core.models import Create, Payload, Stage, WriteResult
from syncd.core.renewal_models import RenewalKind
from syncd.errors import ApiUnavailable, Stopped
from syncd.execute import Executor
from tests.fakes import FakeMarketplace, FakeMirror, FakeRenewer, FixedClock, HeldElsewhere

BODY = {"category_id": 2048, "title": "T", "price": [{"type": "list", "amount": 5}]}


def creates(n: int) -> list[Create]:
    return [Create("D", f"s{i}", 2048, BODY, BODY, f"h{i}") for i in range(n)]


class Held(FakeMarketplace):
    """Creates wait until released; ``started`` counts the calls that reached the API."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.started = 0
        self.arrived = asyncio.Event()

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        self.started += 1
        self.arrived.set()
        await self.release.wait()
        return await super().create(dealer_code, source_id, body)


async def in_flight(api: Held, n: int) -> None:
    """Until ``n`` calls reached the API (each arrival wakes this up: no sleep)."""
    while api.started < n:
        api.arrived.clear()
        await api.arrived.wait()


async def six_creates_two_in_flight() -> tuple[GracefulStop, Held, FakeMirror, Any]:
    """An executor sending six creates through the gate, two of them now at the API."""
    stop = GracefulStop()
    api = Held()
    mirror = FakeMirror()
    executor = Executor(mirror, stop.marketplace(api), FixedClock(), max_in_flight=2)
    step = asyncio.ensure_future(stop.step(executor.apply(creates(6))))
    await in_flight(api, 2)
    return stop, api, mirror, step


@pytest.mark.anyio
async def test_the_calls_in_flight_are_answered_and_recorded_and_no_other_starts() -> None:
    """Two calls in flight at the stop: both answered and recorded SENT, none of the
    other four reaches the API, and the step ends in Stopped."""
    stop, api, mirror, step = await six_creates_two_in_flight()
    stop.request(signal.SIGTERM)
    api.release.set()
    with pytest.raises(Stopped):
        await step
    assert api.started == 2
    assert [sid for _, sid, _ in api.calls] == ["s0", "s1"]
    assert {sid: ad.stage for (_, sid), ad in mirror.ads.items() if ad.stage is Stage.SENT} == {
        "s0": Stage.SENT,
        "s1": Stage.SENT,
    }
    assert stop.signal is signal.SIGTERM
    assert not stop.forced


@pytest.mark.anyio
async def test_a_second_request_cancels_the_calls_in_flight() -> None:
    """A second signal does not wait for the answers: the step ends, those calls stay
    INTENT (as after a crash)."""
    stop, api, mirror, step = await six_creates_two_in_flight()
    stop.request(signal.SIGINT)
    stop.request(signal.SIGINT)
    with pytest.raises(Stopped):
        await step
    assert stop.forced
    assert api.calls == []  # none answered
    assert {ad.stage for ad in mirror.ads.values()} == {Stage.INTENT}


@pytest.mark.anyio
async def test_with_nothing_in_flight_the_step_stops_at_once_and_the_next_never_runs() -> None:
    """A stop while no call is in flight cancels the step at once; a later step is not
    started at all."""
    stop = GracefulStop()
    waiting = asyncio.Event()

    async def reading_the_feed() -> None:
        waiting.set()
        await asyncio.Event().wait()  # a settle wait that would last

    step = asyncio.ensure_future(stop.step(reading_the_feed()))
    await waiting.wait()
    stop.request(signal.SIGTERM)
    with pytest.raises(Stopped):
        await step
    api = FakeMarketplace()

    async def send() -> WriteResult:
        return await stop.marketplace(api).create("D", "s1", BODY)

    with pytest.raises(Stopped):
        await stop.step(send())
    assert api.calls == []


@pytest.mark.anyio
async def test_a_renewal_after_the_stop_is_refused_unsent() -> None:
    """Renewals go one at a time: once stopping, the next is refused at once (never
    reaching the API), so that it is recorded not sent, not as maybe charged."""
    stop = GracefulStop()
    renewer = FakeRenewer()
    gated = stop.renewer(renewer)
    answer = await gated.renew("D", "s1", RenewalKind.BUMP)
    assert answer.status == 200
    stop.request(signal.SIGTERM)
    with pytest.raises(Stopped):
        await gated.renew("D", "s2", RenewalKind.BUMP)
    assert [c[1] for c in renewer.calls] == ["s1"]


class Free:
    """A free run lock recording how its blocks ended."""

    def __init__(self) -> None:
        self.exits: list[type[BaseException] | None] = []

    @contextlib.contextmanager
    def hold(
        self, dealer_code: str, *, wait: float | None, stop: threading.Event
    ) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            self.exits.append(type(exc))
            raise
        self.exits.append(None)


@pytest.mark.anyio
async def test_a_stop_ends_the_wait_for_the_run_lock_and_the_run_never_starts() -> None:
    """Waiting for a dealer's lock, the first signal ends the wait: Stopped, the block
    never entered, and run_lock_wait_stopped names the dealer and the signal."""
    stop = GracefulStop()
    lock = HeldElsewhere()
    entered: list[str] = []

    async def run() -> None:
        async with stop.run_lock(lock, "D1", wait=None):
            entered.append("D1")

    with capture_logs() as logs:
        task = asyncio.ensure_future(run())
        assert await asyncio.to_thread(lock.waiting.wait, 60)
        stop.request(signal.SIGTERM)
        with pytest.raises(Stopped, match="run lock of dealer 'D1'"):
            await task
    assert entered == []
    assert {"event": "run_lock_wait_stopped", "dealer_code": "D1", "signal": "SIGTERM"} in [
        {k: e[k] for k in ("event", "dealer_code", "signal") if k in e} for e in logs
    ]


@pytest.mark.anyio
async def test_a_free_run_lock_is_held_for_the_block_and_sees_how_it_ended() -> None:
    """A free lock is taken for the block and let go after it, the block's error passed
    to it as a ``with`` would."""
    stop = GracefulStop()
    lock = Free()
    async with stop.run_lock(lock, "D1", wait=0):
        pass
    with pytest.raises(Stopped):
        async with stop.run_lock(lock, "D1", wait=0):
            raise Stopped("stopped by SIGTERM")
    assert lock.exits == [None, Stopped]


@pytest.mark.anyio
async def test_a_signal_while_closing_after_the_work_stops_nothing() -> None:
    """The block done, a signal during its clean-up is only noted (logged): no stop, so
    the command exits as its work says rather than 143."""
    stop = GracefulStop("bump")

    async def close() -> None:
        stop.request(signal.SIGTERM)

    with capture_logs() as logs:
        async with stop.stoppable(close):
            pass
    assert stop.signal is None
    assert not stop.stopping
    assert [e["event"] for e in logs] == ["bump_stop_while_closing"]


@pytest.mark.anyio
async def test_a_signal_before_the_block_ends_still_stops_the_command() -> None:
    """A signal while the block runs is a stop, even if the block then ends without
    another call: the command exits with the stop's code."""
    stop = GracefulStop("bump")
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    async with stop.stoppable(close):
        stop.request(signal.SIGTERM)
    assert stop.signal is signal.SIGTERM
    assert closed == [True]
    with pytest.raises(SystemExit) as exited:
        stop.exit(done=1, total=1, what="call(s) answered")
    assert exited.value.code == 143


@pytest.mark.anyio
async def test_an_error_after_the_stop_is_kept_for_exit_which_exits_with_its_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Once stopping, an error other than Stopped ends the block quietly (the caller then
    prints the dealers it finished); exit prints it beside the stop's line and exits
    with its code. Before a stop, the same error goes through."""
    stop = GracefulStop("apply")

    async def close() -> None:
        pass

    async with stop.stoppable(close):
        stop.request(signal.SIGTERM)
        raise ApiUnavailable("POST /v4/ad: 503")
    assert isinstance(stop.error, ApiUnavailable)
    with pytest.raises(SystemExit) as exited:
        stop.exit(done=1, total=3, what="dealer(s)' plans applied")
    assert exited.value.code == 7
    err = capsys.readouterr().err
    assert "syncd: POST /v4/ad: 503" in err
    assert "1 of 3 dealer(s)' plans applied in full" in err
    with pytest.raises(ApiUnavailable):
        async with GracefulStop("apply").stoppable(close):
            raise ApiUnavailable("POST /v4/ad: 503")
