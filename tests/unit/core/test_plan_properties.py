"""Property: after any feed A then any feed B, the remote holds exactly B's valid items.

The remote is a tiny pure model of the Pro Import API written here, independent
of payload.py: PATCH deep-merges with null clearing, POST refuses a reduced price
and title/contact on registered vehicles, a deleted ad is revived by PATCH outside
registered-vehicle categories and by POST inside them, and a live vehicle's
registration number never changes. Every call the planner makes must be one
the model accepts; each accepted call is then marked done in the mirror.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from syncd.core.categories import category
from syncd.core.models import (
    Create,
    Delete,
    FeedMeta,
    Invalid,
    MirrorAd,
    Op,
    Origin,
    Plan,
    RawFeed,
    RawRecord,
    RemoteState,
    Stage,
    Update,
    ValidatedFeed,
)
from syncd.core.plan import plan
from syncd.core.validate.feed import validate_feed

DEALER = "D1"
API_VERSION = 4
SOURCE_IDS = ("s0", "s1", "s2", "s3", "s4")
CONTACT = {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"}
IMAGES = ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.png"]


@dataclasses.dataclass
class RemoteAd:
    """One ad as the model API holds it."""

    category_id: int
    payload: dict[str, Any]
    live: bool = True


def registered(category_id: int) -> bool:
    """Whether a category is a registered vehicle at the tested API version."""
    cat = category(category_id)
    return cat is not None and cat.is_registered_vehicle(API_VERSION)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: objects merge key by key, null clears, anything else replaces."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def plate(payload: dict[str, Any]) -> Any:
    """The registration number in a payload, if any."""
    return (payload.get("category_fields") or {}).get("registration_number")


class ModelApi:
    """The Pro Import API's write rules, as far as the planner depends on them."""

    def __init__(self) -> None:
        self.ads: dict[str, RemoteAd] = {}

    def post(self, source_id: str, body: dict[str, Any]) -> None:
        """POST /ad: a new ad, or a deleted ad's source_id posted again (the seed: "DELETE
        the V3 ad and POST a new V4 ad with the same source_id"), in any category."""
        existing = self.ads.get(source_id)
        assert existing is None or not existing.live, f"POST of existing {source_id}"
        assert all(p["type"] != "reduced" for p in body["price"]), "reduced price on POST"
        if registered(body["category_id"]):
            assert "title" not in body, "title sent for a registered vehicle"
            assert "contact" not in body, "contact sent for a registered vehicle"
        self.ads[source_id] = RemoteAd(body["category_id"], dict(body))

    def patch(self, source_id: str, changes: dict[str, Any]) -> None:
        """PATCH /ad/{source_id}: deep-merge; revives a deleted ad outside vehicles."""
        ad = self.ads.get(source_id)
        assert ad is not None, f"PATCH of unknown {source_id}"
        assert ad.live or not registered(ad.category_id), "PATCH cannot revive a vehicle"
        merged = deep_merge(ad.payload, changes)
        assert registered(merged["category_id"]) == registered(ad.category_id), (
            "category moved across registered vehicles"
        )
        if ad.live and registered(ad.category_id):
            assert plate(merged) == plate(ad.payload), "registration_number changed"
        self.ads[source_id] = RemoteAd(merged["category_id"], merged)

    def delete(self, source_id: str) -> None:
        """DELETE /ad/{source_id}: a soft delete."""
        ad = self.ads.get(source_id)
        assert ad is not None, f"DELETE of unknown {source_id}"
        assert ad.live, f"DELETE of {source_id} that is not live"
        ad.live = False

    def live(self) -> dict[str, dict[str, Any]]:
        """source_id -> payload of every live ad."""
        return {sid: ad.payload for sid, ad in self.ads.items() if ad.live}


def apply(result: Plan, api: ModelApi, mirror: dict[str, MirrorAd]) -> None:
    """Send every action to the model and record it in the mirror as accepted and done."""
    for action in result.actions:
        old = mirror.get(action.source_id) or MirrorAd(DEALER, action.source_id)
        if isinstance(action, Delete):
            api.delete(action.source_id)
            mirror[action.source_id] = dataclasses.replace(
                old, remote_state=RemoteState.DELETED, last_op=Op.DELETE, stage=Stage.DONE
            )
            continue
        if isinstance(action, Create):
            api.post(action.source_id, dict(action.body))
            if action.followup is not None:
                api.patch(action.source_id, dict(action.followup))
        elif isinstance(action, Update):
            api.patch(action.source_id, dict(action.changes))
        mirror[action.source_id] = dataclasses.replace(
            old,
            category_id=action.category_id,
            payload=action.payload,
            payload_hash=action.payload_hash,
            remote_state=RemoteState.CREATED,
            last_op=action.op,
            stage=Stage.DONE,
            pending_hash=action.payload_hash,
        )


# --- feeds -----------------------------------------------------------------------------

_prices = st.sampled_from(
    [
        [{"type": "list", "amount": 7000}],
        [{"type": "list", "amount": 7000.0, "currency": "SEK"}],
        [{"type": "list", "amount": 9000}, {"type": "reduced", "amount": 7000}],
        [{"type": "reduced", "amount": 6000}, {"type": "list", "amount": 9000}],
    ]
)
_locations = st.sampled_from(
    [None, {"zipcode": "12133"}, {"latitude": "59.5", "longitude": 16}, {"lkf": "0380"}]
)
_images = st.sampled_from([None, [], IMAGES[:1], IMAGES, IMAGES[::-1]])
_free_fields = st.sampled_from([None, {}, {"size": "M"}, {"size": "L", "extra": {"a": 1}}])


@st.composite
def plain_item(draw: st.DrawFn, source_id: str) -> dict[str, Any]:
    """A valid ad in a plain category, fields drawn from small pools."""
    item = {
        "source_id": source_id,
        "category_id": draw(st.sampled_from([5021, 5022])),
        "title": draw(st.sampled_from(["Laptop", "Dator"])),
        "body": draw(st.sampled_from(["Snabb.", "Tyst."])),
        "price": draw(_prices),
        "contact": CONTACT,
        "location": draw(_locations),
        "image_urls": draw(_images),
        "category_fields": draw(_free_fields),
        "visible": draw(st.sampled_from([None, True, False])),
    }
    return {k: v for k, v in item.items() if v is not None}


@st.composite
def vehicle_item(draw: st.DrawFn, source_id: str) -> dict[str, Any]:
    """A valid registered vehicle (car or v4 trailer), sometimes with a title to be dropped."""
    fields: dict[str, Any] = {
        "model_year": draw(st.sampled_from([2015, 2018])),
        "registration_number": draw(st.sampled_from(["ABC123", "abc123", "XYZ999"])),
    }
    if draw(st.booleans()):
        fields["color"] = "red"
    if draw(st.booleans()):
        fields["condition"] = {
            "mileage": {"value": draw(st.sampled_from([1000, 2000])), "unit": "km"}
        }
    prices = draw(_prices) + draw(st.sampled_from([[], [{"type": "leasing", "amount": 2999}]]))
    item = {
        "source_id": source_id,
        "category_id": draw(st.sampled_from([1020, 1045])),
        "body": draw(st.sampled_from(["Välskött.", "Servad."])),
        "price": prices,
        "category_fields": fields,
        "location": draw(st.sampled_from([None, {"zipcode": "12133"}])),
        "image_urls": draw(_images),
        "title": draw(st.sampled_from([None, "Ignored title"])),
    }
    return {k: v for k, v in item.items() if v is not None}


@st.composite
def invalid_item(draw: st.DrawFn, source_id: str) -> dict[str, Any]:
    """An ad that fails validation in one of a few ways."""
    base = draw(plain_item(source_id))
    how = draw(st.sampled_from(["no body", "39 images", "negative", "bad url"]))
    if how == "no body":
        del base["body"]
    elif how == "39 images":
        base["image_urls"] = [f"https://cdn.example.com/{i}.jpg" for i in range(39)]
    elif how == "negative":
        base["price"] = [{"type": "list", "amount": -1}]
    else:
        base["image_urls"] = ["https://user:pw@cdn.example.com/1.jpg"]
    return base


# s0 and s1 stay plain ads, s2 and s3 vehicles, s4 may switch between them (which the
# planner must refuse while the ad is live).
_SHAPES = {
    "s0": (plain_item,),
    "s1": (plain_item,),
    "s2": (vehicle_item,),
    "s3": (vehicle_item,),
    "s4": (plain_item, vehicle_item),
}


@st.composite
def _record(draw: st.DrawFn, source_id: str) -> dict[str, Any] | None:
    """One feed record for a source_id: mostly valid, sometimes absent or invalid."""
    kind = draw(st.sampled_from(["absent", "valid", "valid", "valid", "invalid"]))
    if kind == "absent":
        return None
    if kind == "invalid":
        return draw(invalid_item(source_id))
    return draw(st.sampled_from(_SHAPES[source_id]).flatmap(lambda shape: shape(source_id)))


@st.composite
def feeds(draw: st.DrawFn) -> ValidatedFeed:
    """A validated feed over a few source_ids, shuffled, sometimes with a duplicate."""
    records = [r for r in (draw(_record(sid)) for sid in SOURCE_IDS) if r is not None]
    if records and draw(st.booleans()):
        records.append(dict(records[0]))  # a duplicated source_id: both become invalid
    records = draw(st.permutations(records))
    meta = FeedMeta("feed.json", "0" * 64, 0, datetime(2025, 5, 1, tzinfo=UTC))
    raw = RawFeed(
        meta, tuple(RawRecord(Origin("feed.json", line=i + 1), d) for i, d in enumerate(records))
    )
    return validate_feed(raw, dealer_code=DEALER, api_version=API_VERSION)


# --- the property -------------------------------------------------------------------------


def step(feed: ValidatedFeed, api: ModelApi, mirror: dict[str, MirrorAd]) -> None:
    """Plan one feed, apply it, and check the remote against the feed."""
    before = {sid: (ad.live, ad.payload) for sid, ad in api.ads.items()}
    result = plan(feed, mirror, api_version=API_VERSION)
    for kind, count in result.counts().items():
        if count:
            event(f"a plan has {kind}")
    apply(result, api, mirror)

    untouched = {e.source_id for e in result.entries if isinstance(e, Invalid)}
    wanted = {i.source_id: dict(i.payload) for i in feed.items if i.source_id not in untouched}
    live = api.live()
    for sid in set(SOURCE_IDS) | live.keys():
        if sid in untouched:  # invalid in this feed: exactly as before, live or not
            after = api.ads.get(sid)
            assert ((after.live, after.payload) if after else None) == before.get(sid), sid
        elif sid in wanted:
            assert live.get(sid) == wanted[sid], sid
        else:
            assert sid not in live, sid
    assert plan(feed, mirror, api_version=API_VERSION).actions == ()


# Bounded by its 200 examples; the timeout is a safety net only (70 s of the default 120
# went on them on a loaded 2-core machine).
@pytest.mark.timeout(600)
@settings(max_examples=200, deadline=None)
@given(sequence=st.lists(feeds(), min_size=3, max_size=3))
def test_the_remote_converges_to_the_valid_items_of_the_latest_feed(
    sequence: list[ValidatedFeed],
) -> None:
    """After each of feeds A, B, C in turn, exactly its valid items are live, invalid ones stay
    as they were, and planning the same feed again sends zero calls."""
    api = ModelApi()
    mirror: dict[str, MirrorAd] = {}
    for feed in sequence:
        step(feed, api, mirror)
