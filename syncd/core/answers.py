"""Core: what the API says (written ads, action logs, answers) and what a run came to.

Pure: no I/O here. The marketplace client answers with :class:`Accepted` /
:class:`Rejected` and :class:`RemoteAd`; reconciling yields :class:`Outcome` values that
the mirror records; a run ends with a :class:`RunOutcome`.
Imported through :mod:`syncd.core.models`, which names every value type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias

from syncd.core.feed_model import Payload
from syncd.core.mirror_model import LogState, RemoteState, Stage
from syncd.core.plan_model import Create, Delete, Update


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One action-log entry of an ad, as the API reports it."""

    action: str
    state: LogState
    created: datetime
    request_id: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteAd:
    """An ad as the API returns it (only what syncd uses)."""

    source_id: str
    state: RemoteState
    dealer_code: str | None = None
    remote_id: str | None = None
    blocket_ad_id: str | None = None
    blocket_store_id: str | None = None
    offer_id: str | None = None
    api_version: str | None = None
    updated: datetime | None = None
    logs: tuple[LogEntry, ...] = ()
    # The writable fields as the API holds them, in the request's shape (what a 409 on
    # POST is compared against); None when the answer did not carry them.
    content: Payload | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A 2xx answer to a write: the call is queued; its outcome comes in the logs."""

    status: int
    request_id: str | None = None
    remote: RemoteAd | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A 4xx answer (400/404/409) to a write: nothing was changed remotely.

    ``messages`` are the API's error texts flattened to ``field: reason``.
    """

    status: int
    messages: tuple[str, ...] = ()
    # A POST whose answer was lost, and that the client then found by reading the ad
    # back, answers 409 with the ad as read: the executor adopts it without a 2nd GET.
    remote: RemoteAd | None = None
    # A 404 on the POST to a typed path (``api.typed_paths``) whose API does have the
    # ``/v{n}/ad`` collection: the API lacks this vehicle type's path. The executor makes
    # the item invalid for this run (not the ad's refusal: nothing is recorded on it).
    missing_vehicle_type: str | None = None

    @property
    def message(self) -> str:
        return "; ".join(self.messages) or f"HTTP {self.status}"


WriteResult: TypeAlias = Accepted | Rejected


@dataclass(frozen=True, slots=True)
class Answer:
    """A write call's answer, to be recorded on its ad's row as it was at ``at``
    (the mirror records answers in batches, each at its own time)."""

    action: Create | Update | Delete
    result: Accepted | Rejected
    at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """The reconciled result of an in-flight call, to be written to the mirror.

    ``stage`` is DONE or ERROR when the call settled, SENT while still processing.
    ``logs`` are all log entries read for the ad (the mirror keeps each once).
    """

    dealer_code: str
    source_id: str
    stage: Stage
    remote_state: RemoteState | None
    message: str | None = None
    remote_id: str | None = None
    blocket_ad_id: str | None = None
    blocket_store_id: str | None = None
    offer_id: str | None = None
    logs: tuple[LogEntry, ...] = field(default=())
    remote_unknown: bool = False  # the API does not know the ad: remote_state := None
    # The call's change never reached the ad (its ``update`` ended in error): the row's
    # payload, hash and category return to those from before the call was accepted.
    unapplied: bool = False


class RunOutcome(StrEnum):
    """How a sync run ended: the runs table's ``outcome`` and the metrics' label."""

    SUCCESS = "success"  # everything in the feed applied (calls may still be processing)
    PARTIAL = "partial"  # finished; some items are invalid, rejected or failed
    GUARDED = "guarded"  # finished with deletes and creates held back by a guard
    FAILED = "failed"  # stopped by an error, or interrupted

    @property
    def successful(self) -> bool:
        """Counts as a successful sync (partial: the items left need a person, not a retry)."""
        return self in (RunOutcome.SUCCESS, RunOutcome.PARTIAL)


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """One problem of one invalid feed item, as a run records it for ``syncd status``.

    ``record``: where the item sits (``str(Origin)``), None for an ad known only to
    the mirror (or a call from a plan saved without origins); ``source_id`` None when
    the item has none. A problem a call found (a missing typed path) has the record of
    the call's action (``Create.origin``, ``Update.origin``).
    """

    source_id: str | None
    record: str | None
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of the runs table.

    ``invalid``: the problems of the run's invalid items, as recorded (bounded:
    ``syncd.core.status.recorded_invalid``); ``invalid_omitted``: how many more
    there were.
    """

    run_id: int
    dealer_code: str
    started_at: datetime
    finished_at: datetime | None
    feed_checksum: str | None
    outcome: RunOutcome | None  # None while running
    counts: Mapping[str, int]
    message: str | None = None
    invalid: tuple[ItemProblem, ...] = ()
    invalid_omitted: int = 0
