"""Core: the typed, frozen values that pass between syncd's layers.

Pure: no I/O here. Feed readers produce :class:`RawFeed`; validation turns it
into a :class:`ValidatedFeed`; the mirror hands out :class:`MirrorAd`; the
planner returns a :class:`Plan` of actions; the marketplace client answers with
:class:`Accepted` / :class:`Rejected` and :class:`RemoteAd`; reconciling yields
:class:`Outcome` values that the mirror records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, TypeAlias

import orjson

Payload: TypeAlias = Mapping[str, Any]
"""An ad body in the Pro Import API's request shape (without source_id/dealer_code)."""


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
class Origin:
    """Where an item sits in its feed file: a 1-based line or a 0-based array index."""

    path: str
    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.index is not None:
            return f"{self.path}[{self.index}]"
        return self.path


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one field of a feed item (``field`` is a dotted path).

    ``value``: the value as the dealer's file wrote it, when the problem came
    from mapping that file (the reason names it otherwise).
    """

    field: str
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key given more than once in one object of a feed item; the parser kept the last.

    ``field`` is the dotted path of the key (``source_id``, ``price[0].amount``);
    ``values`` are the values given, in file order, kept only for ``source_id``.
    """

    field: str
    count: int
    values: tuple[Any, ...] = ()


class Packed(NamedTuple):
    """An item kept as its canonical JSON text (keys sorted), not as Python objects.

    A large feed's items take about four times less memory so, and most are never
    looked at again (a run skips the unchanged ones by ``digest``). ``digest`` is
    ``core.validate.known.raw_hash`` of the item (the BLAKE2b of ``text``);
    ``source_id`` the item's, when it is a string. (A named tuple: a reader makes
    one per item, and it is the cheapest immutable value to make.)
    """

    text: bytes
    digest: str
    source_id: str | None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One item as parsed from the feed, before validation (any JSON value).

    ``issues``: problems found before validation (reading or mapping the
    dealer's own format); an item with any is invalid. A reader may keep the item
    ``packed`` instead of as ``data`` (which is then None): read it with
    :meth:`value`, which works for both.
    """

    origin: Origin
    data: Any
    duplicate_keys: tuple[DuplicateKey, ...] = ()
    issues: tuple[Issue, ...] = ()
    packed: Packed | None = None

    def value(self) -> Any:
        """The item as parsed (a packed one is decoded again: its keys come sorted)."""
        if self.packed is not None:
            return orjson.loads(self.packed.text)
        return self.data

    def source_id(self) -> str | None:
        """The item's ``source_id`` when it is a string (None otherwise, or for no object)."""
        if self.packed is not None:
            return self.packed.source_id
        sid = self.data.get("source_id") if isinstance(self.data, dict) else None
        return sid if isinstance(sid, str) else None


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What tells that a file changed: size, modification time and inode."""

    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """Facts about the feed file a run read."""

    path: str
    checksum: str  # sha256 hex of the bytes read
    size: int
    modified_at: datetime
    stamp: FileStamp | None = None  # the file as read; None when not read from a file


@dataclass(frozen=True, slots=True, repr=False)
class RawFeed:
    """A whole feed file, parsed but not validated."""

    meta: FeedMeta
    records: tuple[RawRecord, ...]

    def __repr__(self) -> str:
        """The meta and a count: see :func:`_counted`."""
        return f"RawFeed(meta={self.meta!r}, records={_counted(self.records)})"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A valid feed item: the payload syncd wants the API to hold for this source_id.

    ``payload`` is normalised (no source_id, no dealer_code; no title or contact
    for registered vehicles) and ``payload_hash`` is its canonical hash.
    """

    source_id: str
    category_id: int
    payload: Payload
    payload_hash: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class InvalidItem:
    """A feed item that failed validation; its existing ad is left untouched."""

    origin: Origin
    source_id: str | None
    issues: tuple[Issue, ...]
    # The source_ids the item may mean when it gave more than one (a duplicated
    # source_id key): their live ads are protected from deletion as well.
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, repr=False)
class ValidatedFeed:
    """The feed after validation: valid items and invalid ones, in file order."""

    dealer_code: str
    meta: FeedMeta
    items: tuple[FeedItem, ...]
    invalid: tuple[InvalidItem, ...]

    def __repr__(self) -> str:
        """The dealer, the meta and counts: see :func:`_counted`."""
        return (
            f"ValidatedFeed(dealer_code={self.dealer_code!r}, meta={self.meta!r}, "
            f"items={_counted(self.items)}, invalid={_counted(self.invalid)})"
        )


def _counted(entries: tuple[Any, ...]) -> str:
    """A whole feed's entries in a repr: a count, not 100 000 reprs.

    Why: ``asyncio.run`` (Python 3.11) formats the repr of its main task, and so of
    the task's result, when it restores the SIGINT handler (``signal.getsignal``
    turns the handler into an enum via a ``ValueError`` whose message holds its
    repr). A command returning a feed paid a full repr of every item: about half
    of ``bench/feeds.py``'s CPU time, for a string reprlib then cuts to 30 chars.
    """
    return f"<{len(entries)} {'entry' if len(entries) == 1 else 'entries'}>"


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


# --- the plan -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Create:
    """POST a new ad (or, with ``revive``, re-POST a deleted registered vehicle).

    ``body`` is what goes in the POST (it may lack a ``reduced`` price, which
    the API refuses on POST); ``followup`` is then sent as a PATCH. ``payload``
    is the whole desired payload, recorded once the API accepts.
    """

    dealer_code: str
    source_id: str
    category_id: int
    body: Payload
    payload: Payload
    payload_hash: str
    followup: Payload | None = None
    revive: bool = False

    @property
    def op(self) -> Op:
        return Op.REVIVE if self.revive else Op.CREATE


@dataclass(frozen=True, slots=True)
class Update:
    """PATCH only the changed fields (removed ones as null) of a live or deleted ad."""

    dealer_code: str
    source_id: str
    category_id: int
    changes: Payload
    payload: Payload
    payload_hash: str
    revive: bool = False
    # The last accepted payload, only to show the diff (not part of what is sent).
    before: Payload | None = field(default=None, compare=False, repr=False)

    @property
    def op(self) -> Op:
        return Op.REVIVE if self.revive else Op.UPDATE


@dataclass(frozen=True, slots=True)
class Delete:
    """DELETE an ad that is no longer in the feed."""

    dealer_code: str
    source_id: str

    @property
    def op(self) -> Op:
        return Op.DELETE


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Nothing to send. ``reason``: same | in_flight | still_rejected | still_failed | gone |
    pinned."""

    dealer_code: str
    source_id: str
    reason: str = "same"


@dataclass(frozen=True, slots=True)
class Invalid:
    """The feed item cannot be sent; the existing ad (if any) is left exactly as it is."""

    dealer_code: str
    source_id: str | None
    origin: Origin | None
    issues: tuple[Issue, ...]


Action: TypeAlias = Create | Update | Delete
PlanEntry: TypeAlias = Create | Update | Delete | Unchanged | Invalid


def entry_kind(entry: PlanEntry) -> str:
    """The plan kind of an entry: create, update, revive, delete, unchanged or invalid."""
    match entry:
        case Create(revive=True) | Update(revive=True):
            return "revive"
        case Create():
            return "create"
        case Update():
            return "update"
        case Delete():
            return "delete"
        case Unchanged():
            return "unchanged"
        case Invalid():
            return "invalid"


PLAN_KINDS = ("create", "update", "revive", "delete", "unchanged", "invalid")
PLAN_COUNTS = (*PLAN_KINDS, "gone")
"""The keys of :meth:`Plan.counts`: the kinds, and ``gone`` apart from ``unchanged``."""
_PLAIN_KINDS: dict[type, str] = {Delete: "delete", Unchanged: "unchanged", Invalid: "invalid"}


@dataclass(frozen=True, slots=True, repr=False)
class Plan:
    """One entry per source_id of the feed and the mirror, in a stable order."""

    dealer_code: str
    entries: tuple[PlanEntry, ...]

    def __repr__(self) -> str:
        """The dealer and a count: see :func:`_counted`."""
        return f"Plan(dealer_code={self.dealer_code!r}, entries={_counted(self.entries)})"

    @property
    def actions(self) -> tuple[Action, ...]:
        """The entries that need an API call."""
        return tuple(e for e in self.entries if isinstance(e, Create | Update | Delete))

    def counts(self) -> dict[str, int]:
        """How many entries of each kind (every key of ``PLAN_COUNTS``, zero if none).

        An ad deleted (or never created) earlier and still absent from the feed,
        ``Unchanged("gone")``, counts as ``gone``, not ``unchanged``: ``unchanged`` is
        the live ads (and those in flight) the feed still agrees with, so that a feed
        shrinking over months does not read as a large steady stock. Assumption: the
        key is added, not renamed, so a reader of ``unchanged`` keeps working; a run
        recorded by an older syncd counted the gone ones in ``unchanged``."""
        counts = dict.fromkeys(PLAN_COUNTS, 0)
        for entry in self.entries:
            # A dict lookup first: 100 000 unchanged entries through ``match`` cost more.
            if type(entry) is Unchanged and entry.reason == "gone":
                counts["gone"] += 1
            else:
                counts[_PLAIN_KINDS.get(type(entry)) or entry_kind(entry)] += 1
        return counts


# --- what the API says --------------------------------------------------------


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
    the mirror; ``source_id`` None when the item has none.
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
