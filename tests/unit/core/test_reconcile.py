"""Reconcile decisions: which calls are settled, and how, from their action logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.models import Flight, LogEntry, LogState, Op, RemoteAd, RemoteState, Stage
from syncd.core.reconcile import decide, entries_of_call

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _ad(op: Op = Op.CREATE, request_id: str | None = "r1") -> Flight:
    return Flight("D1", "s1", last_op=op, request_id=request_id, sent_at=T0)


def _log(
    action: str,
    state: LogState,
    seconds: int,
    request_id: str | None = "r1",
    message: str | None = None,
) -> LogEntry:
    return LogEntry(action, state, T0 + timedelta(seconds=seconds), request_id, message)


def _remote(*logs: LogEntry, state: RemoteState = RemoteState.CREATED) -> RemoteAd:
    return RemoteAd("s1", state, blocket_ad_id="99", logs=tuple(logs))


def test_create_is_done_when_publish_is_done() -> None:
    """A create settles as DONE once its publish action is done, with the ids kept."""
    remote = _remote(_log("create", LogState.DONE, 1), _log("publish", LogState.DONE, 2))
    outcome = decide(_ad(), remote, T0)
    assert outcome.stage is Stage.DONE
    assert outcome.blocket_ad_id == "99"
    assert outcome.remote_state is RemoteState.CREATED


def test_still_processing_while_publish_has_not_appeared() -> None:
    """A create whose chain has not reached publish stays in flight."""
    outcome = decide(_ad(), _remote(_log("create", LogState.DONE, 1)), T0)
    assert outcome.stage is Stage.SENT


def test_error_in_media_with_publish_done_is_an_error_naming_the_action() -> None:
    """An image failure makes the call an error even though the ad was published."""
    remote = _remote(
        _log("create", LogState.DONE, 1),
        _log("handle_media", LogState.ERROR, 2, message="image https://x/1.jpg not found"),
        _log("publish", LogState.DONE, 3),
    )
    outcome = decide(_ad(), remote, T0)
    assert outcome.stage is Stage.ERROR
    assert outcome.message == "handle_media: image https://x/1.jpg not found"


def test_early_error_settles_the_call_without_publish() -> None:
    """A create that failed outright settles as ERROR when nothing is still processing."""
    remote = _remote(_log("create", LogState.ERROR, 1, message="boom"))
    assert decide(_ad(), remote, T0).stage is Stage.ERROR


def test_entries_of_an_older_call_are_ignored() -> None:
    """Only entries with the call's request id count; an old publish does not settle it."""
    remote = _remote(
        _log("publish", LogState.DONE, -60, request_id="old"),
        _log("update", LogState.PROCESSING, 1),
    )
    assert decide(_ad(Op.UPDATE), remote, T0).stage is Stage.SENT


def test_without_request_ids_entries_are_chosen_by_time() -> None:
    """Without request ids, entries logged before the call was sent are ignored."""
    old = _log("publish", LogState.DONE, -3600, request_id=None)
    new = _log("update", LogState.DONE, 2, request_id=None)
    assert entries_of_call(_ad(Op.UPDATE, request_id=None), [new, old]) == [new]


def test_delete_done_marks_the_ad_deleted() -> None:
    """A delete settles when the delete action is done, and the ad reads deleted."""
    remote = _remote(_log("unpublish", LogState.DONE, 1), _log("delete", LogState.DONE, 2))
    outcome = decide(_ad(Op.DELETE), remote, T0)
    assert (outcome.stage, outcome.remote_state) == (Stage.DONE, RemoteState.DELETED)


def test_log_order_in_the_response_does_not_matter() -> None:
    """The newest entry per action wins, whatever order the API listed them in."""
    remote = _remote(
        _log("publish", LogState.DONE, 5),
        _log("create", LogState.DONE, 2),
        _log("publish", LogState.PROCESSING, 3),
    )
    assert decide(_ad(), remote, T0).stage is Stage.DONE


def test_missing_ad_waits_then_gives_up() -> None:
    """An ad the API does not list stays in flight, until the give-up bound passes."""
    assert decide(_ad(), None, T0 + timedelta(minutes=1)).stage is Stage.SENT
    late = decide(_ad(), None, T0 + timedelta(days=2), give_up_after=timedelta(days=1))
    assert late.stage is Stage.ERROR
    assert late.message == "the API no longer lists this ad"


def test_a_call_stuck_in_processing_is_reported_after_the_bound() -> None:
    """A call the API leaves processing past give_up_after becomes an error naming it."""
    remote = _remote(_log("create", LogState.DONE, 1), _log("publish", LogState.PROCESSING, 2))
    assert (
        decide(_ad(), remote, T0 + timedelta(hours=1), give_up_after=timedelta(days=1)).stage
        is Stage.SENT
    )
    late = decide(_ad(), remote, T0 + timedelta(days=2), give_up_after=timedelta(days=1))
    assert late.stage is Stage.ERROR
    assert late.message is not None
    assert "processing for too long: create, publish" in late.message


def test_a_media_error_waits_for_publish_within_the_grace() -> None:
    """An API that logs publish only when it gets there: a media error alone is not the end."""
    remote = _remote(_log("create", LogState.DONE, 1), _log("handle_media", LogState.ERROR, 2))
    assert decide(_ad(), remote, T0 + timedelta(minutes=1)).stage is Stage.SENT
    assert decide(_ad(), remote, T0 + timedelta(minutes=20)).stage is Stage.ERROR


def test_a_finished_state_logged_in_the_same_instant_wins_over_processing() -> None:
    """processing and done with one timestamp, listed newest first: done is the latest."""
    remote = _remote(
        _log("create", LogState.DONE, 1),
        _log("publish", LogState.DONE, 2),
        _log("publish", LogState.PROCESSING, 2),
    )
    assert decide(_ad(), remote, T0).stage is Stage.DONE


def test_without_request_ids_earlier_calls_are_told_apart_by_count() -> None:
    """Two calls logged in the same second: the recorded entries of the first are not the
    second's, so its publish is not taken for the new call's."""
    old = [_log("create", LogState.DONE, 0, None), _log("publish", LogState.DONE, 0, None)]
    new = [_log("update", LogState.PROCESSING, 0, None)]
    ad = Flight("D1", "s1", last_op=Op.UPDATE, sent_at=T0)
    remote = _remote(*old, *new)
    assert decide(ad, remote, T0, known=old).stage is Stage.SENT
    later = _remote(*old, *new, _log("publish", LogState.DONE, 0, None))
    assert decide(ad, later, T0, known=old).stage is Stage.DONE


def test_a_failed_update_is_unapplied_and_a_failed_publish_is_not() -> None:
    """An update whose own update action ended in error never reached the ad (unapplied:
    the mirror goes back to the payload from before); an update whose publish failed was
    applied, and a create that failed has nothing to go back to."""
    failed = _remote(_log("update", LogState.ERROR, 1, message="boom"))
    outcome = decide(_ad(Op.UPDATE), failed, T0)
    assert (outcome.stage, outcome.unapplied) == (Stage.ERROR, True)
    assert decide(_ad(Op.REVIVE), failed, T0).unapplied is True
    published_badly = _remote(
        _log("update", LogState.DONE, 1), _log("publish", LogState.ERROR, 2, message="no")
    )
    outcome = decide(_ad(Op.UPDATE), published_badly, T0)
    assert (outcome.stage, outcome.unapplied) == (Stage.ERROR, False)
    created = _remote(_log("create", LogState.ERROR, 1, message="boom"))
    assert decide(_ad(Op.CREATE), created, T0).unapplied is False
