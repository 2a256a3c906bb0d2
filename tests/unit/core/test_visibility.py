"""The rehearsal mode: every item hidden with visible = false, the feed as it is otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.core.models import FeedItem, FeedMeta, Origin, ValidatedFeed
from syncd.core.payload import payload_hash
from syncd.core.visibility import with_visibility

META = FeedMeta("feed.json", "c", 1, datetime(2026, 1, 1, tzinfo=UTC))


def _feed(*payloads: dict[str, object]) -> ValidatedFeed:
    items = tuple(
        FeedItem(f"s{n}", 2048, p, payload_hash(p), Origin("feed.json", index=n))
        for n, p in enumerate(payloads)
    )
    return ValidatedFeed("D1", META, items, ())


def test_visible_false_hides_every_item_and_rehashes_it() -> None:
    """Each payload carries visible: false (even one the feed made visible), hash to match."""
    feed = with_visibility(_feed({"title": "a"}, {"title": "b", "visible": True}), False)
    assert [i.payload["visible"] for i in feed.items] == [False, False]
    assert all(i.payload_hash == payload_hash(i.payload) for i in feed.items)


def test_live_leaves_the_feed_as_it_is() -> None:
    """True and no setting both mean: each ad as the feed says."""
    feed = _feed({"title": "a"}, {"title": "b", "visible": False})
    assert with_visibility(feed, True) is feed
    assert with_visibility(feed, None) is feed
