"""Shell: ``syncd run-once`` stopped by SIGTERM or SIGINT, the calls in flight answered.

The first signal stops the run between calls. No new call to the API starts:
the marketplace and renewer ports the run is given pass through :class:`GracefulStop`,
which from then on holds every new call back. The calls in flight get their
answers (bounded by the client's own timeouts and retries); once none is left,
the step running (a feed's sync, its renewals) is cancelled. The executor then
records the answers it holds, the run's row is closed as interrupted
(``run_interrupted``, "interrupted: syncd stopped"), and the calls intended but
not sent stay intended for the next run to read back. With no call in flight
(the feed being read or validated, a pause between reconcile polls) the step is
cancelled at once: nothing more is sent. A second signal cancels at once, calls
in flight too: they stay intended, as after a crash.

Waiting for a dealer's run lock (another run holds it, ``sync.lock_wait``), the run
has not started: the first signal ends the wait at once (``run_lock_wait_stopped``),
nothing is written and no run recorded, as when the feed is being read. The lock's
poll sleeps on a :class:`threading.Event` the signal handler sets, in a worker
thread so that the loop is free to take the signal (:class:`StopSignals`).

The other commands that take a run lock (``apply``, ``release-deletes``, ``adopt``,
``migrate-v4``) wait for it the same way through :func:`stoppable_run_lock`, which
handles the signals only while waiting: the first ends the wait with Stopped, the
command exits 143/130 and nothing of that dealer's run started. Once the lock is
held they keep the signals' usual effect (SIGTERM ends the process, SIGINT cancels
``asyncio.run``'s task): they have no graceful stop of their own.

Renewals run one call at a time: once stopping, a renewal is refused at once with
Stopped, before it is sent, rather than held back: it is recorded ``not_sent`` (not
``refused``, which is the API's answer), nothing was charged, and the next run may
send it. A renewal in flight at the stop gets its answer, as any call does.

Assumption: every call that writes goes through the gated ports (the sync's
``Marketplace``, the renewals' ``Renewer``); reads elsewhere (the vehicle values)
are simply cancelled, which loses nothing. The executor may record one more batch
of intents after the stop (its next batch, intended before its first call meets
the gate): those are read back by the next run, never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import click
import structlog

from syncd.core.models import Payload, RemoteAd, WriteResult
from syncd.core.renewal_models import RenewalAnswer, RenewalKind
from syncd.errors import Stopped
from syncd.ports import HoldRunLock, Marketplace, Renewer, RunLock

log = structlog.get_logger("syncd.cli")

T = TypeVar("T")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


NOT_SENT = "not sent: syncd is stopping"


class StopSignals:
    """The stop signals of one command: the first sets ``signal`` and the event that
    ends a wait for a dealer's run lock (:meth:`run_lock`)."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None  # the first stop signal received
        self._stopping = threading.Event()  # set with ``signal``: ends a wait for a run lock

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT handled on the running loop for the block; the handlers
        before it (``asyncio.run``'s for SIGINT, the default for SIGTERM) restored after."""
        loop = asyncio.get_running_loop()
        before = {sig: signal.getsignal(sig) for sig in SIGNALS}
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self.request, sig)
        try:
            yield
        finally:
            for sig in SIGNALS:
                loop.remove_signal_handler(sig)  # sets the default, not the one before
                if before[sig] is not None:  # None: one not set from Python, left alone
                    signal.signal(sig, before[sig])

    def request(self, sig: signal.Signals) -> None:
        """A stop signal: the first ends a wait for a run lock."""
        if self.signal is None:
            self.signal = sig
            self._stopping.set()

    @contextlib.asynccontextmanager
    async def run_lock(
        self, lock: RunLock, dealer_code: str, *, wait: float | None
    ) -> AsyncIterator[None]:
        """The dealer's run lock held for the block; the wait for it (in a worker thread)
        ends at the first signal with Stopped, the lock not taken."""
        held = lock.hold(dealer_code, wait=wait, stop=self._stopping)
        # Assumption: nothing cancels this await but a stop, which ends the thread's wait
        # first (a second signal cancels run-once's step, and none runs yet).
        try:
            await asyncio.to_thread(held.__enter__)
        except Stopped as exc:
            raise self.wait_stopped(dealer_code, exc) from exc
        with contextlib.ExitStack() as stack:
            stack.push(held)  # its __exit__ sees what ends the block, as a ``with`` would
            yield

    def wait_stopped(self, dealer_code: str, why: Stopped | str) -> Stopped:
        """The error (and the log event) of a wait for ``dealer_code``'s lock that the
        stop signal ended."""
        name = self.signal.name if self.signal is not None else None
        log.warning("run_lock_wait_stopped", dealer_code=dealer_code, signal=name)
        return Stopped(f"{why} (by {name}): nothing of that run started", self.signal)


@contextlib.asynccontextmanager
async def stoppable_run_lock(
    lock: RunLock, dealer_code: str, *, wait: float | None
) -> AsyncIterator[None]:
    """The dealer's run lock held for the block, for a command without ``run-once``'s
    graceful stop: SIGTERM and SIGINT are handled while it waits for the lock only, the
    first ending the wait with Stopped (carrying the signal: exit 143 or 130)."""
    stop = StopSignals()
    async with contextlib.AsyncExitStack() as stack:
        with stop.handling_signals():
            await stack.enter_async_context(stop.run_lock(lock, dealer_code, wait=wait))
        if stop.signal is not None:
            # It came as the lock was taken, before its handler was removed: it would
            # be lost otherwise. Nothing has started; the lock is let go on the way out.
            raise stop.wait_stopped(dealer_code, "stopped as the run lock was taken")
        yield


def run_locks(lock: RunLock, *, wait: float | None) -> HoldRunLock:
    """:func:`stoppable_run_lock` for any dealer, for a use case that takes the lock itself."""
    return functools.partial(stoppable_run_lock, lock, wait=wait)


class GracefulStop(StopSignals):
    """The stop signals of one ``run-once`` process, and the gate its API calls pass."""

    def __init__(self) -> None:
        super().__init__()
        self.forced = False  # a second one came: cancelled at once
        self._in_flight = 0
        self._step: asyncio.Task[Any] | None = None

    def request(self, sig: signal.Signals) -> None:
        """A stop signal: the first stops between calls, a second at once."""
        if self.signal is not None:
            self.forced = True
            log.warning("run_once_stop_forced", signal=sig.name, in_flight=self._in_flight)
            self._cancel()
            return
        super().request(sig)
        log.warning("run_once_stopping", signal=sig.name, in_flight=self._in_flight)
        click.echo(
            f"syncd: {sig.name} received: stopping once the {self._in_flight} call(s) "
            "in flight are answered (a second signal stops at once)",
            err=True,
        )
        if self._in_flight == 0:
            self._cancel()

    async def step(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` as the step a stop cancels; raises Stopped if it did."""
        if self.signal is not None:
            work.close()
            raise Stopped(NOT_SENT)
        task = asyncio.create_task(work)
        self._step = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.signal is not None and current is not None and not current.cancelling():
                raise Stopped(f"stopped by {self.signal.name}") from None  # the step's cancel
            raise
        finally:
            self._step = None

    def marketplace(self, inner: Marketplace) -> Marketplace:
        """``inner`` behind the gate."""
        return _GatedMarketplace(inner, self)

    def renewer(self, inner: Renewer) -> Renewer:
        """``inner`` behind the gate."""
        return _GatedRenewer(inner, self)

    @contextlib.asynccontextmanager
    async def call(self, *, hold: bool = True) -> AsyncIterator[None]:
        """One API call, counted in flight; the last one in flight to end after the stop
        cancels the step. Once stopping, a new call never starts: it is held back
        until the step's cancel reaches it (``hold``: calls made concurrently, whose
        error would cut the others short) or refused with Stopped at once."""
        if self.signal is not None:
            if hold and self._step is not None:
                if self._in_flight == 0:
                    self._cancel()
                await asyncio.get_running_loop().create_future()  # until cancelled
            raise Stopped(NOT_SENT)
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            if self.signal is not None and self._in_flight == 0:
                # Soon, not now: the caller records the answer first, and a step that
                # ends without another wait keeps its result (a sync that finished).
                asyncio.get_running_loop().call_soon(self._cancel)

    def _cancel(self) -> None:
        if self._step is not None:
            self._step.cancel()


class _GatedMarketplace:
    """A ``Marketplace`` whose calls pass the gate."""

    def __init__(self, inner: Marketplace, stop: GracefulStop) -> None:
        self._inner = inner
        self._stop = stop

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        async with self._stop.call():
            return await self._inner.create(dealer_code, source_id, body)

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> WriteResult:
        async with self._stop.call():
            return await self._inner.update(dealer_code, source_id, changes, category_id)

    async def delete(self, dealer_code: str, source_id: str) -> WriteResult:
        async with self._stop.call():
            return await self._inner.delete(dealer_code, source_id)

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        async with self._stop.call():
            return await self._inner.get(dealer_code, source_id)

    async def list_with_logs(self, dealer_code: str, source_ids: Sequence[str]) -> list[RemoteAd]:
        async with self._stop.call():
            return await self._inner.list_with_logs(dealer_code, source_ids)


class _GatedRenewer:
    """A ``Renewer`` whose calls pass the gate."""

    def __init__(self, inner: Renewer, stop: GracefulStop) -> None:
        self._inner = inner
        self._stop = stop

    async def renew(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        *,
        exclude_bytbil: bool = False,
        exclude_blocket: bool = False,
    ) -> RenewalAnswer:
        # One renewal at a time: refused at once (Stopped, never sent), recorded not_sent.
        async with self._stop.call(hold=False):
            return await self._inner.renew(
                dealer_code,
                source_id,
                kind,
                exclude_bytbil=exclude_bytbil,
                exclude_blocket=exclude_blocket,
            )
