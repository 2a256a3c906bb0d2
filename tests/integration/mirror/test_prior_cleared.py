"""A settled call's prior payload is not kept: the table holds one payload per ad."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from syncd.core.models import Accepted, Create, Outcome, RemoteState, Stage, Update
from syncd.mirror.schema import ads
from syncd.mirror.sql import SqlMirror

D = "D1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _priors(engine: Engine) -> dict[str, tuple[object, object, object]]:
    query = select(ads.c.source_id, ads.c.prior_payload, ads.c.prior_hash, ads.c.prior_category_id)
    with engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batched"])
def test_an_outcome_clears_the_prior_values_applied_or_not(
    migrated_engine: Engine, batched: bool
) -> None:
    """After an accepted PATCH the row holds the payload from before (to put back if the
    update fails); once the outcome is recorded, applied or put back, those are cleared."""
    mirror = SqlMirror(migrated_engine)
    for sid in ("s1", "s2"):
        create = Create(D, sid, 1020, {"title": "Volvo"}, {"title": "Volvo"}, "h-Volvo")
        mirror.record_intent(create, _at(0))
        mirror.record_accepted(create, Accepted(201, "r1"), _at(1))
        mirror.record_outcome(Outcome(D, sid, Stage.DONE, RemoteState.CREATED), _at(2))
        update = Update(D, sid, 1020, {"title": "Saab"}, {"title": "Saab"}, "h-Saab")
        mirror.record_intent(update, _at(3))
        mirror.record_accepted(update, Accepted(200, "r2"), _at(4))
    assert _priors(migrated_engine)["s1"][1] == "h-Volvo"  # kept while the call is in flight
    outcomes = [
        Outcome(D, "s1", Stage.ERROR, RemoteState.CREATED, "update: boom", unapplied=True),
        Outcome(D, "s2", Stage.DONE, RemoteState.CREATED),
    ]
    if batched:
        mirror.record_outcomes(outcomes, _at(5))
    else:
        for outcome in outcomes:
            mirror.record_outcome(outcome, _at(5))
    assert _priors(migrated_engine) == {"s1": (None, None, None), "s2": (None, None, None)}
    failed, done = mirror.get(D, "s1"), mirror.get(D, "s2")
    assert failed is not None
    assert done is not None
    assert (failed.payload_hash, done.payload_hash) == ("h-Volvo", "h-Saab")
