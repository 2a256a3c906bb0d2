"""A command's dealer work under its run lock, stopped by a signal (syncd/cli/stopping.py).

``GracefulStop.stoppable`` handles SIGTERM and SIGINT for a command's block and
``GracefulStop.locked`` runs one dealer's work under its run lock: the first signal
while it waits ends the wait (Stopped, the work never started, the block ended
quietly, ``signal`` set: exit 143/130); once stopping, no later dealer's lock is
waited for. The handlers before the block are back after it. The signal is a real
one, raised in this process only once syncd's handler is in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from syncd.cli.exits import ExitCode, exit_code_for
from syncd.cli.stopping import GracefulStop
from syncd.errors import RunLocked, Stopped
from tests.fakes import HeldElsewhere


class Free:
    """A free run lock counting the times it was taken and let go."""

    def __init__(self) -> None:
        self.taken: list[str] = []
        self.released = 0

    @contextlib.contextmanager
    def hold(
        self, dealer_code: str, *, wait: float | None, stop: threading.Event
    ) -> Iterator[None]:
        self.taken.append(dealer_code)
        try:
            yield
        finally:
            self.released += 1


def handlers() -> tuple[object, object]:
    """The Python-level SIGTERM and SIGINT handlers now."""
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


async def nothing() -> None:
    """No work: the block is what is tested."""


@pytest.mark.anyio
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_ends_the_wait_for_a_lock_and_no_work_starts(sig: signal.Signals) -> None:
    """The first signal while waiting ends the wait: the work never started (and, never
    awaited, gives no warning), the block ends quietly with ``signal`` set, the wait's
    error kept for the exit line (its code 143/130), the handlers of before back."""
    before = handlers()
    lock = HeldElsewhere()
    stop = GracefulStop("apply")
    started: list[str] = []

    async def work() -> str:
        started.append("D1")
        return "D1"

    async def command() -> list[str]:
        done: list[str] = []
        async with stop.stoppable(nothing):
            done.append(await stop.locked(lock, "D1", work(), wait=None))
        return done

    with capture_logs() as logs:
        task = asyncio.ensure_future(command())
        assert await asyncio.to_thread(lock.waiting.wait, 60)
        assert handlers() != before  # syncd's handler is in place: the signal is safe
        signal.raise_signal(sig)
        assert await task == []
    assert started == []
    assert stop.signal is sig
    assert stop.wait_ended is not None
    assert "run lock of dealer 'D1'" in str(stop.wait_ended)
    assert f"(by {sig.name})" in str(stop.wait_ended)
    code = ExitCode.INTERRUPTED if sig is signal.SIGINT else ExitCode.TERMINATED
    assert exit_code_for(stop.wait_ended) is code
    events = [e["event"] for e in logs]
    assert events.index("apply_stopping") < events.index("run_lock_wait_stopped")
    assert handlers() == before


@pytest.mark.anyio
async def test_once_stopping_no_later_lock_is_waited_for() -> None:
    """A signal that came as a dealer's work ended (its result kept): the next dealer's
    lock is not taken and its work never starts."""
    lock = Free()
    stop = GracefulStop("adopt")
    done: list[str] = []

    async def work(dealer: str) -> str:
        if dealer == "D1":
            # As the loop's handler does: run once the loop is free, the work then done.
            asyncio.get_running_loop().call_soon(stop.request, signal.SIGTERM)
        return dealer

    async with stop.stoppable(nothing):
        for dealer in ("D1", "D2"):
            done.append(await stop.locked(lock, dealer, work(dealer), wait=0))
    assert done == ["D1"]
    assert lock.taken == ["D1"]
    assert lock.released == 1
    assert stop.wait_ended is None  # no wait was cut short: only the exit line says why


@pytest.mark.anyio
async def test_a_free_lock_runs_the_work_and_is_let_go() -> None:
    """Without a signal the work runs under the lock, its result returned, the lock let
    go after it and the block's close awaited."""
    lock = Free()
    stop = GracefulStop("apply")
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    async def work() -> int:
        assert lock.released == 0
        return 7

    async with stop.stoppable(close):
        assert await stop.locked(lock, "D1", work(), wait=0) == 7
    assert (lock.taken, lock.released, closed, stop.signal) == (["D1"], 1, [True], None)


@pytest.mark.anyio
async def test_a_wait_run_out_is_run_locked_not_a_quiet_stop() -> None:
    """A lock still held after the wait gives RunLocked (exit 9) through the block; the
    work never started, the close still awaited."""
    before = handlers()
    stop = GracefulStop("release-deletes")
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    with pytest.raises(RunLocked):
        async with stop.stoppable(close):
            await stop.locked(HeldElsewhere(), "D1", nothing(), wait=0)
    assert closed == [True]
    assert handlers() == before


@pytest.mark.anyio
async def test_a_stopped_no_signal_caused_is_not_swallowed() -> None:
    """Only a Stopped that came with the stop ends the block quietly."""
    stop = GracefulStop("apply")
    with pytest.raises(Stopped):
        async with stop.stoppable(nothing):
            raise Stopped("not ours")


def test_a_stopped_without_a_signal_keeps_the_internal_exit_code() -> None:
    """Only a Stopped that names its signal exits 143/130 (run-once's own catch them all)."""
    assert exit_code_for(Stopped("not sent: syncd is stopping")) is ExitCode.INTERNAL
