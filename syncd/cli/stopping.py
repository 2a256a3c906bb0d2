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

The other commands that take a dealer's run lock and then send calls (``apply``,
``release-deletes``, ``migrate-v4``) or write the mirror from the API's listing
(``adopt``), and the charged ``bump`` and ``pole-position``, stop in the same way
through the same :class:`GracefulStop` (named after the command: its events are
``<command>_stopping``, ``<command>_stopped``): each dealer's work is one step under
its lock (:meth:`GracefulStop.locked`), no dealer after the stopped one starts, and
the command prints what the dealers finished before did, then exits 143/130
(:meth:`GracefulStop.exit`).

Renewals run one call at a time: once stopping, a renewal is refused at once with
Stopped, before it is sent, rather than held back: it is recorded ``not_sent`` (not
``refused``, which is the API's answer), nothing was charged, and the next run may
send it. A renewal on the wire at the stop gets its answer, as any call does; one
still waiting in the client's throttle (not handed to its transport) is cancelled
there at once, also ``not_sent``. The gate itself is :class:`~syncd.gates.StepGate`,
which the daemon's jobs pass too (``syncd.daemon.jobs``).

Assumption: every call that writes goes through the gated ports (the sync's
``Marketplace``, the renewals' ``Renewer``, migrate-v4's ``Migrator``); reads
elsewhere (the vehicle values, adopt's and migrate-v4's listings) are simply
cancelled, which loses nothing. The executor may record one more batch
of intents after the stop (its next batch, intended before its first call meets
the gate): those are read back by the next run, never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import replace
from typing import Any, NoReturn, TypeVar

import click
import structlog

from syncd.cli.exits import error_line, exit_code_for, signal_exit_code
from syncd.core.models import ValidatedFeed
from syncd.errors import Stopped, SyncdError, shown
from syncd.gates import NOT_SENT, GatedMarketplace, GatedMigrator, GatedRenewer, StepGate
from syncd.ports import Marketplace, Migrator, Renewer, RunLock
from syncd.reading import load_feed
from syncd.runs import Deps, FeedJob

log = structlog.get_logger("syncd.cli")

T = TypeVar("T")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """The stop signals of one command: the first sets ``signal`` and the event that
    ends a wait for a dealer's run lock (:meth:`run_lock`)."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None  # the first stop signal received
        self._stopping = threading.Event()  # set with ``signal``: ends a wait for a run lock
        self.wait_ended: Stopped | None = None  # the wait for a run lock the signal ended

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

    @contextlib.contextmanager
    def raising_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT outside a loop's :meth:`handling_signals` (a command's work
        before it takes a lock: a prompt, the gap between two ``asyncio.run``): the
        first one sets ``signal`` and raises Stopped where the main thread is (``input``
        of a prompt included); the handlers before it restored after. A loop's
        :meth:`handling_signals` inside the block takes over and gives it back."""

        def raising(signum: int, _frame: object) -> None:
            sig = signal.Signals(signum)
            StopSignals.request(self, sig)
            raise Stopped(f"stopped by {sig.name}", sig)

        with _handled_by(raising):
            yield

    @contextlib.contextmanager
    def noting_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT noted (:meth:`request`), nothing raised, for the block: a
        command's statements between its steps (after a prompt, before the loop that
        sends is up), where no default handler may kill the process or raise
        KeyboardInterrupt. The command asks ``signal`` before its next step, whose
        :meth:`GracefulStop.locked` refuses to start once stopping; the handlers
        before it restored after. :meth:`raising_signals` and a loop's
        :meth:`handling_signals` inside the block take over and give it back.

        Assumption: noted, not raised: these statements send nothing, so letting them run
        to the next check costs nothing, and no exception can land mid-statement (in
        ``asyncio.run``'s set-up, say)."""

        def noting(signum: int, _frame: object) -> None:
            self.request(signal.Signals(signum))

        with _handled_by(noting):
            yield

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
        self.wait_ended = Stopped(
            f"{why} (by {name}): nothing of that run started",
            self.signal,
            ids=(dealer_code, *(why.ids if isinstance(why, Stopped) else ())),
        )
        return self.wait_ended


class GracefulStop(StopSignals, StepGate):
    """The stop signals of one command (``run-once`` by default), and the gate its API
    calls pass (:class:`~syncd.gates.StepGate`: one step at a time)."""

    def __init__(self, command: str = "run-once") -> None:
        StopSignals.__init__(self)
        StepGate.__init__(self)
        self.command = command
        self.forced = False  # a second one came: cancelled at once
        self.closing = False  # the work is done (clean-up left): a signal cuts nothing short
        self.error: SyncdError | None = None  # raised after the stop (see ``stoppable``)

    def event(self, what: str) -> str:
        """The name of the command's event ``what`` (``run_once_stopping``, ``apply_stopped``).

        Assumption: one name per command rather than one ``command=`` field, so that
        run-once's events keep the names its operators already watch for."""
        return f"{self.command.replace('-', '_')}_{what}"

    def request(self, sig: signal.Signals) -> None:
        """A stop signal: the first stops between calls, a second at once.

        Assumption: a signal once the work is done (the command closing its connections,
        ``closing``) stops nothing: every call was answered and recorded, so the command
        exits as its work says (0, 6, ...), not 143/130, which would tell a supervisor or
        a wrapper to run it again for work that is not left. It is logged
        (``<command>_stop_while_closing``) and said on stderr; the clean-up is bounded
        (closing the client's and the database's connections), so a second one is too."""
        if self.closing and self.signal is None:
            log.info(self.event("stop_while_closing"), signal=sig.name)
            click.echo(
                f"syncd: {sig.name} received while closing: the work was done in full and "
                "is recorded",
                err=True,
            )
            return
        if self.signal is not None:
            self.forced = True
            log.warning(self.event("stop_forced"), signal=sig.name, in_flight=self.in_flight)
            self.cancel()
            return
        StopSignals.request(self, sig)
        log.warning(self.event("stopping"), signal=sig.name, in_flight=self.in_flight)
        click.echo(
            f"syncd: {sig.name} received: stopping once the {self.in_flight} call(s) "
            "in flight are answered (a second signal stops at once)",
            err=True,
        )
        self.begin_stop(f"by {sig.name}")

    @contextlib.asynccontextmanager
    async def stoppable(self, close: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
        """The command's block with the stop signals handled, ``close`` awaited however it
        ends. A Stopped the signal caused ends the block quietly: the caller prints what
        was done, then asks ``signal`` whether to :meth:`exit`. So does another error
        once stopping (a call in flight answered 401, the mirror gone): kept in ``error``
        for :meth:`exit` to print and exit with, after the caller printed the dealers
        finished before it. Once the block is done, ``closing`` (see :meth:`request`)."""
        with self.handling_signals():
            try:
                yield
                self.closing = True
            except Stopped:
                if self.signal is None:  # not the stop's: an error like any other
                    raise
            except SyncdError as exc:
                if self.signal is None:
                    raise
                log.warning(
                    self.event("error_after_stop"), error=shown(exc), kind=type(exc).__name__
                )
                self.error = exc
            finally:
                await close()

    async def locked(
        self, lock: RunLock, dealer_code: str, work: Coroutine[Any, Any, T], *, wait: float | None
    ) -> T:
        """``work`` as a step under the dealer's run lock: the first signal ends the wait
        for the lock (Stopped, ``work`` never started) or stops the step between calls.
        Once stopping, no lock is waited for: the next dealer's work never starts."""
        if self.signal is not None:
            work.close()
            raise Stopped(NOT_SENT)
        try:
            async with self.run_lock(lock, dealer_code, wait=wait):
                return await self.step(work)
        finally:
            if inspect.getcoroutinestate(work) == inspect.CORO_CREATED:
                work.close()  # the wait for the lock ended it: never awaited, no warning

    async def each_feed(
        self,
        lock: RunLock,
        jobs: Sequence[FeedJob],
        api_version: int,
        work: Callable[[ValidatedFeed], Coroutine[Any, Any, T]],
        done: list[T],
        *,
        wait: float | None,
    ) -> None:
        """Per feed: read it (a step: a stop cancels the read, nothing written), then
        ``work(feed)`` under its dealer's run lock (:meth:`locked`); each result is added
        to ``done`` as it comes, so that a stop keeps those of the dealers done in full."""
        for job in jobs:
            feed = await self.step(load_feed(job, api_version))
            done.append(await self.locked(lock, job.dealer_code, work(feed), wait=wait))

    def exit(
        self,
        *,
        done: int,
        total: int,
        what: str,
        counted: tuple[str, str] = ("done", "total"),
        wait_line: bool = True,
    ) -> NoReturn:
        """The command was stopped by a signal: say so (log and stderr: how the wait for a
        lock ended, if it did and ``wait_line``; how many of ``total`` parts were ``what``
        in full) and exit 130 or 143. The caller has printed the finished parts' results
        first. ``counted``: the names of the ``_stopped`` event's fields of ``done`` and
        ``total`` (run-once keeps the ones its operators' alerts read).

        Assumption: an error raised after the stop (``error``) is printed too, and its
        code is the exit code (a refused token, 5, or the database down, 7, needs what
        that code says more than a plain re-run)."""
        assert self.signal is not None
        code = signal_exit_code(self.signal)
        if self.error is not None:
            click.echo(error_line(self.error), err=True)
            code = exit_code_for(self.error)
        if self.wait_ended is not None and wait_line:
            click.echo(error_line(self.wait_ended), err=True)
        log.warning(
            self.event("stopped"),
            signal=self.signal.name,
            forced=self.forced,
            **{counted[0]: done, counted[1]: total},
            exit_code=int(code),
        )
        how = "at once" if self.forced else "once the calls in flight were answered and recorded"
        click.echo(
            error_line(
                f"stopped by {self.signal.name} {how}; {done} of {total} {what} in full; "
                "the next run resolves the calls left and goes on"
            ),
            err=True,
        )
        sys.exit(code)

    def exit_unsent(self, when: str) -> NoReturn:
        """The command was stopped by a signal ``when`` (before it took any lock or sent
        anything): say so, and that nothing was sent, and exit 130 or 143."""
        assert self.signal is not None
        code = signal_exit_code(self.signal)
        log.warning(self.event("stopped"), signal=self.signal.name, sent=0, exit_code=int(code))
        click.echo(error_line(f"stopped by {self.signal.name} {when}: nothing was sent"), err=True)
        sys.exit(code)

    def marketplace(self, inner: Marketplace) -> Marketplace:
        """``inner`` behind the gate."""
        return GatedMarketplace(inner, self)

    def gated(self, deps: Deps) -> Deps:
        """A run's ports with its marketplace behind the gate."""
        return replace(deps, marketplace=self.marketplace(deps.marketplace))

    def renewer(self, inner: Renewer) -> Renewer:
        """``inner`` behind the gate."""
        return GatedRenewer(inner, self)

    def migrator(self, inner: Migrator) -> Migrator:
        """``inner`` behind the gate."""
        return GatedMigrator(inner, self)


@contextlib.contextmanager
def _handled_by(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """SIGTERM and SIGINT handled by ``handler`` for the block, the handlers before it
    restored after."""
    before = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)
