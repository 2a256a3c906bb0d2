"""Core: what the mirror knows of an ad: its states, its row, its memo, its pin.

Pure: no I/O here. The mirror hands out :class:`MirrorAd` (and :class:`Flight` for a
call in flight); :class:`Op`, :class:`RemoteState`, :class:`LogState` and
:class:`Stage` name the states a row and the API's action logs go through.
Imported through :mod:`syncd.core.models`, which names every value type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from syncd.core.feed_model import Payload


class Op(StrEnum):
    """What syncd asked the API to do with one ad."""

    CREATE = "create"  # POST /ad
    UPDATE = "update"  # PATCH /ad/{source_id}
    REVIVE = "revive"  # a deleted ad brought back (PATCH, or POST for registered vehicles)
    DELETE = "delete"  # DELETE /ad/{source_id}


class RemoteState(StrEnum):
    """The ad's own state in the API (seed: "Ad states")."""

    CREATED = "created"
    DELETED = "deleted"


class LogState(StrEnum):
    """The state of one action-log entry (seed: "Ad log states")."""

    PROCESSING = "processing"
    DONE = "done"
    ERROR = "error"


class Stage(StrEnum):
    """How far the mirror's latest action for an ad has come.

    INTENT is written *before* a call is sent (intent-before-send): a row left
    in INTENT after a crash means "sent or not, unknown" and is resolved by
    reading the ad back before anything is re-sent.
    """

    INTENT = "intent"  # recorded, about to be sent; outcome unknown
    SENT = "sent"  # the API accepted the call (2xx); outcome in the action logs
    DONE = "done"  # the action logs say every action of the call is done
    ERROR = "error"  # the action logs say an action of the call ended in error
    REJECTED = "rejected"  # the API refused the call (4xx); nothing changed remotely


@dataclass(frozen=True, slots=True)
class RawMemo:
    """What a raw feed item validated to, under a version of the rules.

    ``raw_hash``: the item as read (``syncd.core.validate.known.raw_hash``);
    ``rules``: the validation rules' key it was validated under; ``payload_hash``:
    the hash of the payload it gave. The mirror keeps one per ad, recorded once the
    API holds that payload, so that the item is not validated again while unchanged.
    """

    raw_hash: str
    rules: str
    payload_hash: str


@dataclass(frozen=True, slots=True)
class MirrorAd:
    """What the mirror knows about one ad (one row, keyed by dealer_code + source_id).

    ``payload``/``payload_hash`` are the last payload the API *accepted*; the
    planner diffs the feed against them. ``pending_hash`` is the hash of the
    payload of the latest call (INTENT, SENT or REJECTED), so that a payload the
    API refused is not re-sent until the feed changes it.
    """

    dealer_code: str
    source_id: str
    category_id: int | None = None
    payload: Payload | None = None
    payload_hash: str | None = None
    remote_state: RemoteState | None = None  # None: not known to exist in the API
    last_op: Op | None = None
    stage: Stage | None = None
    pending_hash: str | None = None
    message: str | None = None
    remote_id: str | None = None
    blocket_ad_id: str | None = None
    blocket_store_id: str | None = None
    offer_id: str | None = None
    request_id: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    created_at: datetime | None = None  # the row's first call, or its latest revive's
    # Set while the latest run's plan has no valid feed item for the ad (it deletes it, the
    # delete perhaps held back by a guard; a pin keeps it; its item is invalid:
    # ``core.renewals.unrenewable``): since the first run of that streak. None otherwise.
    absent_since: datetime | None = None
    # Only in ``Mirror.load_states`` (which leaves ``payload`` None): see RawMemo.
    memo: RawMemo | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Flight:
    """An ad whose call is in flight (stage SENT): what reconciling it reads, no payload.

    ``Mirror.in_flight`` returns these, not MirrorAds: a first sync of 100 000 ads has
    every one in flight at once, and each round of reconcile (one per poll) had read and
    decoded every payload it never looks at."""

    dealer_code: str
    source_id: str
    last_op: Op | None = None
    request_id: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Pin:
    """An ad the operator pinned (``syncd pin``): never deleted for being absent from the feed."""

    dealer_code: str
    source_id: str
    pinned_at: datetime
