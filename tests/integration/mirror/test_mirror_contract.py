"""The Mirror port's contract, run against FakeMirror, SqlMirror on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from syncd.core.models import (
    Accepted,
    Create,
    Delete,
    FeedMeta,
    ItemProblem,
    LogEntry,
    LogState,
    Op,
    Outcome,
    Rejected,
    RemoteAd,
    RemoteState,
    RunOutcome,
    Stage,
    Update,
)
from syncd.core.renewals import renewal_ad
from syncd.core.status import INVALID_KEPT, INVALID_TEXT_LIMIT
from syncd.ports import Mirror

T0 = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
D = "D1"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def create(source_id: str = "s1", dealer: str = D, title: str = "Volvo") -> Create:
    payload = {"title": title, "price": [{"type": "list", "amount": 100}]}
    return Create(dealer, source_id, 1020, body=payload, payload=payload, payload_hash=f"h-{title}")


def update(source_id: str = "s1", title: str = "Saab") -> Update:
    payload = {"title": title, "price": [{"type": "list", "amount": 100}]}
    return Update(
        D, source_id, 1020, changes={"title": title}, payload=payload, payload_hash=f"h-{title}"
    )


def remote(source_id: str = "s1", state: RemoteState = RemoteState.CREATED, **ids: str) -> RemoteAd:
    return RemoteAd(source_id, state, dealer_code=D, **ids)


def live(mirror: Mirror, source_id: str = "s1", dealer: str = D, when: float = 0) -> None:
    """Bring an ad through create → accepted → done."""
    action = create(source_id, dealer)
    mirror.record_intent(action, at(when))
    mirror.record_accepted(action, Accepted(201, f"r-{source_id}"), at(when + 1))
    mirror.record_outcome(Outcome(dealer, source_id, Stage.DONE, RemoteState.CREATED), at(when + 2))


def log(
    action: str,
    state: LogState,
    seconds: float,
    request_id: str | None = "r1",
    message: str | None = None,
) -> LogEntry:
    return LogEntry(action, state, at(seconds), request_id, message)


# --- intent-before-send ---------------------------------------------------------


def test_intent_creates_a_row_without_payload(mirror: Mirror) -> None:
    """A first intent creates the row: INTENT, op, pending hash, sent_at; nothing accepted yet."""
    mirror.record_intent(create(), at(0))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.last_op, ad.pending_hash, ad.sent_at) == (
        Stage.INTENT,
        Op.CREATE,
        "h-Volvo",
        at(0),
    )
    assert (ad.payload, ad.payload_hash, ad.remote_state) == (None, None, None)
    assert ad.updated_at == at(0)
    assert [a.source_id for a in mirror.intents(D)] == ["s1"]
    assert mirror.in_flight(D) == []


def test_intent_then_accepted_then_outcome(mirror: Mirror) -> None:
    """Intent → 2xx → logs done: payload, ids, request id and DONE are recorded."""
    action = create()
    mirror.record_intent(action, at(0))
    result = Accepted(201, "r1", remote("s1", remote_id="u1", blocket_ad_id="b1"))
    mirror.record_accepted(action, result, at(1))
    sent = mirror.get(D, "s1")
    assert sent is not None
    assert sent.stage is Stage.SENT
    assert sent.request_id == "r1"
    assert dict(sent.payload or {}) == action.payload
    assert (sent.payload_hash, sent.remote_state, sent.category_id) == (
        "h-Volvo",
        RemoteState.CREATED,
        1020,
    )
    assert (sent.remote_id, sent.blocket_ad_id, sent.message) == ("u1", "b1", None)
    assert [a.source_id for a in mirror.in_flight(D)] == ["s1"]
    assert mirror.intents(D) == []
    logs = (log("create", LogState.DONE, 1), log("publish", LogState.DONE, 2, message="ok"))
    mirror.record_outcome(
        Outcome(
            D,
            "s1",
            Stage.DONE,
            RemoteState.CREATED,
            message="publish: ok",
            blocket_store_id="st1",
            logs=logs,
        ),
        at(3),
    )
    done = mirror.get(D, "s1")
    assert done is not None
    assert (done.stage, done.message, done.updated_at) == (Stage.DONE, "publish: ok", at(3))
    assert (done.remote_id, done.blocket_ad_id, done.blocket_store_id) == ("u1", "b1", "st1")
    assert mirror.in_flight(D) == []
    assert mirror.action_logs(D, "s1") == list(logs)


def test_update_keeps_the_old_payload_until_accepted(mirror: Mirror) -> None:
    """An update's intent leaves the accepted payload; its 2xx replaces it."""
    live(mirror)
    action = update()
    mirror.record_intent(action, at(10))
    pending = mirror.get(D, "s1")
    assert pending is not None
    assert (pending.payload_hash, pending.pending_hash, pending.last_op) == (
        "h-Volvo",
        "h-Saab",
        Op.UPDATE,
    )
    mirror.record_accepted(action, Accepted(200, "r2"), at(11))
    sent = mirror.get(D, "s1")
    assert sent is not None
    assert sent.payload_hash == "h-Saab"
    assert dict(sent.payload or {})["title"] == "Saab"
    assert sent.request_id == "r2"


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batched"])
def test_an_unapplied_outcome_puts_back_the_payload_from_before(
    mirror: Mirror, batched: bool
) -> None:
    """An update accepted, then its update action failed (unapplied): payload, hash and
    category return to what the row held before the call; the pending hash stays the one
    that failed. An applied outcome keeps the payload sent."""
    live(mirror)
    live(mirror, "s2")
    for source_id in ("s1", "s2"):
        action = dataclasses.replace(update(source_id), category_id=1021)
        mirror.record_intent(action, at(10))
        mirror.record_accepted(action, Accepted(200, "r2"), at(11))
    outcomes = [
        Outcome(D, "s1", Stage.ERROR, RemoteState.CREATED, "update: boom", unapplied=True),
        Outcome(D, "s2", Stage.ERROR, RemoteState.CREATED, "publish: boom"),
    ]
    if batched:
        mirror.record_outcomes(outcomes, at(12))
    else:
        for outcome in outcomes:
            mirror.record_outcome(outcome, at(12))
    failed, published = mirror.get(D, "s1"), mirror.get(D, "s2")
    assert failed is not None
    assert published is not None
    assert (failed.stage, failed.payload_hash, failed.pending_hash) == (
        Stage.ERROR,
        "h-Volvo",
        "h-Saab",
    )
    assert dict(failed.payload or {})["title"] == "Volvo"
    assert failed.category_id == 1020
    assert (published.payload_hash, dict(published.payload or {})["title"]) == ("h-Saab", "Saab")
    assert published.category_id == 1021


def test_rejected_keeps_the_accepted_payload(mirror: Mirror) -> None:
    """A 4xx marks the ad REJECTED with the message; the accepted payload stays."""
    live(mirror)
    action = update()
    mirror.record_intent(action, at(10))
    mirror.record_rejected(action, Rejected(400, ("price: required", "title: too long")), at(11))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert ad.stage is Stage.REJECTED
    assert ad.message == "price: required; title: too long"
    assert (ad.payload_hash, ad.pending_hash, ad.remote_state) == (
        "h-Volvo",
        "h-Saab",
        RemoteState.CREATED,
    )


def test_rejected_create_has_no_payload(mirror: Mirror) -> None:
    """A refused create leaves a row with no payload and no remote state."""
    action = create()
    mirror.record_intent(action, at(0))
    mirror.record_rejected(action, Rejected(409), at(1))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.message, ad.payload, ad.remote_state) == (
        Stage.REJECTED,
        "HTTP 409",
        None,
        None,
    )


def test_delete_keeps_payload_until_the_logs_say_deleted(mirror: Mirror) -> None:
    """A DELETE's 2xx keeps payload and state; the outcome marks the ad deleted."""
    live(mirror)
    mirror.record_intent(Delete(D, "s1"), at(10))
    intent = mirror.get(D, "s1")
    assert intent is not None
    assert (intent.last_op, intent.pending_hash) == (Op.DELETE, None)
    mirror.record_accepted(Delete(D, "s1"), Accepted(200, "r3"), at(11))
    sent = mirror.get(D, "s1")
    assert sent is not None
    assert (sent.stage, sent.payload_hash, sent.remote_state) == (
        Stage.SENT,
        "h-Volvo",
        RemoteState.CREATED,
    )
    mirror.record_outcome(Outcome(D, "s1", Stage.DONE, RemoteState.DELETED), at(12))
    done = mirror.get(D, "s1")
    assert done is not None
    assert (done.stage, done.remote_state) == (Stage.DONE, RemoteState.DELETED)


def test_outcome_without_state_or_ids_keeps_them(mirror: Mirror) -> None:
    """An outcome's None remote_state and None ids never overwrite what is known."""
    action = create()
    mirror.record_intent(action, at(0))
    mirror.record_accepted(action, Accepted(201, "r1", remote(remote_id="u1")), at(1))
    mirror.record_outcome(Outcome(D, "s1", Stage.ERROR, None, message="gone?"), at(2))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.message, ad.remote_state, ad.remote_id) == (
        Stage.ERROR,
        "gone?",
        RemoteState.CREATED,
        "u1",
    )


# --- forget_intent -----------------------------------------------------------------


def test_forget_intent_unknown_to_the_api_and_never_accepted(mirror: Mirror) -> None:
    """A create that never reached the API: no remote state, no stage."""
    mirror.record_intent(create(), at(0))
    mirror.forget_intent(D, "s1", None, at(5))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.remote_state, ad.payload) == (None, None, None)
    assert mirror.intents(D) == []


def test_forget_intent_unknown_to_the_api_keeps_an_accepted_ad(mirror: Mirror) -> None:
    """An interrupted update of an accepted ad keeps its remote state and payload."""
    live(mirror)
    mirror.record_intent(update(), at(10))
    mirror.forget_intent(D, "s1", None, at(11))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.remote_state, ad.payload_hash) == (None, RemoteState.CREATED, "h-Volvo")


def test_forget_intent_found_remotely_takes_state_and_ids(mirror: Mirror) -> None:
    """A create the API did get: remote state and ids from the API, payload still None."""
    mirror.record_intent(create(), at(0))
    found = remote(remote_id="u9", blocket_ad_id="b9", offer_id="o9")
    mirror.forget_intent(D, "s1", found, at(5))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.remote_state, ad.payload, ad.payload_hash) == (
        None,
        RemoteState.CREATED,
        None,
        None,
    )
    assert (ad.remote_id, ad.blocket_ad_id, ad.offer_id) == ("u9", "b9", "o9")


def test_forget_intent_found_deleted(mirror: Mirror) -> None:
    """An ad the API reports deleted is recorded as deleted."""
    live(mirror)
    mirror.record_intent(Delete(D, "s1"), at(10))
    mirror.forget_intent(D, "s1", remote(state=RemoteState.DELETED), at(11))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.stage, ad.remote_state, ad.payload_hash) == (None, RemoteState.DELETED, "h-Volvo")


def test_forget_intent_without_a_row_does_nothing(mirror: Mirror) -> None:
    """Resolving an intent for an unknown ad creates nothing."""
    mirror.forget_intent(D, "nope", remote("nope"), at(0))
    mirror.forget_intent(D, "nope", None, at(0))
    assert mirror.get(D, "nope") is None


# --- action logs -------------------------------------------------------------------


def test_each_log_entry_is_stored_once(mirror: Mirror) -> None:
    """Entries read again (with or without a request id) are not stored twice."""
    live(mirror)
    first = (
        log("create", LogState.PROCESSING, 1, request_id=None),
        log("create", LogState.DONE, 2, request_id=None),
    )
    mirror.record_outcome(Outcome(D, "s1", Stage.SENT, None, logs=first), at(3))
    more = (*first, log("publish", LogState.ERROR, 4, message="bad image"))
    mirror.record_outcome(Outcome(D, "s1", Stage.ERROR, None, logs=more + more), at(5))
    assert mirror.action_logs(D, "s1") == list(more)
    assert mirror.action_logs(D, "other") == []


def test_log_times_come_back_in_utc(mirror: Mirror) -> None:
    """A log time in another zone comes back as the same instant in UTC."""
    live(mirror)
    cet = datetime(2026, 11, 25, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    entry = LogEntry("create", LogState.DONE, cet, "r1")
    mirror.record_outcome(Outcome(D, "s1", Stage.DONE, None, logs=(entry,)), at(3))
    [stored] = mirror.action_logs(D, "s1")
    assert stored.created == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert stored.created.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(mirror: Mirror) -> None:
    """A naive datetime is a programming error, refused before anything is written."""
    with pytest.raises(ValueError, match="naive"):
        mirror.record_intent(create(), datetime(2026, 1, 1))  # noqa: DTZ001


# --- runs --------------------------------------------------------------------------


def test_runs_are_recorded_and_listed_newest_first(mirror: Mirror) -> None:
    """start_run/finish_run write a run; runs() lists them newest first, per dealer or all."""
    meta = FeedMeta("/feeds/a.json", "abc123", 2048, at(-60))
    first = mirror.start_run(D, meta, at(0))
    mirror.finish_run(first, "success", {"create": 2, "update": 0}, None, at(5))
    second = mirror.start_run("D2", None, at(10))
    third = mirror.start_run(D, meta, at(20))
    assert len({first, second, third}) == 3
    newest = mirror.runs(None, 10)
    assert [r.run_id for r in newest] == [third, second, first]
    assert [r.run_id for r in mirror.runs(D, 1)] == [third]
    done = mirror.runs(D, 10)[1]
    assert (done.dealer_code, done.started_at, done.finished_at) == (D, at(0), at(5))
    assert (done.outcome, dict(done.counts), done.feed_checksum) == (
        "success",
        {"create": 2, "update": 0},
        "abc123",
    )
    running = mirror.runs("D2", 10)[0]
    assert (running.finished_at, running.outcome, dict(running.counts)) == (None, None, {})
    assert running.feed_checksum is None


def test_a_run_left_open_by_a_dead_process_is_closed_by_the_dealers_next_run(
    mirror: Mirror,
) -> None:
    """A run killed (SIGKILL) never finishes its row; the dealer's next run, under the
    same run lock, closes it as failed, so status never shows it running for ever.
    Another dealer's open run is left as it is."""
    dead = mirror.start_run(D, None, at(0))
    other = mirror.start_run("D2", None, at(1))
    nxt = mirror.start_run(D, None, at(5))
    rows = {r.run_id: r for r in mirror.runs(None, 10)}
    assert (rows[dead].finished_at, rows[dead].outcome) == (at(5), "failed")
    assert rows[dead].message == (
        f"abandoned: syncd stopped without closing this run (killed, crashed or power "
        f"lost); run {nxt} took over"
    )
    assert (rows[other].finished_at, rows[other].outcome) == (None, None)
    assert (rows[nxt].finished_at, rows[nxt].outcome) == (None, None)


def test_finish_run_with_a_message(mirror: Mirror) -> None:
    """A failed run keeps its message."""
    run_id = mirror.start_run(D, None, at(0))
    mirror.finish_run(run_id, "failed", {}, "API unavailable", at(1))
    [run] = mirror.runs(D, 5)
    assert (run.outcome, run.message) == ("failed", "API unavailable")


def test_finish_unknown_run_is_a_lookup_error(mirror: Mirror) -> None:
    """Finishing a run that does not exist is a programming error."""
    with pytest.raises(LookupError):
        mirror.finish_run(4242, "success", {}, None, at(0))


def test_finish_run_records_the_invalid_items_in_order(mirror: Mirror) -> None:
    """A run keeps each invalid item's source_id, record, field and reason, values as given."""
    problems = [
        ItemProblem("a1", "/feeds/a.json[0]", "price", "required"),
        ItemProblem(None, "/feeds/a.json[3]", "source_id", "required"),
        ItemProblem("rtl-\u202e\nx", None, "source_id", "bidi character U+202E"),
        ItemProblem("a1", "/feeds/a.json[0]", "title", "too long (200 > 100)"),
    ]
    with_items = mirror.start_run(D, None, at(0))
    mirror.finish_run(with_items, "partial", {"invalid": 3}, None, at(1), invalid=problems)
    without = mirror.start_run(D, None, at(2))
    mirror.finish_run(without, "success", {}, None, at(3))
    latest, earlier = mirror.runs(D, 5)
    assert (latest.invalid, latest.invalid_omitted) == ((), 0)
    assert (earlier.invalid, earlier.invalid_omitted) == (tuple(problems), 0)


def test_invalid_items_are_bounded_per_run(mirror: Mirror) -> None:
    """Past INVALID_KEPT problems the rest are only counted, and a huge value is cut."""
    huge = "x" * 10_000
    problems = [ItemProblem(huge, "/f.json[0]", "source_id", "over 100 characters")] + [
        ItemProblem(f"s{i}", f"/f.json[{i}]", "price", "required")
        for i in range(1, INVALID_KEPT + 5)
    ]
    run_id = mirror.start_run(D, None, at(0))
    mirror.finish_run(run_id, "partial", {}, None, at(1), invalid=problems)
    [run] = mirror.runs(D, 1)
    assert (len(run.invalid), run.invalid_omitted) == (INVALID_KEPT, 5)
    first = run.invalid[0].source_id
    assert first is not None
    assert (len(first), first[-1], first[:10]) == (INVALID_TEXT_LIMIT, "…", "x" * 10)
    assert run.invalid[1:] == tuple(problems[1:INVALID_KEPT])


def test_latest_finished_runs_gives_each_dealers_newest_finished_run(mirror: Mirror) -> None:
    """One run per dealer, by dealer_code: the newest that finished, never one still running."""
    old = mirror.start_run(D, None, at(0))
    mirror.finish_run(old, "partial", {}, None, at(1), invalid=[ItemProblem("a", "f", "x", "y")])
    new = mirror.start_run(D, None, at(10))
    mirror.finish_run(new, "failed", {}, "API unavailable", at(11))
    mirror.start_run(D, None, at(20))  # still running
    other = mirror.start_run("D2", None, at(5))
    mirror.finish_run(other, "success", {}, None, at(6))
    mirror.start_run("D3", None, at(7))  # never finished
    token_dealer = mirror.start_run("", None, at(8))
    mirror.finish_run(token_dealer, "success", {}, None, at(9))
    latest = mirror.latest_finished_runs(None)
    assert [(r.dealer_code, r.run_id) for r in latest] == [
        ("", token_dealer),
        (D, new),
        ("D2", other),
    ]
    assert [r.run_id for r in mirror.latest_finished_runs(D)] == [new]
    assert mirror.latest_finished_runs("D3") == []


# --- status ------------------------------------------------------------------------


def test_counts_by_state(mirror: Mirror) -> None:
    """Each ad counts once under its derived status; every status is present."""
    live(mirror, "live1")
    live(mirror, "live2")
    live(mirror, "other-dealer", dealer="D2")
    mirror.record_intent(create("pending"), at(0))
    action = create("processing")
    mirror.record_intent(action, at(0))
    mirror.record_accepted(action, Accepted(201, "r"), at(1))
    live(mirror, "failed")
    mirror.record_outcome(Outcome(D, "failed", Stage.ERROR, None, message="x"), at(5))
    mirror.record_intent(create("rejected"), at(0))
    mirror.record_rejected(create("rejected"), Rejected(400), at(1))
    live(mirror, "deleted")
    mirror.record_outcome(Outcome(D, "deleted", Stage.DONE, RemoteState.DELETED), at(5))
    assert mirror.counts_by_state(D) == {
        "live": 2,
        "processing": 1,
        "failed": 1,
        "rejected": 1,
        "deleted": 1,
        "pending": 1,
    }
    assert mirror.counts_by_state(None)["live"] == 3
    assert mirror.counts_by_state("nobody") == dict.fromkeys(mirror.counts_by_state(D), 0)


def test_failing_lists_errors_and_rejections_newest_first(mirror: Mirror) -> None:
    """failing() lists ERROR and REJECTED ads, most recently updated first, limited."""
    for n, source_id in enumerate(["a", "b", "c"]):
        live(mirror, source_id, when=n)
    live(mirror, "ok")
    live(mirror, "elsewhere", dealer="D2")
    mirror.record_outcome(Outcome(D, "a", Stage.ERROR, None, message="e1"), at(30))
    mirror.record_rejected(update("b"), Rejected(400, ("bad",)), at(40))
    mirror.record_outcome(Outcome(D, "c", Stage.ERROR, None, message="e3"), at(35))
    mirror.record_outcome(Outcome("D2", "elsewhere", Stage.ERROR, None), at(50))
    assert [a.source_id for a in mirror.failing(D, 10)] == ["b", "c", "a"]
    assert [a.source_id for a in mirror.failing(D, 2)] == ["b", "c"]
    assert [a.source_id for a in mirror.failing(None, 1)] == ["elsewhere"]
    assert mirror.failing(D, 10)[0].message == "bad"


def test_prune_deletes_old_logs_and_runs(mirror: Mirror) -> None:
    """prune() removes log entries and finished runs older than the cutoff, and says how many."""
    live(mirror)
    logs = (log("create", LogState.DONE, -100), log("publish", LogState.DONE, 100))
    mirror.record_outcome(Outcome(D, "s1", Stage.DONE, None, logs=logs), at(101))
    old = mirror.start_run(D, None, at(-200))
    mirror.finish_run(old, "success", {}, None, at(-150))
    crashed = mirror.start_run(D, None, at(-120))  # never finished
    ends_late = mirror.start_run(D, None, at(-50))
    mirror.finish_run(ends_late, "success", {}, None, at(50))
    recent = mirror.start_run(D, None, at(60))
    assert mirror.prune(at(0)) == 3
    assert mirror.action_logs(D, "s1") == [logs[1]]
    assert {r.run_id for r in mirror.runs(None, 10)} == {ends_late, recent}
    assert crashed not in {r.run_id for r in mirror.runs(None, 10)}
    assert mirror.prune(at(0)) == 0
    assert mirror.get(D, "s1") is not None


# --- load --------------------------------------------------------------------------


def test_load_returns_every_ad_of_one_dealer(mirror: Mirror) -> None:
    """load() returns this dealer's ads by source_id, equal to get(); other dealers apart."""
    for n in range(150):
        live(mirror, f"s{n:03}")
    live(mirror, "s000", dealer="")  # the token's own dealer is a dealer of its own
    loaded = mirror.load(D)
    assert len(loaded) == 150
    assert loaded["s042"] == mirror.get(D, "s042")
    assert loaded["s042"].payload == {"title": "Volvo", "price": [{"type": "list", "amount": 100}]}
    assert list(mirror.load("")) == ["s000"]
    assert mirror.load("nobody") == {}


def test_payload_is_stored_as_json(mirror: Mirror) -> None:
    """Nested tuples and mappings come back as JSON lists and objects."""
    payload = {"image_urls": ("https://x/1.jpg",), "location": {"zipcode": "11122"}}
    action = Create(D, "s1", 1020, body=payload, payload=payload, payload_hash="h")
    mirror.record_intent(action, at(0))
    mirror.record_accepted(action, Accepted(201), at(1))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert ad.payload == {"image_urls": ["https://x/1.jpg"], "location": {"zipcode": "11122"}}
    assert ad.request_id is None


# --- the ads absent from the feed (renewals skip them) -----------------------------


def test_an_ads_creation_time_is_its_first_write_and_stays(mirror: Mirror) -> None:
    """created_at is when the row was first written (the create's intent), and later
    writes leave it: the renewals count a new ad as renewed then."""
    live(mirror, "s1", when=0)
    mirror.record_intent(update("s1"), at(50))
    ad = mirror.get(D, "s1")
    assert ad is not None
    assert (ad.created_at, ad.updated_at) == (at(0), at(50))
    assert mirror.load(D)["s1"].created_at == at(0)


def test_record_absent_marks_keeps_the_first_time_and_clears(mirror: Mirror) -> None:
    """The ads a plan deletes get absent_since (kept across runs that still delete them),
    the dealer's others lose it, another dealer's marks and updated_at are untouched, and
    an ad without a row is ignored."""
    for source_id in ("a", "b", "c"):
        live(mirror, source_id, when=0)
    live(mirror, "a", dealer="D2", when=0)
    mirror.record_absent("D2", ["a"], at(5))
    mirror.record_absent(D, ["a", "b", "nowhere"], at(10))
    mirror.record_absent(D, ["b", "c"], at(20))
    ads = mirror.load(D)
    assert {s: ad.absent_since for s, ad in ads.items()} == {"a": None, "b": at(10), "c": at(20)}
    assert {ad.updated_at for ad in ads.values()} == {at(2)}
    assert mirror.get("D2", "a").absent_since == at(5)  # type: ignore[union-attr]
    assert mirror.get(D, "nowhere") is None
    mirror.record_absent(D, [], at(30))
    assert {ad.absent_since for ad in mirror.load(D).values()} == {None}


def test_record_absent_of_many_ads_goes_in_chunks(mirror: Mirror) -> None:
    """A guard that holds back a whole stock's deletes (an empty feed): every ad is marked
    (more keys than one statement binds), and a run with the feed back clears them all."""
    actions = [create(f"s{i:04}") for i in range(1203)]
    mirror.record_intents(actions, at(0))
    mirror.record_absent(D, [a.source_id for a in actions], at(1))
    assert {ad.absent_since for ad in mirror.load(D).values()} == {at(1)}
    mirror.record_absent(D, [], at(2))
    assert {ad.absent_since for ad in mirror.load(D).values()} == {None}


# --- what a renewal policy reads (no payloads), and when the marks were recorded --------


def _accepted(mirror: Mirror, source_id: str, payload: dict[str, object], **ids: str) -> None:
    """An ad live with this accepted payload (and these ids, e.g. blocket_ad_id)."""
    action = Create(D, source_id, 1020, body=payload, payload=payload, payload_hash=source_id)
    mirror.record_intent(action, at(0))
    mirror.record_accepted(action, Accepted(201, f"r-{source_id}"), at(1))
    mirror.record_outcome(Outcome(D, source_id, Stage.DONE, RemoteState.CREATED, **ids), at(2))


def test_renewal_ads_read_what_a_policy_reads_of_each_ad(mirror: Mirror) -> None:
    """``renewal_ads`` is ``core.renewals.renewal_ad`` of each of the dealer's ads, without
    a filter and with one: ``visible: false`` only at the top level (not in a nested
    object, nor as text inside a string), the paths' values of any JSON type, an ad with no
    accepted payload, unpublished or absent; another dealer's ads left out."""
    published = {"blocket_ad_id": "9"}
    _accepted(mirror, "hidden", {"title": "x", "visible": False}, **published)
    _accepted(mirror, "shown", {"title": "x", "visible": True}, **published)
    _accepted(mirror, "nested", {"category_fields": {"brand": "volvo", "visible": False}})
    _accepted(
        mirror,
        "quoted",
        {"body": 'says "visible":false', "category_fields": {"brand": "saab"}},
        **published,
    )
    _accepted(
        mirror,
        "numbers",
        {"category_fields": {"model_year": 2019, "brand": "volvo"}, "price": [{"amount": 1.5}]},
        **published,
    )
    _accepted(mirror, "gone", {"title": "x"}, **published)
    mirror.record_intent(create("pending"), at(3))  # no accepted payload yet
    mirror.record_absent(D, ["gone"], at(4))
    live(mirror, "other", dealer="D2")
    for paths in ((), ("category_fields.brand", "category_fields.model_year", "price", "x.y")):
        read = sorted(mirror.renewal_ads(D, paths), key=lambda a: a.source_id)
        whole = sorted(mirror.load(D).values(), key=lambda a: a.source_id)
        assert read == [renewal_ad(a, paths) for a in whole]
    light = {a.source_id: a for a in mirror.renewal_ads(D, ("category_fields.brand",))}
    assert {s for s, a in light.items() if a.hidden} == {"hidden"}
    assert {s for s, a in light.items() if a.published} == {
        "hidden",
        "shown",
        "quoted",
        "numbers",
        "gone",
    }
    assert light["quoted"].values == {"category_fields.brand": "saab"}
    assert (light["gone"].absent_since, light["pending"].stage) == (at(4), Stage.INTENT)
    assert light["hidden"].created_at == at(0)
    assert mirror.renewal_ads("D3", ()) == []


def test_the_marks_are_dated_by_the_latest_run_that_recorded_them(mirror: Mirror) -> None:
    """``absent_recorded_at``: the start of the dealer's latest run finished with the flag
    (failed or not); a later run without it (stopped before its plan) leaves that time;
    None for a dealer none has recorded for."""
    assert mirror.absent_recorded_at(D) is None
    first = mirror.start_run(D, None, at(0))
    mirror.finish_run(first, RunOutcome.SUCCESS, {}, None, at(5), absent_recorded=True)
    second = mirror.start_run(D, None, at(10))
    mirror.finish_run(second, RunOutcome.FAILED, {}, "refused", at(15), absent_recorded=True)
    broken = mirror.start_run(D, None, at(20))
    mirror.finish_run(broken, RunOutcome.FAILED, {}, "feed unreadable", at(21))
    mirror.start_run(D, None, at(30))  # still running (or killed): says nothing yet
    assert mirror.absent_recorded_at(D) == at(10)
    assert mirror.absent_recorded_at("D2") is None
