"""The planner and pins: a pinned ad absent from the feed is kept, nothing else changes."""

from __future__ import annotations

from syncd.core.models import Delete, Stage, Unchanged
from syncd.core.plan import plan
from tests.unit.core.test_plan import CREATED, DEALER, DELETED, feed, item, row


def test_a_pinned_live_ad_absent_from_the_feed_is_kept_not_deleted() -> None:
    """Pinned and gone from the feed: Unchanged("pinned"); the unpinned one is deleted."""
    result = plan(feed(), {"a": row("a"), "b": row("b")}, api_version=4, pinned={"a"})
    assert result.entries == (Unchanged(DEALER, "a", "pinned"), Delete(DEALER, "b"))
    assert result.actions == (Delete(DEALER, "b"),)


def test_a_pinned_ad_in_the_feed_is_planned_as_any_other() -> None:
    """A pin only stops deletes: a changed item in the feed is still updated."""
    result = plan(feed(item("a", title="New")), {"a": row("a")}, api_version=4, pinned={"a"})
    assert result.counts()["update"] == 1


def test_a_pin_changes_nothing_for_deleted_or_in_flight_rows() -> None:
    """Already deleted is gone, in flight is in_flight, pinned or not."""
    rows = {"a": row("a", state=DELETED), "b": row("b", state=CREATED, stage=Stage.SENT)}
    result = plan(feed(), rows, api_version=4, pinned={"a", "b"})
    assert result.entries == (
        Unchanged(DEALER, "a", "gone"),
        Unchanged(DEALER, "b", "in_flight"),
    )


def test_without_pins_the_plan_is_as_before() -> None:
    """The default is no pin at all."""
    assert plan(feed(), {"a": row("a")}, api_version=4).entries == (Delete(DEALER, "a"),)
