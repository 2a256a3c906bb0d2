"""Core: the typed, frozen values that pass between syncd's layers, by one name each.

Pure: no I/O here. Feed readers produce :class:`RawFeed`; validation turns it
into a :class:`ValidatedFeed`; the mirror hands out :class:`MirrorAd`; the
planner returns a :class:`Plan` of actions; the marketplace client answers with
:class:`Accepted` / :class:`Rejected` and :class:`RemoteAd`; reconciling yields
:class:`Outcome` values that the mirror records.
"""

from __future__ import annotations

from syncd.core.answers import (
    Accepted,
    Answer,
    ItemProblem,
    LogEntry,
    Outcome,
    Rejected,
    RemoteAd,
    RunOutcome,
    RunSummary,
    WriteResult,
)
from syncd.core.feed_model import (
    DuplicateKey,
    FeedItem,
    FeedMeta,
    FileStamp,
    InvalidItem,
    Issue,
    Origin,
    Packed,
    Payload,
    RawFeed,
    RawRecord,
    ValidatedFeed,
)
from syncd.core.mirror_model import (
    Flight,
    LogState,
    MirrorAd,
    Op,
    Pin,
    RawMemo,
    RemoteState,
    Stage,
)
from syncd.core.plan_model import (
    PLAN_COUNTS,
    PLAN_KINDS,
    Action,
    Create,
    Delete,
    Invalid,
    Plan,
    PlanEntry,
    Unchanged,
    Update,
    entry_kind,
)

__all__ = [
    "PLAN_COUNTS",
    "PLAN_KINDS",
    "Accepted",
    "Action",
    "Answer",
    "Create",
    "Delete",
    "DuplicateKey",
    "FeedItem",
    "FeedMeta",
    "FileStamp",
    "Flight",
    "Invalid",
    "InvalidItem",
    "Issue",
    "ItemProblem",
    "LogEntry",
    "LogState",
    "MirrorAd",
    "Op",
    "Origin",
    "Outcome",
    "Packed",
    "Payload",
    "Pin",
    "Plan",
    "PlanEntry",
    "RawFeed",
    "RawMemo",
    "RawRecord",
    "Rejected",
    "RemoteAd",
    "RemoteState",
    "RunOutcome",
    "RunSummary",
    "Stage",
    "Unchanged",
    "Update",
    "ValidatedFeed",
    "WriteResult",
    "entry_kind",
]
