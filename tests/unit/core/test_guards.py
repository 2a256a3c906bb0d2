"""Safety guards: when deletes are held back, and stale-feed warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.guards import GuardLimits, hold_back, live_count, mass_delete, stale_feed
from syncd.core.models import Delete, Invalid, MirrorAd, Op, Plan, RemoteState, Stage, Unchanged

LIMITS = GuardLimits(max_delete_fraction=0.2, max_delete_count=50, min_deletes_checked=3)


def _plan(deletes: int, unchanged: int) -> Plan:
    entries = [Delete("D", f"d{i}") for i in range(deletes)]
    entries += [Unchanged("D", f"u{i}") for i in range(unchanged)]
    return Plan("D", tuple(entries))


def test_an_empty_feed_never_deletes() -> None:
    """An empty feed trips the guard whatever the numbers."""
    reason = mass_delete(_plan(1, 0), live=1, feed_items=0, limits=LIMITS)
    assert reason is not None
    assert "feed is empty" in reason


def test_a_large_share_trips_from_the_floor_on() -> None:
    """Deleting 30 % trips at 3 deletes; 1 of 3 (a small dealer selling one) does not."""
    assert mass_delete(_plan(3, 7), live=10, feed_items=7, limits=LIMITS) is not None
    assert mass_delete(_plan(1, 2), live=3, feed_items=2, limits=LIMITS) is None
    assert mass_delete(_plan(2, 98), live=100, feed_items=98, limits=LIMITS) is None


def test_an_absolute_count_trips_even_for_a_small_share() -> None:
    """More deletes than max_delete_count trip even when the share is small."""
    reason = mass_delete(_plan(51, 1000), live=1051, feed_items=1000, limits=LIMITS)
    assert reason is not None
    assert "max_delete_count" in reason


def test_hold_back_keeps_everything_else() -> None:
    """Holding deletes (and creates) back leaves the other entries in order."""
    assert hold_back(_plan(2, 3)).entries == _plan(0, 3).entries


def test_live_count_skips_deleted_and_deleting_ads() -> None:
    """Only created ads not already being deleted count as live."""
    ads = {
        "a": MirrorAd("D", "a", remote_state=RemoteState.CREATED, stage=Stage.DONE),
        "b": MirrorAd("D", "b", remote_state=RemoteState.DELETED),
        "c": MirrorAd(
            "D", "c", remote_state=RemoteState.CREATED, stage=Stage.SENT, last_op=Op.DELETE
        ),
        "d": MirrorAd("D", "d"),
    }
    assert live_count(ads) == 1


def test_stale_feed_warning() -> None:
    """A feed older than max_feed_age gives a warning naming its age; None turns it off."""
    now = datetime(2026, 11, 25, tzinfo=UTC)
    limits = GuardLimits(max_feed_age=timedelta(hours=24))
    assert stale_feed(now - timedelta(hours=1), now, limits) is None
    warning = stale_feed(now - timedelta(hours=30), now, limits)
    assert warning is not None
    assert "30.0 h ago" in warning
    assert stale_feed(now - timedelta(days=9), now, GuardLimits(max_feed_age=None)) is None


def test_items_without_a_source_id_hold_deletes_back() -> None:
    """One feed item without a source_id could be any ad about to be deleted: none is."""
    reason = mass_delete(_plan(1, 9), live=10, feed_items=10, limits=LIMITS, unidentified=1)
    assert reason is not None
    assert "have no source_id" in reason


def test_a_feed_of_only_broken_rows_deletes_nothing() -> None:
    """Two live ads and a file whose one row is invalid: both deletes are held back."""
    broken = Plan("D", (*_plan(2, 0).entries, Invalid("D", None, None, ())))
    reason = mass_delete(broken, live=2, feed_items=1, limits=LIMITS)
    assert reason is not None
    assert "no valid item" in reason
    assert mass_delete(_plan(1, 1), live=2, feed_items=2, limits=LIMITS) is None
