"""Core: the planner: the validated feed against the mirror, as the fewest API calls.

Pure: no I/O here. ``plan`` returns one entry per feed record and per
mirror-only source_id, in a stable order: the feed's file order, then the
source_ids only the mirror knows, sorted. The rules, in the order they apply:

1. An invalid feed item is ``Invalid``; its ad is left as it is (never updated
   nor deleted because its new version is invalid). Every invalid record gets
   its own entry, so a duplicated source_id appears once per record and an item
   without a usable source_id appears with ``source_id=None``. An item that gave
   its source_id twice, with different values, protects the ad of each (its
   ``candidates``): none of them is deleted for want of an item.
2. A mirror row whose latest call is in flight (stage INTENT or SENT) is
   ``Unchanged("in_flight")``, whether or not the feed still has the item: the
   service resolves INTENT rows before planning, and a SENT call must settle
   before the next one is decided (a delete or update is planned next run).
3. A payload the API refused (stage REJECTED) is not sent again while the feed
   still holds exactly it: ``Unchanged("still_rejected")``.
4. What the API cannot change is ``Invalid`` and nothing is sent:
   ``category_fields.registration_number`` of a live registered vehicle (api-notes:
   "cannot change after creation"; adding or removing it counts as a change), and
   a ``category_id`` change of a live ad into, out of or between
   registered-vehicle categories (assumption: the API cannot move an ad across
   them; a change between two other categories is sent as a PATCH). A deleted
   ad's source_id may come back in any category (rule 5).
5. Never created (no mirror row, or ``remote_state`` None) → ``Create``.
   Deleted → revive: ``Update(revive=True)`` carrying the whole payload plus
   nulls for what the old one had; ``Create(revive=True)`` when the ad is or was a
   registered vehicle (the seed revives by PUT/PATCH only outside
   registered-vehicle categories).
6. Live (CREATED): same hash → ``Unchanged``; old payload unknown →
   ``Update`` with the whole payload; otherwise ``Update`` with the diff.
   Assumption: a call that ended in ERROR (the API's own processing failed) with
   the same payload is not re-sent every run; it is ``Unchanged`` until the
   feed changes, and the mirror keeps the error message for ``syncd status``.
   When the failed call's change never reached the ad (its ``update`` ended in
   error: ``core.reconcile._not_applied``), the mirror's accepted payload is back
   at what the API holds and ``pending_hash`` names the payload that failed: while
   the feed still holds exactly it, a live ad is ``Unchanged("still_failed")``; once
   the feed changes, the diff against what the API holds carries the failed fields
   too. (A deleted ad's failed revive is sent again next run, as it always was.)
7. Not in the feed: live → ``Delete`` (``Invalid`` when its source_id is one
   ``core/source_ids.py`` refuses: a DELETE could not name it); deleted or never created →
   ``Unchanged("gone")`` (kept, one small entry each, so the plan always covers
   every mirror row). Such a row whose latest call was refused or failed (a create,
   a revive) is settled by the run (``runs.clear_gone_failures``), not here: it
   stops counting as failing once its item has left the feed.
8. A pinned ad (``syncd pin``) that is live and not in the feed is
   ``Unchanged("pinned")``: never deleted for being absent (``pinned`` is the
   dealer's set of pinned source_ids, read from the mirror by the shell). A pin
   changes nothing for an ad the feed has: it is updated as any other.

A ``reduced`` price is never POSTed (the API refuses it): ``Create.body`` goes
without it and ``Create.followup`` PATCHes the whole price list.
Unchanged items are not re-hashed: the FeedItem carries its hash.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from syncd.core import source_ids
from syncd.core.categories import Kind, category
from syncd.core.models import (
    Create,
    Delete,
    FeedItem,
    Invalid,
    InvalidItem,
    Issue,
    MirrorAd,
    Origin,
    Payload,
    Plan,
    PlanEntry,
    RemoteState,
    Stage,
    Unchanged,
    Update,
    ValidatedFeed,
)
from syncd.core.payload import diff, full_patch, split_reduced

_IN_FLIGHT = frozenset({Stage.INTENT, Stage.SENT})
# Module-level aliases: an enum member lookup costs more than the rest of an
# unchanged item's check, and the planner does it 100 000 times.
_REJECTED = Stage.REJECTED
_ERROR = Stage.ERROR
_CREATED = RemoteState.CREATED


def plan(
    feed: ValidatedFeed,
    mirror: Mapping[str, MirrorAd],
    *,
    api_version: int,
    pinned: AbstractSet[str] = frozenset(),
) -> Plan:
    """One entry per feed record and mirror-only source_id; see the module docstring."""
    dealer = feed.dealer_code
    entries: list[PlanEntry] = []
    seen: set[str] = set()
    for record in _file_order(feed.items, feed.invalid):
        if record.source_id is not None:
            seen.add(record.source_id)
        if isinstance(record, InvalidItem):
            seen.update(record.candidates)  # an ambiguous item protects every id it gave
            entries.append(Invalid(dealer, record.source_id, record.origin, record.issues))
        else:
            ad = mirror.get(record.source_id)
            entries.append(_for_item(record, ad, dealer, api_version))
    for source_id in sorted(mirror.keys() - seen):
        entries.append(_for_absent(mirror[source_id], dealer, source_id in pinned))
    return Plan(dealer, tuple(entries))


def _file_order(
    items: tuple[FeedItem, ...], invalid: tuple[InvalidItem, ...]
) -> Iterable[FeedItem | InvalidItem]:
    """Valid and invalid records merged back into file order (each is in file order)."""
    if not invalid:
        return items
    merged: Iterable[FeedItem | InvalidItem] = heapq.merge(items, invalid, key=_position)
    return merged


def _position(record: FeedItem | InvalidItem) -> int:
    origin: Origin = record.origin
    if origin.line is not None:
        return origin.line
    return origin.index if origin.index is not None else -1


def payloads_needed(feed: ValidatedFeed, mirror: Mapping[str, MirrorAd]) -> list[str]:
    """The source_ids whose accepted payload ``plan`` reads: a mirror read without
    payloads (``Mirror.load_states``) must fill in these, and only these.

    The planner never reads the payload of a mirror-only row, of an ad in flight or
    still rejected, nor of a live ad whose hash equals the feed item's. Kept in step
    with ``_for_item``: a row it could read the payload of is listed.
    """
    needed = []
    for item in feed.items:
        ad = mirror.get(item.source_id)
        if ad is None or ad.remote_state is None or ad.stage in _IN_FLIGHT:
            continue
        if ad.remote_state is _CREATED and ad.payload_hash == item.payload_hash:
            continue
        if ad.stage is _REJECTED and ad.pending_hash == item.payload_hash:
            continue
        if _still_failed(ad, item):
            continue
        needed.append(item.source_id)
    return needed


def _for_item(item: FeedItem, ad: MirrorAd | None, dealer: str, api_version: int) -> PlanEntry:
    """The entry for a valid feed item, given the mirror's row for it (if any)."""
    if ad is None:
        return _create(item, dealer, revive=False)
    if ad.stage in _IN_FLIGHT:
        return Unchanged(dealer, item.source_id, "in_flight")
    if ad.stage is _REJECTED and ad.pending_hash == item.payload_hash:
        return Unchanged(dealer, item.source_id, "still_rejected")
    if _still_failed(ad, item):
        return Unchanged(dealer, item.source_id, "still_failed")
    if ad.remote_state is None:
        return _create(item, dealer, revive=False)
    live = ad.remote_state is _CREATED
    if live and ad.payload_hash == item.payload_hash:  # the common case: checked first
        return Unchanged(dealer, item.source_id, "same")
    issue = _immutable_change(ad, item, api_version)
    if issue is not None:
        return Invalid(dealer, item.source_id, item.origin, (issue,))
    if not live:
        return _revive(item, ad, dealer, api_version)
    changes = dict(item.payload) if ad.payload is None else diff(ad.payload, item.payload)
    if not changes:  # same content under an older hash (e.g. a payload from an older syncd)
        return Unchanged(dealer, item.source_id, "same")
    return _update(item, dealer, changes, revive=False, before=ad.payload)


def _still_failed(ad: MirrorAd, item: FeedItem) -> bool:
    """A live ad's call whose change the API never applied (ERROR, the accepted payload
    back at what the API holds, so not the one sent) while the feed still holds what it
    sent. Not a deleted ad's: a revive that failed, or a PATCH refused because another
    client deleted the ad (execute's ``_refused_update``), is sent again, as before."""
    return (
        ad.remote_state is _CREATED
        and ad.stage is _ERROR
        and ad.pending_hash == item.payload_hash
        and ad.payload_hash != ad.pending_hash
    )


def _for_absent(ad: MirrorAd, dealer: str, pinned: bool) -> PlanEntry:
    """The entry for a mirror row the feed no longer has."""
    if ad.stage in _IN_FLIGHT:
        return Unchanged(dealer, ad.source_id, "in_flight")
    if ad.remote_state is _CREATED:
        if pinned:
            return Unchanged(dealer, ad.source_id, "pinned")
        # A long, decomposed (non-NFC) or blank-looking id is refused in a feed but
        # reachable: it may go, as it went before those rules (source_ids.unreachable).
        reason = source_ids.unreachable(ad.source_id)
        if reason is not None:  # an id an older syncd accepted: a DELETE could not reach it
            return Invalid(dealer, ad.source_id, None, (_unreachable(reason),))
        return Delete(dealer, ad.source_id)
    return Unchanged(dealer, ad.source_id, "gone")


def _unreachable(reason: str) -> Issue:
    return Issue(
        "source_id",
        f"{reason}; this live ad cannot be deleted through the API, so it is left as "
        "it is: remove it in Blocket Admin",
    )


def _create(item: FeedItem, dealer: str, *, revive: bool) -> Create:
    body, followup = split_reduced(item.payload)
    return Create(
        dealer_code=dealer,
        source_id=item.source_id,
        category_id=item.category_id,
        body=body,
        payload=item.payload,
        payload_hash=item.payload_hash,
        followup=followup,
        revive=revive,
        origin=item.origin,
    )


def _update(
    item: FeedItem,
    dealer: str,
    changes: dict[str, Any],
    *,
    revive: bool,
    before: Payload | None = None,
) -> Update:
    return Update(
        dealer_code=dealer,
        source_id=item.source_id,
        category_id=item.category_id,
        changes=changes,
        payload=item.payload,
        payload_hash=item.payload_hash,
        revive=revive,
        before=before,
        origin=item.origin,
    )


def _revive(item: FeedItem, ad: MirrorAd, dealer: str, api_version: int) -> PlanEntry:
    """A deleted ad back in the feed: PATCH it whole, or POST it again when it is a
    vehicle, or was one (the seed revives by PUT/PATCH only outside registered-vehicle
    categories, and a PATCH cannot move an ad across them; a POST of a deleted
    source_id makes a new ad)."""
    old_category = _old_category(ad)
    was_vehicle = isinstance(old_category, int) and _registered(old_category, api_version)
    if was_vehicle or _registered(item.category_id, api_version):
        return _create(item, dealer, revive=True)
    return _update(
        item, dealer, full_patch(ad.payload, item.payload), revive=True, before=ad.payload
    )


def _immutable_change(ad: MirrorAd, item: FeedItem, api_version: int) -> Issue | None:
    """What the feed changed that the API cannot change on an existing ad, if anything."""
    old_category = _old_category(ad)
    new_category = item.category_id
    # A deleted ad is not moved: its source_id is POSTed again (see _revive).
    live = ad.remote_state is RemoteState.CREATED
    if live and isinstance(old_category, int) and old_category != new_category:
        if _registered(old_category, api_version) or _registered(new_category, api_version):
            return Issue(
                "category_id",
                f"cannot change from {old_category} to {new_category}: an ad cannot move into, "
                "out of or between registered-vehicle categories; give the item a new source_id",
            )
        return None
    if not live or ad.payload is None:
        return None
    if not _registered(new_category, api_version):
        return None
    if _was_v3_simple_ad(ad.payload, new_category):
        return None
    old_plate = _plate(ad.payload)
    new_plate = _plate(item.payload)
    if old_plate == new_plate:
        return None
    return Issue(
        "category_fields.registration_number",
        f"cannot change after the ad was created (was {old_plate!r}, now {new_plate!r}); "
        "give the vehicle a new source_id",
    )


def _old_category(ad: MirrorAd) -> object:
    """The category the API holds the ad in, as far as the mirror knows."""
    if ad.category_id is None and ad.payload is not None:
        return ad.payload.get("category_id")
    return ad.category_id


def _was_v3_simple_ad(payload: Mapping[str, Any], category_id: int) -> bool:
    """A moped, camper, caravan or trailer sent through v3 (a simple ad, no vehicle fields).

    Assumption: such an ad has no plate to keep; the feed gives it its first one with
    the v4 payload (``syncd migrate-v4`` sends it; a v4 ad always has category_fields).
    """
    cat = category(category_id)
    return cat is not None and cat.kind is Kind.V4 and "category_fields" not in payload


def _plate(payload: Mapping[str, Any]) -> Any:
    fields = payload.get("category_fields")
    return fields.get("registration_number") if isinstance(fields, Mapping) else None


def _registered(category_id: int, api_version: int) -> bool:
    cat = category(category_id)
    return cat is not None and cat.is_registered_vehicle(api_version)
