"""Pure adoption decisions and run statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.adopt import adoption_of, adoptions, counts
from syncd.core.history import duration, statistics
from syncd.core.models import (
    FeedItem,
    MirrorAd,
    Origin,
    RemoteAd,
    RemoteState,
    RunOutcome,
    RunSummary,
)
from syncd.core.payload import diff, payload_hash

FEED = {"category_id": 2048, "title": "Soffa", "price": [{"type": "list", "amount": 1}]}


def item(payload: dict[str, object]) -> FeedItem:
    """A feed item of sofa-1."""
    return FeedItem("sofa-1", 2048, payload, payload_hash(payload), Origin("f", index=0))


def test_the_feed_version_held_remotely_is_recorded_with_the_feeds_hash() -> None:
    """Same fields (the API adding its own) → the feed's payload and hash."""
    remote = RemoteAd("sofa-1", RemoteState.CREATED, content={**FEED, "visible": True})
    [a] = adoptions([remote], {"sofa-1": item(FEED)}, {})
    assert (a.kind, a.payload_hash) == ("same", payload_hash(FEED))


def test_a_differing_ad_is_recorded_so_the_planner_diffs_only_the_changed_field() -> None:
    """The recorded payload's diff to the feed is the changed title alone."""
    remote = RemoteAd("sofa-1", RemoteState.CREATED, content={**FEED, "title": "Old"})
    [a] = adoptions([remote], {"sofa-1": item(FEED)}, {})
    assert a.kind == "differs"
    assert a.payload is not None
    assert diff(a.payload, FEED) == {"title": "Soffa"}


def test_absent_deleted_and_mirror_only_ads_have_their_kinds() -> None:
    """Not in the feed, deleted remotely, and known only to the mirror."""
    live = RemoteAd("a", RemoteState.CREATED, content=FEED)
    gone = RemoteAd("b", RemoteState.DELETED, content=FEED)
    mirror = {"c": MirrorAd("D", "c", remote_state=RemoteState.CREATED), "d": MirrorAd("D", "d")}
    found = counts(adoptions([live, gone], {}, mirror))
    assert found == {"same": 0, "differs": 0, "not_in_feed": 1, "deleted": 1, "unknown_to_api": 1}


def test_statistics_say_none_for_what_an_older_run_did_not_record() -> None:
    """Revives count as updates; requests unknown before syncd counted them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    run = RunSummary(
        1, "D", start, start + timedelta(seconds=2), None, RunOutcome.SUCCESS,
        {"create": 2, "update": 1, "revive": 1},
    )  # fmt: skip
    stats = statistics(run)
    assert (stats["created"], stats["updated"], stats["requests"]) == (2, 2, None)
    assert duration(run) == 2.0


def test_a_field_the_last_accepted_payload_had_and_the_feed_dropped_differs() -> None:
    """A crash's lost update was to clear ``video_url`` (and a nested e-mail): given the
    payload the API last accepted, the API still holding them differs (cleared by the
    next PATCH); holding them no more (null or absent) is the same."""
    sent = {**FEED, "video_url": "v", "contact": {"name": "A", "email": "a@b.se"}}
    new = {**FEED, "contact": {"name": "A"}}
    held = RemoteAd("sofa-1", RemoteState.CREATED, content=sent)
    a = adoption_of(held, item(new), sent)
    assert (a.kind, a.changes) == ("differs", ("contact", "video_url"))
    assert a.payload is not None
    assert diff(a.payload, new) == {"video_url": None, "contact": {"email": None}}
    cleared = RemoteAd("sofa-1", RemoteState.CREATED, content={**new, "video_url": None})
    assert adoption_of(cleared, item(new), sent).kind == "same"
    assert adoption_of(held, item(new)).kind == "same"  # unknown: left as it is
