"""Core: the one-word status of an ad that ``syncd status`` counts by.

Pure: no I/O here. Shared by the SQL mirror and the in-memory fake so both
count the same way.
"""

from __future__ import annotations

from syncd.core.models import RemoteState, Stage

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
