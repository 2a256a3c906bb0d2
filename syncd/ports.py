"""Ports: the ports: one Protocol per kind of I/O syncd does.

The service layer talks only to these. Adapters implement them
(``feeds/*``, ``mirror/sql.py``, ``mirror/lock.py``, ``marketplaces/blocket.py``) and the unit
tests implement them with hand-written fakes (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from syncd.core.models import (
    Accepted,
    Action,
    FeedMeta,
    LogEntry,
    MirrorAd,
    Outcome,
    Payload,
    RawFeed,
    Rejected,
    RemoteAd,
    RunSummary,
    WriteResult,
)


class Clock(Protocol):
    """Tells the time (timezone-aware UTC)."""

    def now(self) -> datetime: ...


class FeedReader(Protocol):
    """Reads one feed file whole. Raises FeedError when the file cannot be used."""

    async def read(self, path: str) -> RawFeed:
        """The parsed feed, once the file is whole (it may wait for it to hold still)."""
        ...

    def changed(self, meta: FeedMeta) -> str | None:
        """Why the file is no longer the one ``meta`` was read from; None if unchanged."""
        ...


class Mirror(Protocol):
    """The local record of every ad syncd manages, keyed by (dealer_code, source_id).

    Every method commits before it returns: a crash after a call leaves what it
    wrote on disk. Raises MirrorUnavailable when the database cannot be used.
    """

    def load(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer, by source_id."""
        ...

    def get(self, dealer_code: str, source_id: str) -> MirrorAd | None:
        """One ad, or None."""
        ...

    def record_intent(self, action: Action, now: datetime) -> None:
        """Before sending: last_op=action.op, stage=INTENT, pending_hash, sent_at=now.

        Creates the row if there is none (remote_state None). Leaves payload,
        payload_hash and remote_state as they were.
        """
        ...

    def record_accepted(self, action: Action, result: Accepted, now: datetime) -> None:
        """After a 2xx: stage=SENT, request_id; for Create/Update: payload and
        payload_hash := the action's, remote_state := CREATED, category_id set;
        for Delete: payload unchanged. Remote ids from ``result.remote`` are kept
        when present. message := None."""
        ...

    def record_rejected(self, action: Action, result: Rejected, now: datetime) -> None:
        """After a 4xx: stage=REJECTED, message=result.message; payload untouched."""
        ...

    def record_outcome(self, outcome: Outcome, now: datetime) -> None:
        """After reading the action logs: stage, message, remote_state (if not None;
        set to None when ``outcome.remote_unknown``) and ids (those not None); each log
        entry stored once (deduplicated on request_id, action, state, created)."""
        ...

    def forget_intent(
        self, dealer_code: str, source_id: str, remote: RemoteAd | None, now: datetime
    ) -> None:
        """Resolve an INTENT left by a crash, after reading the ad back.

        ``remote`` None (the API does not know the ad): if the row never reached
        the API (payload None) remote_state := None; stage := None.
        ``remote`` given: remote_state := remote.state, ids from it; if the row
        had no accepted payload, payload and payload_hash stay None so that the
        planner sends the whole payload again; stage := None.
        """
        ...

    def in_flight(self, dealer_code: str) -> list[MirrorAd]:
        """Ads whose stage is SENT (awaiting their action logs)."""
        ...

    def intents(self, dealer_code: str) -> list[MirrorAd]:
        """Ads whose stage is INTENT (outcome unknown after a crash)."""
        ...

    def start_run(self, dealer_code: str, meta: FeedMeta | None, now: datetime) -> int:
        """Insert a run row and return its id."""
        ...

    def finish_run(
        self, run_id: int, outcome: str, counts: dict[str, int], message: str | None, now: datetime
    ) -> None:
        """Close a run row with its outcome, counts and message."""
        ...

    def runs(self, dealer_code: str | None, limit: int) -> list[RunSummary]:
        """The latest runs, newest first."""
        ...

    def counts_by_state(self, dealer_code: str | None) -> dict[str, int]:
        """How many ads (of one dealer, or all when None) have each status.

        Every status of ``syncd.core.status.AD_STATUSES`` is present (zero if
        none): live, processing, failed, rejected, deleted, pending.
        """
        ...

    def failing(self, dealer_code: str | None, limit: int) -> list[MirrorAd]:
        """Ads whose stage is ERROR or REJECTED, most recently updated first."""
        ...

    def action_logs(
        self, dealer_code: str, source_id: str, recorded_before: datetime | None = None
    ) -> list[LogEntry]:
        """Every stored action-log entry of one ad, oldest first; with ``recorded_before``
        only those syncd recorded before that time (i.e. of calls sent earlier)."""
        ...

    def ping(self) -> None:
        """Check that the database answers; raises MirrorUnavailable with the reason."""
        ...

    def prune(self, older_than: datetime) -> int:
        """Delete action-log entries created before ``older_than`` and runs that
        ended (or, never finished, started) before it; returns how many rows."""
        ...


class RunLock(Protocol):
    """One run at a time per dealer, across processes (a ``run-once`` and the daemon)."""

    def hold(self, dealer_code: str, *, wait: float | None) -> AbstractContextManager[None]:
        """Hold the dealer's run lock for the ``with`` block.

        ``wait``: seconds to keep trying (0: try once; None: as long as it takes).
        Raises RunLocked when another run still holds it after that, and
        MirrorUnavailable when the lock cannot be used at all.
        """
        ...


class Marketplace(Protocol):
    """One marketplace API (the Pro Import API). All calls are async.

    Raises ApiAuthError on 401/403 and ApiUnavailable on timeouts, connection
    errors and 5xx; answers 400/404/409 on writes as ``Rejected`` values.
    """

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult: ...

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> WriteResult: ...

    async def delete(self, dealer_code: str, source_id: str) -> WriteResult: ...

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None: ...

    async def list_with_logs(
        self, dealer_code: str, source_ids: Sequence[str]
    ) -> list[RemoteAd]: ...
