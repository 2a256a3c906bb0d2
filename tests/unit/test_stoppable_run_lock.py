"""The wait for a run lock of the commands other than run-once (syncd/cli/stopping.py).

``stoppable_run_lock`` handles SIGTERM and SIGINT only while it waits: the first ends
the wait with Stopped (carrying the signal, hence exit 143/130), the block never
entered; the handlers before it are back once it has the lock or has given up. The
signal is a real one, raised in this process only once syncd's handler is in place.
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
from syncd.cli.stopping import run_locks, stoppable_run_lock
from syncd.errors import RunLocked, Stopped
from tests.fakes import HeldElsewhere


class Free:
    """A free run lock counting its releases."""

    def __init__(self) -> None:
        self.released = 0

    @contextlib.contextmanager
    def hold(
        self, dealer_code: str, *, wait: float | None, stop: threading.Event
    ) -> Iterator[None]:
        try:
            yield
        finally:
            self.released += 1


def handlers() -> tuple[object, object]:
    """The Python-level SIGTERM and SIGINT handlers now."""
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)],
)
async def test_a_signal_ends_the_wait_with_stopped_carrying_it(
    sig: signal.Signals, code: ExitCode
) -> None:
    """The first signal while waiting ends the wait: Stopped with the signal (its exit
    code 143 or 130), the block never entered, run_lock_wait_stopped logged, and the
    handlers of before the wait back in place."""
    before = handlers()
    lock = HeldElsewhere()
    entered: list[str] = []

    async def run() -> None:
        async with stoppable_run_lock(lock, "D1", wait=None):
            entered.append("D1")

    with capture_logs() as logs:
        task = asyncio.ensure_future(run())
        assert await asyncio.to_thread(lock.waiting.wait, 60)
        assert handlers() != before  # syncd's handler is in place: the signal is safe
        signal.raise_signal(sig)
        with pytest.raises(Stopped, match="run lock of dealer 'D1'") as stopped:
            await task
    assert entered == []
    assert stopped.value.signal is sig
    assert exit_code_for(stopped.value) is code
    assert f"(by {sig.name})" in str(stopped.value)
    assert {"event": "run_lock_wait_stopped", "dealer_code": "D1", "signal": sig.name} in [
        {k: e[k] for k in ("event", "dealer_code", "signal") if k in e} for e in logs
    ]
    assert handlers() == before


@pytest.mark.anyio
async def test_a_lock_taken_runs_its_block_with_the_handlers_of_before() -> None:
    """A free lock is held for the block, the signals then as they were before the wait
    (syncd's handlers only while waiting), and let go after it."""
    before = handlers()
    lock = Free()
    async with stoppable_run_lock(lock, "D1", wait=0):
        inside = handlers()
        assert lock.released == 0
    assert inside == before
    assert lock.released == 1
    assert handlers() == before


@pytest.mark.anyio
async def test_a_wait_run_out_is_run_locked_with_the_handlers_of_before() -> None:
    """A lock still held after the wait gives RunLocked (exit 9), not Stopped."""
    before = handlers()
    lock = HeldElsewhere()
    with pytest.raises(RunLocked):
        async with run_locks(lock, wait=0)("D1"):  # the use cases' form of it
            pytest.fail("the block ran without the lock")
    assert handlers() == before


def test_a_stopped_without_a_signal_keeps_the_internal_exit_code() -> None:
    """Only a Stopped that names its signal exits 143/130 (run-once's own catch them all)."""
    assert exit_code_for(Stopped("not sent: syncd is stopping")) is ExitCode.INTERNAL
