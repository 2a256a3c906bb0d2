"""The failed rows a plan lets a run settle: a refusal the feed took back, a failed
create whose item left the feed; the others are left as they are."""

from __future__ import annotations

from syncd.core.models import MirrorAd, Plan, RemoteState, Stage, Unchanged
from syncd.core.settled import gone_failures, withdrawn

D = "D1"


def row(sid: str, stage: Stage, state: RemoteState | None, pending: str = "h") -> MirrorAd:
    """A mirror row whose accepted payload hashes to ``h``."""
    return MirrorAd(D, sid, 1, None, "h", state, None, stage, pending)


def test_a_refusal_or_an_unapplied_failure_the_feed_took_back_is_withdrawn() -> None:
    """Same as the API holds: a REJECTED row, an ERROR whose payload went back; not an
    ERROR whose change was applied, nor a settled row."""
    states = {
        "r": row("r", Stage.REJECTED, RemoteState.CREATED, "other"),
        "e": row("e", Stage.ERROR, RemoteState.CREATED, "other"),
        "applied": row("applied", Stage.ERROR, RemoteState.CREATED, "h"),
        "ok": row("ok", Stage.DONE, RemoteState.CREATED),
    }
    plan = Plan(D, tuple(Unchanged(D, s, "same") for s in states))
    assert withdrawn(plan, states) == ["r", "e"]
    assert gone_failures(plan, states) == []


def test_a_failed_create_whose_item_left_the_feed_is_a_gone_failure() -> None:
    """``gone`` rows refused or failed are settled; a deleted, settled one is not."""
    states = {
        "refused": row("refused", Stage.REJECTED, None),
        "failed": row("failed", Stage.ERROR, None),
        "deleted": row("deleted", Stage.DONE, RemoteState.DELETED),
    }
    plan = Plan(D, tuple(Unchanged(D, s, "gone") for s in states))
    assert gone_failures(plan, states) == ["refused", "failed"]
    assert withdrawn(plan, states) == []
