"""Core: the rehearsal mode (``[sync] visible = false``): every ad sent hidden.

Pure: no I/O here. The seed ("Test Environment"): there is no test environment;
"to avoid publishing test ads on the marketplaces, you can set visible: false when
creating ads". With the setting, every valid item's payload carries
``visible: false`` (whatever the feed says), so creates and updates all go out
hidden, and its hash covers it. Switching back to live (``visible = true`` or the
setting left out) gives the feed's own payloads again: each ad's ``visible: false``
then disappears from the payload, which the PATCH diff sends as ``visible: null``
(api-notes: null clears a field; an ad without ``visible`` is visible), so the next
run makes every ad visible, and ``syncd plan`` shows it beforehand. An item the feed
itself marks ``visible: false`` stays hidden.
"""

from __future__ import annotations

import dataclasses

from syncd.core.models import FeedItem, ValidatedFeed
from syncd.core.payload import normalised_hash


def hidden(item: FeedItem) -> FeedItem:
    """The item with ``visible: false`` in its payload (and the hash of that payload)."""
    if item.payload.get("visible") is False:
        return item
    payload = {**item.payload, "visible": False}
    return dataclasses.replace(item, payload=payload, payload_hash=normalised_hash(payload))


def with_visibility(feed: ValidatedFeed, visible: bool | None) -> ValidatedFeed:
    """The feed as the setting says: every item hidden when ``visible`` is False,
    the feed as it is otherwise (True and None both mean "as the feed says")."""
    if visible is not False:
        return feed
    return dataclasses.replace(feed, items=tuple(hidden(i) for i in feed.items))
