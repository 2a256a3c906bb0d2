"""Ports: one Protocol per kind of I/O syncd does.

The service layer talks only to these. Adapters implement them
(``feeds/*``, ``mirror/sql.py``, ``mirror/lock.py``, ``marketplaces/blocket.py``) and the unit
tests implement them with hand-written fakes (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from threading import Event
from typing import Any, Protocol, TypeAlias

from syncd.core.activity import RunPoint
from syncd.core.models import (
    Accepted,
    Action,
    Answer,
    FeedMeta,
    Flight,
    ItemProblem,
    LogEntry,
    MirrorAd,
    Outcome,
    Payload,
    Pin,
    RawFeed,
    RawMemo,
    Rejected,
    RemoteAd,
    RemoteState,
    RunOutcome,
    RunSummary,
    WriteResult,
)
from syncd.core.renewal_models import Caps, Renewal, RenewalAd, RenewalAnswer, RenewalKind
from syncd.core.vehicle_values import TypeValues, VehicleValues

EventHooks: TypeAlias = Mapping[str, list[Callable[..., Any]]]
"""httpx's request/response hooks, installed on the API client (the daemon's metrics)."""


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

    def load_states(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer, by source_id, with what a plan reads (key, category,
        hashes, remote_state, last_op, stage) and its ``memo``; every other field None,
        whatever is stored (the payload, times, message, request and remote ids)."""
        ...

    def payloads(self, dealer_code: str, source_ids: Iterable[str]) -> dict[str, Payload]:
        """The accepted payloads of these ads (those that have one), by source_id."""
        ...

    def renewal_ads(self, dealer_code: str, paths: Sequence[str]) -> list[RenewalAd]:
        """Every ad of this dealer as a renewal policy reads it, without its payload: of
        that only whether it says ``visible: false`` and the values at these dotted paths
        (a policy's filter), each as ``core.renewals.renewal_ad`` reads a MirrorAd."""
        ...

    def remember(self, dealer_code: str, memos: Mapping[str, RawMemo]) -> int:
        """Record each ad's memo, only where the ad's accepted ``payload_hash`` equals the
        memo's (elsewhere, and for ads without a row, nothing); returns how many."""
        ...

    def get(self, dealer_code: str, source_id: str) -> MirrorAd | None:
        """One ad, or None."""
        ...

    def record_absent(self, dealer_code: str, source_ids: Iterable[str], now: datetime) -> None:
        """The ads a run's plan has no valid feed item for (``core.renewals.unrenewable``),
        before anything is sent: each gets ``absent_since`` = ``now`` unless it has one
        already; every other ad of the dealer gets None. Ads without a row are ignored;
        ``updated_at`` is unchanged."""
        ...

    def record_intent(self, action: Action, now: datetime) -> None:
        """Before sending: last_op=action.op, stage=INTENT, pending_hash, sent_at=now.

        Creates the row if there is none (remote_state None). Leaves payload,
        payload_hash and remote_state as they were.
        """
        ...

    def record_intents(self, actions: Sequence[Action], now: datetime) -> None:
        """``record_intent`` of each action, all in one transaction: when it returns,
        every intent is on disk (none is, if it raises). The executor calls it for a
        batch of calls before sending any of them."""
        ...

    def record_answers(self, answers: Sequence[Answer]) -> None:
        """``record_accepted`` or ``record_rejected`` of each answer (by its result's
        kind, at its ``at``), all in one transaction, in order."""
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

    def record_outcomes(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """``record_outcome`` of each outcome, all in one transaction, in order."""
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

    def in_flight(self, dealer_code: str) -> list[Flight]:
        """Ads whose stage is SENT (awaiting their action logs), without their payloads."""
        ...

    def intents(self, dealer_code: str) -> list[MirrorAd]:
        """Ads whose stage is INTENT (outcome unknown after a crash)."""
        ...

    def start_run(self, dealer_code: str, meta: FeedMeta | None, now: datetime) -> int:
        """Insert a run row and return its id. Called under the dealer's run lock: the
        dealer's runs still open (left by a process that died) are closed as failed."""
        ...

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: dict[str, int],
        message: str | None,
        now: datetime,
        *,
        invalid: Sequence[ItemProblem] = (),
        absent_recorded: bool = False,
    ) -> None:
        """Close a run row with its outcome, counts, message and the problems of its
        invalid items (bounded as ``syncd.core.status.recorded_invalid`` says);
        ``absent_recorded``: the run recorded the absent marks (``record_absent``)."""
        ...

    def absent_recorded_at(self, dealer_code: str) -> datetime | None:
        """When the latest run of this dealer that recorded the absent marks started (a
        run finished with ``absent_recorded``, whatever its outcome); None while none has
        since the upgrade that added them (migration 0006: runs before it say nothing)."""
        ...

    def runs(self, dealer_code: str | None, limit: int) -> list[RunSummary]:
        """The latest runs, newest first."""
        ...

    def latest_finished_runs(self, dealer_code: str | None) -> list[RunSummary]:
        """The latest finished run of each dealer (or of the one given), by dealer_code."""
        ...

    def counts_by_state(self, dealer_code: str | None) -> dict[str, int]:
        """How many ads (of one dealer, or all when None) have each status.

        Every status of ``syncd.core.status.AD_STATUSES`` is present (zero if
        none): live, processing, failed, rejected, deleted, pending.
        """
        ...

    def counts_by_dealer(self) -> dict[str, dict[str, int]]:
        """Per dealer_code that has ads in the mirror, sorted: how many have each status
        (every status of ``AD_STATUSES`` present, as in :meth:`counts_by_state`)."""
        ...

    def run_points(self, since: datetime) -> list[RunPoint]:
        """Every run started at or after ``since``, oldest first: start, outcome and the
        ``requests`` it counted (0 when it did not record them)."""
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

    def pinned(self, dealer_code: str) -> frozenset[str]:
        """The source_ids of this dealer's pinned ads (never deleted for being absent)."""
        ...

    def pin(self, dealer_code: str, source_id: str, now: datetime) -> bool:
        """Pin an ad (it need not be in the mirror yet); False when it already was."""
        ...

    def unpin(self, dealer_code: str, source_id: str) -> bool:
        """Unpin an ad; False when it was not pinned."""
        ...

    def pins(self, dealer_code: str | None) -> list[Pin]:
        """Every pin (of one dealer, or all), by dealer_code and source_id."""
        ...

    def prune(self, older_than: datetime) -> int:
        """Delete action-log entries created before ``older_than`` and runs that
        ended (or, never finished, started) before it; returns how many rows."""
        ...


class RenewalLog(Protocol):
    """The renewals table: every paid call (bump, pole position), kept across restarts.

    Raises MirrorUnavailable when the database cannot be used.
    """

    def history(self, since: datetime) -> list[Renewal]:
        """Every renewal recorded at or after ``since`` (all dealers), oldest first."""
        ...

    def reserve(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        now: datetime,
        *,
        policy: str | None = None,
        caps: Caps | None = None,
    ) -> int | None:
        """Record a RESERVED renewal and return its id, before the call is sent.

        With ``caps``: in one transaction that no other process can interleave, count
        the policy's charged renewals for this dealer of ``now``'s UTC day and month
        and reserve only when both are under their cap; None when a cap is reached.
        """
        ...

    def settle(self, renewal_id: int, answer: RenewalAnswer) -> None:
        """Record what the API answered to a reserved renewal."""
        ...

    def latest(self, dealer_code: str | None, limit: int) -> list[Renewal]:
        """The latest renewals (of one dealer, or all), newest first."""
        ...


class RunLock(Protocol):
    """One run at a time per dealer, across processes (a ``run-once`` and the daemon)."""

    def hold(
        self, dealer_code: str, *, wait: float | None, stop: Event
    ) -> AbstractContextManager[None]:
        """Hold the dealer's run lock for the ``with`` block.

        ``wait``: seconds to keep trying (0: try once; None: as long as it takes).
        ``stop``: once set (from another thread), the wait ends at once with Stopped;
        every caller says what ends its wait (the CLI: the first SIGTERM or SIGINT).
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


class Renewer(Protocol):
    """The paid calls of a marketplace API: ``bump`` and ``pole_position``.

    Never retried (a retry could be charged twice): a lost answer is ``UNKNOWN``.
    Raises ApiAuthError on 401/403, and Stopped only for a call that was not sent (a
    stop's gate held it back: ``syncd.cli.stopping``), which is recorded ``NOT_SENT``.
    """

    async def renew(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        *,
        exclude_bytbil: bool = False,
        exclude_blocket: bool = False,
    ) -> RenewalAnswer: ...


class Catalog(Protocol):
    """Whole reads of a marketplace, beyond a run's: every ad listed, an ad's whole log."""

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None: ...

    async def list_ads(self, dealer_code: str, state: RemoteState) -> list[RemoteAd]:
        """Every ad of the dealer in this state, with its latest logs, page by page."""
        ...

    async def ad_log(self, dealer_code: str, source_id: str) -> list[LogEntry] | None:
        """Every action-log entry of one ad, oldest first; None when the API lacks the ad."""
        ...


class TokenChecker(Protocol):
    """The API's cheapest authenticated read, to learn whether it takes the token."""

    async def check_token(self, dealer_code: str) -> None:
        """Return when the API took the token for this dealer; raise ApiAuthError
        (ApiScopeError: 403) when it refused it, ApiUnavailable when it could not answer."""
        ...


class Progress(Protocol):
    """How far a long command has come, for a progress bar on a terminal (the CLI's).

    ``task`` names a count ("calls sent (D1)"); ``done`` is absolute, ``total`` None
    while unknown. Use cases call it once per batch (of calls, of log reads, of
    records), never per item, so that a run without a bar pays nothing for it.
    """

    def update(self, task: str, done: int, total: int | None = None) -> None:
        """Show ``done`` (of ``total``, when given) for ``task``, adding the task if new."""
        ...


def progress_task(name: str, dealer_code: str) -> str:
    """A task's label: ``calls sent (D1)``, or ``calls sent`` for the token's own dealer."""
    return f"{name} ({dealer_code})" if dealer_code else name


class Migrator(Protocol):
    """The v3 → v4 migration of one ad (``POST /v4/ad/{source_id}/migrate``)."""

    async def migrate(self, dealer_code: str, source_id: str, payload: Payload) -> WriteResult:
        """Convert a v3 ad in place with the whole v4 payload; 4xx answers are ``Rejected``."""
        ...


class VehicleLookups(Protocol):
    """The API's non-mutating helpers: vehicle lookup lists and the validate endpoint."""

    async def vehicle_values(self, vehicle_type: str) -> TypeValues:
        """A vehicle type's brands, body types and fuels (no models)."""
        ...

    async def models(self, vehicle_type: str, brand: str) -> tuple[str, ...]:
        """The model slugs of one brand."""
        ...

    async def validate(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        """Whether the API would accept this create (Accepted) or not (Rejected); saves nothing."""
        ...


class VehicleValuesSource(Protocol):
    """The vehicle values a feed's check needs, from a cache kept fresh from the API."""

    async def values_for(self, needs: Mapping[str, frozenset[str]]) -> VehicleValues | None:
        """Values covering ``needs`` (vehicle type -> brands whose models are wanted),
        refreshed when stale; None (after a warning) when there are none to check with."""
        ...

    async def refresh(self) -> VehicleValues | None:
        """Fetch again everything the cache covers, now; None when the API failed."""
        ...


@dataclass(slots=True)
class RequestTally:
    """Adds the HTTP requests a marketplace client sends, and the retries among them,
    to ``counts`` (a run's counts: ``requests``, ``retried``)."""

    counts: dict[str, int] = field(default_factory=dict)


_TALLY: ContextVar[RequestTally | None] = ContextVar("syncd_request_tally", default=None)


@contextmanager
def tallying() -> Iterator[RequestTally]:
    """Count the requests sent inside the block (and in the tasks it starts)."""
    tally = RequestTally()
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)


def count_request(*, retry: bool) -> None:
    """A client sent a request (``retry``: again, after a transient failure)."""
    tally = _TALLY.get()
    if tally is not None:
        counts = tally.counts
        counts["requests"] = counts.get("requests", 0) + 1
        counts["retried"] = counts.get("retried", 0) + int(retry)


@dataclass(slots=True)
class Handover:
    """Whether a request made inside :func:`watching_handover` reached its transport."""

    handed_over: bool = False


_HANDOVER: ContextVar[Handover | None] = ContextVar("syncd_request_handover", default=None)


@contextmanager
def watching_handover() -> Iterator[Handover]:
    """Tell whether a request of the block went past its client's throttle (a paid call
    cancelled before that was never sent: ``syncd.renewals``)."""
    handover = Handover()
    token = _HANDOVER.set(handover)
    try:
        yield handover
    finally:
        _HANDOVER.reset(token)


def watched_handover() -> Handover | None:
    """The Handover of the innermost :func:`watching_handover` block (None outside one):
    a stop's gate cancels a paid call that has not reached its transport."""
    return _HANDOVER.get()


def hand_over() -> None:
    """A client hands a request to its transport now: from here on, a cancellation may
    leave it sent (and, for a paid call, charged)."""
    handover = _HANDOVER.get()
    if handover is not None:
        handover.handed_over = True
