"""Shell: the gate a stoppable step's API calls pass, and the ports that pass it.

A :class:`StepGate` is one stoppable step (a command's dealer, a daemon job): once
it is asked to stop (:meth:`StepGate.begin_stop`: ``syncd.cli.stopping``'s signal
handler, the daemon's SIGTERM) no new call starts, the calls in flight get their
answers, and once none is left the step is cancelled (at once when none is in
flight, or when every call in flight is one watched by
:func:`~syncd.ports.watching_handover`, a paid call, that has not reached its
transport yet: it is cancelled there, never sent). The ports below pass each call
through a gate: every call that writes is counted in flight while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from syncd.core.models import Payload, RemoteAd, WriteResult
from syncd.core.renewal_models import RenewalAnswer, RenewalKind
from syncd.errors import Stopped
from syncd.ports import Handover, Marketplace, Migrator, Renewer, watched_handover

__all__ = ["NOT_SENT", "Gate", "GatedMarketplace", "GatedMigrator", "GatedRenewer", "StepGate"]

T = TypeVar("T")

NOT_SENT = "not sent: syncd is stopping"


class Gate(Protocol):
    """What a gated port asks of the stop: one call, counted in flight."""

    def call(self, *, hold: bool = True) -> AbstractAsyncContextManager[None]: ...


class StepGate:
    """The gate of one stoppable step (see the module docstring)."""

    def __init__(self) -> None:
        self.stopping = False
        self.why = ""  # how the stop came, for its Stopped ("by SIGTERM")
        self._calls: dict[object, Handover | None] = {}  # in flight; None: not watched
        self._step: asyncio.Task[Any] | None = None

    @property
    def in_flight(self) -> int:
        """The calls that passed the gate and have not ended yet."""
        return len(self._calls)

    def begin_stop(self, why: str) -> None:
        """Stop between calls: no new one starts; the step is cancelled once none is in
        flight, at once if none is (or if none of those in flight can have been sent)."""
        if self.stopping:
            return
        self.stopping = True
        self.why = why
        if not self._calls or self._none_sent():
            self.cancel()

    def _none_sent(self) -> bool:
        # Assumption: a call not watched (the sync's, concurrent, unpaid) may be on the
        # wire: it is answered. A watched one (a paid renewal, one at a time) still in its
        # client's throttle is cancelled there: an operator's stop means no new charge.
        return all(h is not None and not h.handed_over for h in self._calls.values())

    def cancel(self) -> None:
        """Cancel the step now (the calls in flight too)."""
        if self._step is not None:
            self._step.cancel()

    async def step(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` as the step a stop cancels; raises Stopped if it did."""
        if self.stopping:
            work.close()
            raise Stopped(NOT_SENT)
        task = asyncio.create_task(work)
        self._step = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.stopping and current is not None and not current.cancelling():
                raise Stopped(f"stopped {self.why}") from None  # the step's cancel
            raise
        finally:
            self._step = None

    @contextlib.asynccontextmanager
    async def call(self, *, hold: bool = True) -> AsyncIterator[None]:
        """One API call, counted in flight; the last one in flight to end after the stop
        cancels the step. Once stopping, a new call never starts: it is held back
        until the step's cancel reaches it (``hold``: calls made concurrently, whose
        error would cut the others short) or refused with Stopped at once."""
        if self.stopping:
            if hold and self._step is not None:
                if not self._calls:
                    self.cancel()
                await asyncio.get_running_loop().create_future()  # until cancelled
            raise Stopped(NOT_SENT)
        key = object()
        self._calls[key] = watched_handover()
        try:
            yield
        finally:
            del self._calls[key]
            if self.stopping and not self._calls:
                # Soon, not now: the caller records the answer first, and a step that
                # ends without another wait keeps its result (a sync that finished).
                asyncio.get_running_loop().call_soon(self.cancel)


class GatedMarketplace:
    """A ``Marketplace`` whose calls pass the gate."""

    def __init__(self, inner: Marketplace, stop: Gate) -> None:
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


class GatedRenewer:
    """A ``Renewer`` whose calls pass the gate."""

    def __init__(self, inner: Renewer, stop: Gate) -> None:
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
        # One renewal at a time: refused at once once stopping (Stopped, never sent), and
        # one still in the client's throttle at the stop is cancelled there: not_sent.
        async with self._stop.call(hold=False):
            return await self._inner.renew(
                dealer_code,
                source_id,
                kind,
                exclude_bytbil=exclude_bytbil,
                exclude_blocket=exclude_blocket,
            )


class GatedMigrator:
    """A ``Migrator`` whose calls pass the gate."""

    def __init__(self, inner: Migrator, stop: Gate) -> None:
        self._inner = inner
        self._stop = stop

    async def migrate(self, dealer_code: str, source_id: str, payload: Payload) -> WriteResult:
        # Held back, not refused, once stopping: migrate-v4 would count a Stopped as the
        # ad's failure. The intent recorded before it stays, read back by the next run.
        async with self._stop.call():
            return await self._inner.migrate(dealer_code, source_id, payload)
