"""The Mirror port's batched writes do exactly what the one-by-one writes do (fake, SQLite,
PostgreSQL): record_intents, record_answers and record_outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from syncd.core.models import (
    Accepted,
    Action,
    Answer,
    Create,
    Delete,
    LogEntry,
    LogState,
    Outcome,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
    Update,
)
from syncd.ports import Mirror

T0 = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
D = "D1"
PAYLOAD = {"title": "Volvo", "price": [{"type": "list", "amount": 100}]}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def create(source_id: str) -> Create:
    return Create(D, source_id, 1020, body=PAYLOAD, payload=PAYLOAD, payload_hash="h1")


def update(source_id: str) -> Update:
    payload = {**PAYLOAD, "title": "Saab"}
    return Update(D, source_id, 1021, {"title": "Saab"}, payload, "h2")


def live(mirror: Mirror, source_id: str) -> None:
    """An ad created, accepted (with ids) and settled, one write at a time."""
    action = create(source_id)
    mirror.record_intent(action, at(0))
    ids = RemoteAd(source_id, RemoteState.CREATED, remote_id="u1", offer_id="o1")
    mirror.record_accepted(action, Accepted(201, "r0", ids), at(1))
    mirror.record_outcome(Outcome(D, source_id, Stage.DONE, RemoteState.CREATED), at(2))


def entry(seconds: float, state: LogState = LogState.DONE) -> LogEntry:
    return LogEntry("create", state, at(seconds), "r1", "ok")


def steps(prefix: str) -> tuple[list[Action], list[Answer], list[Outcome]]:
    """Intents, answers and outcomes over five ads: new, updated, deleted, rejected, unknown."""
    new, upd, gone, bad, lost = (f"{prefix}-{n}" for n in ("new", "upd", "gone", "bad", "lost"))
    actions: list[Action] = [create(new), update(upd), Delete(D, gone), update(bad), update(lost)]
    remote = RemoteAd(new, RemoteState.CREATED, blocket_ad_id="b9")
    results: list[Accepted | Rejected] = [
        Accepted(201, "r1", remote),
        Accepted(200, None),
        Accepted(200, "r3"),
        Rejected(400, ("title: too long",)),
        Accepted(200, "r5"),
    ]
    pairs = enumerate(zip(actions, results, strict=True))
    answers = [Answer(a, r, at(10 + n)) for n, (a, r) in pairs]
    outcomes = [
        Outcome(D, new, Stage.DONE, RemoteState.CREATED, "create: ok", blocket_store_id="s9",
                logs=(entry(11), entry(12)),),
        Outcome(D, upd, Stage.SENT, None, logs=(entry(11, LogState.PROCESSING),)),
        Outcome(D, gone, Stage.DONE, RemoteState.DELETED, remote_id="u-x"),
        Outcome(D, lost, Stage.ERROR, None, "gone", remote_unknown=True, logs=(entry(13),)),
    ]  # fmt: skip
    return actions, answers, outcomes


def test_batched_writes_leave_what_one_by_one_writes_leave(mirror: Mirror) -> None:
    """Each batch method leaves every row (and its log) as the one-at-a-time writes do."""
    for prefix in ("one", "many"):
        for name in ("upd", "gone", "bad", "lost"):
            live(mirror, f"{prefix}-{name}")
    actions, answers, outcomes = steps("one")
    for action in actions:
        mirror.record_intent(action, at(5))
    for answer in answers:
        if isinstance(answer.result, Accepted):
            mirror.record_accepted(answer.action, answer.result, answer.at)
        else:
            mirror.record_rejected(answer.action, answer.result, answer.at)
    for outcome in outcomes:
        mirror.record_outcome(outcome, at(20))
        mirror.record_outcome(outcome, at(21))  # the same log entries twice: stored once
    actions, answers, outcomes = steps("many")
    mirror.record_intents(actions, at(5))
    assert {a.source_id for a in mirror.intents(D)} == {a.source_id for a in actions}
    mirror.record_answers(answers)
    mirror.record_outcomes(outcomes, at(20))
    mirror.record_outcomes(outcomes, at(21))
    for name in ("new", "upd", "gone", "bad", "lost"):
        one, many = mirror.get(D, f"one-{name}"), mirror.get(D, f"many-{name}")
        assert one is not None
        assert many is not None
        assert replace(many, source_id=one.source_id) == one, name
        assert mirror.action_logs(D, f"many-{name}") == mirror.action_logs(D, f"one-{name}")


def test_an_ad_answered_twice_in_one_batch_keeps_the_last_answer(mirror: Mirror) -> None:
    """Answers are applied in order, even when one ad appears twice."""
    action = create("s1")
    mirror.record_intents([action], at(0))
    mirror.record_answers(
        [Answer(action, Rejected(409), at(1)), Answer(action, Accepted(201, "r2"), at(2))]
    )
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.request_id, ad.message, ad.updated_at) == (Stage.SENT, "r2", None, at(2))


def test_empty_batches_write_nothing(mirror: Mirror) -> None:
    """An empty batch is no write at all."""
    mirror.record_intents([], at(0))
    mirror.record_answers([])
    mirror.record_outcomes([], at(0))
    assert mirror.load(D) == {}
