"""Shell: the ports a stoppable command sends through, each call passing its stop's gate.

:class:`~syncd.cli.stopping.GracefulStop` hands these out (``marketplace()``,
``renewer()``, ``migrator()``): every call that writes is counted in flight while it
runs, and once the stop is requested no new one starts (see ``GracefulStop.call``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from syncd.core.models import Payload, RemoteAd, WriteResult
from syncd.core.renewal_models import RenewalAnswer, RenewalKind
from syncd.ports import Marketplace, Migrator, Renewer

__all__ = ["Gate", "GatedMarketplace", "GatedMigrator", "GatedRenewer"]


class Gate(Protocol):
    """What a gated port asks of the stop: one call, counted in flight."""

    def call(self, *, hold: bool = True) -> AbstractAsyncContextManager[None]: ...


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
        # One renewal at a time: refused at once (Stopped, never sent), recorded not_sent.
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
