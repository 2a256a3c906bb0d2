"""The Mirror port's status-page reads (counts per dealer, runs per day), on every mirror."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.activity import RunPoint
from syncd.core.models import Accepted, Create, Outcome, Rejected, RemoteState, RunOutcome, Stage
from syncd.core.status import AD_STATUSES
from syncd.ports import Mirror

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def create(dealer: str, source_id: str) -> Create:
    payload = {"title": source_id}
    return Create(dealer, source_id, 1020, body=payload, payload=payload, payload_hash=source_id)


def test_counts_by_dealer_gives_every_status_per_dealer_with_ads(mirror: Mirror) -> None:
    """Each dealer holding ads has every status; a dealer without ads is absent."""
    for dealer, source_id in (("D2", "a"), ("D1", "b"), ("D1", "c")):
        action = create(dealer, source_id)
        mirror.record_intent(action, T0)
        mirror.record_accepted(action, Accepted(201, "r"), T0)
    mirror.record_outcome(Outcome("D1", "b", Stage.DONE, RemoteState.CREATED), T0)
    mirror.record_rejected(create("D1", "c"), Rejected(400, ("title: bad",)), T0)
    found = mirror.counts_by_dealer()
    assert list(found) == ["D1", "D2"]
    assert set(found["D1"]) == set(AD_STATUSES)
    assert (found["D1"]["live"], found["D1"]["rejected"]) == (1, 1)
    assert found["D2"]["processing"] == 1
    assert sum(found["D2"].values()) == 1
    assert found["D1"] == mirror.counts_by_state("D1")


def test_run_points_lists_runs_since_a_time_oldest_first(mirror: Mirror) -> None:
    """Runs started at or after ``since``, with outcome and requests (0 when not counted)."""
    old = mirror.start_run("D1", None, T0 - timedelta(days=30))
    mirror.finish_run(old, RunOutcome.SUCCESS, {"requests": 99}, None, T0)
    later = mirror.start_run("D2", None, T0 + timedelta(hours=1))
    mirror.finish_run(later, RunOutcome.GUARDED, {"requests": 4}, "held", T0)
    first = mirror.start_run("D1", None, T0)
    mirror.finish_run(first, RunOutcome.PARTIAL, {"create": 2}, None, T0)
    mirror.start_run("D1", None, T0 + timedelta(hours=2))
    assert mirror.run_points(T0) == [
        RunPoint("D1", T0, RunOutcome.PARTIAL, 0),
        RunPoint("D2", T0 + timedelta(hours=1), RunOutcome.GUARDED, 4),
        RunPoint("D1", T0 + timedelta(hours=2), None, 0),
    ]
