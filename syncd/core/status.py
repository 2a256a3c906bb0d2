"""Core: the one-word status of an ad that ``syncd status`` counts by, and what a run
records of its invalid items for ``syncd status`` to list.

Pure: no I/O here. Shared by the SQL mirror and the in-memory fake so both
count (and bound) the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from syncd.core import contacts
from syncd.core.models import Invalid, ItemProblem, PlanEntry, RemoteState, Stage

AD_STATUSES = ("live", "processing", "failed", "rejected", "deleted", "pending")
"""Every status, in display order."""

FAILING_STAGES = (Stage.ERROR, Stage.REJECTED)
"""Stages ``failing()`` lists: the latest call ended in error or was refused."""

_BY_STAGE = {
    Stage.INTENT: "pending",  # about to be sent, or interrupted by a crash
    Stage.SENT: "processing",  # accepted; waiting for the action logs
    Stage.ERROR: "failed",
    Stage.REJECTED: "rejected",
}


def ad_status(stage: Stage | None, remote_state: RemoteState | None) -> str:
    """The status of an ad from its stage and its remote state.

    The latest call decides while it is pending, processing or failed; once
    it is done (or resolved after a crash) the remote state does: live,
    deleted, or pending when the API has never held the ad.
    """
    if stage is not None and stage in _BY_STAGE:
        return _BY_STAGE[stage]
    if remote_state is RemoteState.CREATED:
        return "live"
    if remote_state is RemoteState.DELETED:
        return "deleted"
    return "pending"


INVALID_KEPT = 1000
"""Problems of invalid items a run row keeps; it counts the rest (``invalid_omitted``).

Why 1 000: a dealer's stock is hundreds to a few thousand ads, so a real feed's invalid
items all fit; more is one broken export repeating the same fault, which the first
thousand show (``syncd validate`` lists every one). A full list is ~150 kB of JSON in
the run row, at most ~2 MB with every value at its limit, and runs are pruned after
``daemon.retention_days``.
"""

INVALID_TEXT_LIMIT = 500
"""Characters of one recorded value (source_id, record, field, reason) before it is cut
with an ellipsis: a 10 000-character source_id is itself an invalid item."""


def invalid_problems(entries: Iterable[PlanEntry]) -> tuple[ItemProblem, ...]:
    """One problem per issue of each invalid entry of a plan, in plan order."""
    return tuple(
        ItemProblem(
            entry.source_id,
            str(entry.origin) if entry.origin is not None else None,
            issue.field,
            issue.reason,
        )
        for entry in entries
        if isinstance(entry, Invalid)
        for issue in entry.issues
    )


def _cut(text: str) -> str:
    # contacts.cut: an address or a number the cut would split is dropped, since what
    # is left of it would no longer be masked where the reason is shown.
    return contacts.cut(text, INVALID_TEXT_LIMIT - 1)


def recorded_invalid(problems: Sequence[ItemProblem]) -> tuple[tuple[ItemProblem, ...], int]:
    """What a run row keeps of ``problems``: the first :data:`INVALID_KEPT`, each value
    cut to :data:`INVALID_TEXT_LIMIT`; and how many were left out."""
    kept = tuple(
        ItemProblem(
            None if p.source_id is None else _cut(p.source_id),
            None if p.record is None else _cut(p.record),
            _cut(p.field),
            _cut(p.reason),
        )
        for p in problems[:INVALID_KEPT]
    )
    return kept, len(problems) - len(kept)
