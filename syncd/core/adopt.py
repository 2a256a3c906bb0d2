"""Core: adoption: what the mirror must hold for each ad the API lists, so a plan shows no change.

Pure: no I/O here. For every ad the API holds (both states) and every mirror row
the API does not hold, one :class:`Adoption` says what the mirror records:

* ``same``: live, and the API holds the feed's version (``adoption_patch`` finds
  nothing): the feed's payload and hash, so the next plan leaves it unchanged;
* ``differs``: live, and some fields differ: the API's values of the feed's fields
  (``payload.remote_view``), so the next plan PATCHes exactly those fields;
* ``not_in_feed``: live, and the feed has no valid item for it: the API's fields
  as they are (the next run deletes it, behind the guards, or leaves an invalid
  item's ad alone);
* ``deleted``: the API holds it deleted: its last fields, so a feed item revives it;
* ``unknown_to_api``: a mirror row says the ad exists, the API does not list it:
  the row forgets the remote ad (the next run creates it again from the feed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.core.models import FeedItem, MirrorAd, Payload, RemoteAd, RemoteState
from syncd.core.payload import adoption_patch, payload_hash, remote_view

ADOPTION_KINDS = ("same", "differs", "not_in_feed", "deleted", "unknown_to_api")


@dataclass(frozen=True, slots=True)
class Adoption:
    """What the mirror records for one ad; ``changes``: the fields the next run PATCHes."""

    source_id: str
    kind: str
    category_id: int | None = None
    payload: Payload | None = None
    payload_hash: str | None = None
    remote: RemoteAd | None = None
    changes: tuple[str, ...] = ()


def adoptions(
    remote: Sequence[RemoteAd], feed: Mapping[str, FeedItem], mirror: Mapping[str, MirrorAd]
) -> list[Adoption]:
    """One adoption per remote ad (by source_id), then per mirror row the API lacks."""
    out = [adoption_of(ad, feed.get(ad.source_id)) for ad in sorted(remote, key=_by_id)]
    listed = {ad.source_id for ad in remote}
    for source_id in sorted(mirror.keys() - listed):
        if mirror[source_id].remote_state is not None:
            out.append(Adoption(source_id, "unknown_to_api"))
    return out


def counts(entries: Sequence[Adoption]) -> dict[str, int]:
    """How many adoptions of each kind (every kind present)."""
    tally = dict.fromkeys(ADOPTION_KINDS, 0)
    for entry in entries:
        tally[entry.kind] += 1
    return tally


def _by_id(ad: RemoteAd) -> str:
    return ad.source_id


def adoption_of(ad: RemoteAd, item: FeedItem | None, sent: Payload | None = None) -> Adoption:
    """What the mirror records of one ad the API holds, given its feed item (if any)
    and, when known, the payload the API last accepted (``sent``: its fields the item
    lacks and the API still holds differ, see ``payload.remote_view``)."""
    content = dict(ad.content or {})
    category = content.get("category_id")
    category_id = category if isinstance(category, int) and not isinstance(category, bool) else None
    if ad.state is RemoteState.DELETED or item is None:
        kind = "deleted" if ad.state is RemoteState.DELETED else "not_in_feed"
        return Adoption(ad.source_id, kind, category_id, content, payload_hash(content), ad)
    changes = adoption_patch(content, item.payload, sent)
    if not changes:
        return Adoption(ad.source_id, "same", item.category_id, item.payload, item.payload_hash, ad)
    view = remote_view(content, item.payload, sent)
    return Adoption(
        ad.source_id,
        "differs",
        category_id if category_id is not None else item.category_id,
        view,
        payload_hash(view),
        ad,
        tuple(sorted(changes)),
    )
