"""The daemon's pure decisions: when a feed change starts a sync, health, feed age."""

from __future__ import annotations

import math
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.daemon.health import Check, liveness, readiness
from syncd.daemon.jobs import FeedStamp, feed_stamp, should_sync
from syncd.daemon.metrics import Metrics, feed_age

A = FeedStamp(size=10, mtime_ns=1)
B = FeedStamp(size=12, mtime_ns=2)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_a_changed_file_that_held_still_is_synced() -> None:
    """Same stamp at two checks and different from the last sync's: sync now."""
    assert should_sync(current=B, previous=B, synced=A)


def test_a_file_being_written_waits_one_check() -> None:
    """A stamp that moved since the previous check is not synced yet."""
    assert not should_sync(current=B, previous=A, synced=A)


def test_an_unchanged_or_missing_file_is_not_synced() -> None:
    """Nothing new since the last sync, or no file at all: no sync."""
    assert not should_sync(current=A, previous=A, synced=A)
    assert not should_sync(current=None, previous=None, synced=A)


def test_never_synced_file_is_synced_once_still() -> None:
    """A feed that appears after start-up is synced once it holds still."""
    assert should_sync(current=A, previous=A, synced=None)


def test_feed_stamp_reads_size_and_mtime(tmp_path: Path) -> None:
    """The stamp is the file's size and nanosecond mtime; None when the file is missing."""
    path = tmp_path / "feed.json"
    assert feed_stamp(str(path)) is None
    path.write_text("[]", encoding="utf-8")
    os.utime(path, ns=(5, 7))
    assert feed_stamp(str(path)) == FeedStamp(size=2, mtime_ns=7)


def test_feed_age(tmp_path: Path) -> None:
    """Feed age is seconds since modification, NaN when the file is missing."""
    path = tmp_path / "feed.json"
    assert math.isnan(feed_age(str(path), now=100.0))
    path.write_text("[]", encoding="utf-8")
    os.utime(path, (40.0, 40.0))
    assert feed_age(str(path), now=100.0) == 60.0


def test_liveness() -> None:
    """Alive only with a running scheduler and a recent heartbeat."""
    assert liveness(running=True, since_beat=1.0, max_silence=30.0) == Check(True)
    assert not liveness(running=False, since_beat=1.0, max_silence=30.0).ok
    stuck = liveness(running=True, since_beat=45.0, max_silence=30.0)
    assert stuck.reasons == ("event loop silent for 45s",)


def test_readiness_needs_database_and_recent_success() -> None:
    """Ready with a reachable database and every feed's success within the bound."""
    bound = timedelta(minutes=30)
    fresh = {"D1": NOW - timedelta(minutes=5)}
    assert readiness(now=NOW, last_success=fresh, max_age=bound, db_error=None).ok
    down = readiness(now=NOW, last_success=fresh, max_age=bound, db_error="refused")
    assert down.reasons == ("database unreachable: refused",)
    stale = readiness(
        now=NOW,
        last_success={"D1": NOW - timedelta(hours=1), "": None},
        max_age=bound,
        db_error=None,
    )
    assert stale.reasons == (
        "(token dealer): no successful sync yet",
        "D1: last successful sync 3600s ago",
    )


def test_a_url_feeds_age_is_that_of_the_export_last_read() -> None:
    """NaN before any run read it; then the age of the export that run read."""
    metrics = Metrics()
    metrics.watch_feed("D1", "https://dms.example/stock.json")

    def age() -> float | None:
        return metrics.registry.get_sample_value("syncd_feed_age_seconds", {"dealer_code": "D1"})

    assert math.isnan(age() or 0.0)
    metrics.feed_read("D1", time.time() - 3600)
    value = age()
    assert value is not None
    assert 3600 <= value < 3600 + 600
    metrics.feed_read("D1", None)  # a run that read no feed leaves the last age
    assert (age() or 0.0) >= 3600
