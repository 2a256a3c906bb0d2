"""The planner: each rule from (feed, mirror) to the entries of a plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncd.core.models import (
    Create,
    Delete,
    FeedItem,
    FeedMeta,
    Invalid,
    InvalidItem,
    Issue,
    MirrorAd,
    Op,
    Origin,
    Plan,
    PlanEntry,
    RemoteState,
    Stage,
    Unchanged,
    Update,
    ValidatedFeed,
)
from syncd.core.payload import payload_hash
from syncd.core.plan import plan

DEALER = "D1"
CREATED, DELETED = RemoteState.CREATED, RemoteState.DELETED

LAPTOP: dict[str, Any] = {
    "category_id": 5022,
    "title": "Laptop",
    "body": "Snabb.",
    "price": [{"type": "list", "amount": 7000, "currency": "SEK"}],
    "contact": {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"},
    "location": {"zipcode": "12133"},
}
CAR: dict[str, Any] = {
    "category_id": 1020,
    "body": "Välskött.",
    "price": [{"type": "list", "amount": 150000, "currency": "SEK"}],
    "category_fields": {"model_year": 2018, "registration_number": "ABC123"},
}
REDUCED = [
    {"type": "list", "amount": 7000, "currency": "SEK"},
    {"type": "reduced", "amount": 5000, "currency": "SEK"},
]


def item(
    source_id: str, payload: dict[str, Any] | None = None, line: int = 1, **changes: Any
) -> FeedItem:
    """A valid feed item (LAPTOP unless given), with top-level changes; None removes a field."""
    body = {**(payload or LAPTOP), **changes}
    body = {k: v for k, v in body.items() if v is not None}
    return FeedItem(
        source_id, body["category_id"], body, payload_hash(body), Origin("feed.json", line=line)
    )


def bad(source_id: str | None, line: int = 1) -> InvalidItem:
    """An invalid feed item."""
    return InvalidItem(Origin("feed.json", line=line), source_id, (Issue("body", "is required"),))


def feed(*records: FeedItem | InvalidItem) -> ValidatedFeed:
    """A validated feed holding these records."""
    meta = FeedMeta("feed.json", "0" * 64, 0, datetime(2025, 5, 1, tzinfo=UTC))
    return ValidatedFeed(
        DEALER,
        meta,
        tuple(r for r in records if isinstance(r, FeedItem)),
        tuple(r for r in records if isinstance(r, InvalidItem)),
    )


def row(
    source_id: str,
    payload: dict[str, Any] | None = None,
    *,
    state: RemoteState | None = CREATED,
    stage: Stage | None = Stage.DONE,
    op: Op = Op.CREATE,
    pending: str | None = None,
    known: bool = True,
) -> MirrorAd:
    """A mirror row; ``known=False`` leaves the accepted payload unknown (None)."""
    body = payload or LAPTOP
    return MirrorAd(
        DEALER,
        source_id,
        category_id=body["category_id"],
        payload=body if known else None,
        payload_hash=payload_hash(body) if known else None,
        remote_state=state,
        last_op=op,
        stage=stage,
        pending_hash=pending,
    )


def only(result: Plan) -> PlanEntry:
    """The single entry of a plan."""
    assert len(result.entries) == 1
    return result.entries[0]


def plan_of(
    *records: FeedItem | InvalidItem, mirror: tuple[MirrorAd, ...] = (), api_version: int = 4
) -> Plan:
    """Plan these feed records against these mirror rows."""
    return plan(feed(*records), {r.source_id: r for r in mirror}, api_version=api_version)


# --- new ads -----------------------------------------------------------------------


def test_a_new_item_is_created_with_its_whole_payload() -> None:
    """An item the mirror does not know becomes a Create whose body is the payload."""
    new = item("a")
    entry = only(plan_of(new))
    assert entry == Create(
        DEALER, "a", 5022, body=LAPTOP, payload=LAPTOP, payload_hash=new.payload_hash
    )


def test_a_reduced_price_is_posted_without_it_then_patched() -> None:
    """The POST body lacks the reduced price; the follow-up PATCH carries the full list."""
    entry = only(plan_of(item("a", price=REDUCED)))
    assert isinstance(entry, Create)
    assert entry.body["price"] == REDUCED[:1]
    assert entry.followup == {"price": REDUCED}
    assert entry.payload["price"] == REDUCED


def test_a_row_never_created_is_created() -> None:
    """A mirror row without a remote state (a create that never reached the API) is created."""
    entry = only(plan_of(item("a"), mirror=(row("a", state=None, stage=None, known=False),)))
    assert isinstance(entry, Create)
    assert not entry.revive


def test_a_registered_vehicle_is_created_without_title_or_contact() -> None:
    """The car's POST body carries neither title nor contact (validation dropped them)."""
    entry = only(plan_of(item("car", CAR)))
    assert isinstance(entry, Create)
    assert "title" not in entry.body
    assert "contact" not in entry.body


# --- live ads ------------------------------------------------------------------------


def test_an_unchanged_item_sends_nothing() -> None:
    """Same hash as the accepted payload: Unchanged, reason same."""
    assert only(plan_of(item("a"), mirror=(row("a"),))) == Unchanged(DEALER, "a", "same")


def test_a_changed_item_sends_only_its_changed_fields() -> None:
    """A new title is the only field of the PATCH."""
    new = item("a", title="Laptop, nästan ny")
    entry = only(plan_of(new, mirror=(row("a"),)))
    assert entry == Update(
        DEALER,
        "a",
        5022,
        changes={"title": "Laptop, nästan ny"},
        payload=new.payload,
        payload_hash=new.payload_hash,
    )


def test_a_removed_field_is_sent_as_null() -> None:
    """A field gone from the feed is cleared with null."""
    entry = only(plan_of(item("a", location=None), mirror=(row("a"),)))
    assert isinstance(entry, Update)
    assert entry.changes == {"location": None}


def test_a_reduced_price_on_a_live_ad_is_patched_directly() -> None:
    """PATCH may carry a reduced price, so the whole new price list is sent."""
    entry = only(plan_of(item("a", price=REDUCED), mirror=(row("a"),)))
    assert isinstance(entry, Update)
    assert entry.changes == {"price": REDUCED}


def test_an_unknown_accepted_payload_sends_the_whole_payload() -> None:
    """After a crash left the accepted payload unknown, the PATCH carries all of it."""
    new = item("a")
    entry = only(plan_of(new, mirror=(row("a", known=False),)))
    assert isinstance(entry, Update)
    assert entry.changes == LAPTOP
    assert not entry.revive


def test_an_errored_call_with_the_same_payload_is_not_resent() -> None:
    """A call the API's processing failed is not repeated while the payload is the same."""
    entry = only(plan_of(item("a"), mirror=(row("a", stage=Stage.ERROR),)))
    assert entry == Unchanged(DEALER, "a", "same")


def test_a_category_change_between_plain_categories_is_patched() -> None:
    """Moving a laptop to Desktop Computers sends the new category_id."""
    entry = only(plan_of(item("a", category_id=5021), mirror=(row("a"),)))
    assert isinstance(entry, Update)
    assert entry.changes == {"category_id": 5021}


# --- what cannot be changed ---------------------------------------------------------


def test_a_changed_registration_number_is_invalid() -> None:
    """A live vehicle's plate cannot change: the item is Invalid and nothing is sent."""
    new_fields = {"model_year": 2018, "registration_number": "XYZ999"}
    entry = only(plan_of(item("car", CAR, category_fields=new_fields), mirror=(row("car", CAR),)))
    assert isinstance(entry, Invalid)
    assert entry.source_id == "car"
    assert entry.origin == Origin("feed.json", line=1)
    assert entry.issues == (
        Issue(
            "category_fields.registration_number",
            "cannot change after the ad was created (was 'ABC123', now 'XYZ999'); give the "
            "vehicle a new source_id",
        ),
    )


def test_other_vehicle_fields_may_change() -> None:
    """A changed model year on a live car is a normal PATCH of category_fields."""
    fields = {"model_year": 2019, "registration_number": "ABC123"}
    entry = only(plan_of(item("car", CAR, category_fields=fields), mirror=(row("car", CAR),)))
    assert isinstance(entry, Update)
    assert entry.changes == {"category_fields": {"model_year": 2019}}


def test_a_category_change_across_registered_vehicles_is_invalid() -> None:
    """A laptop's source_id reused for a car cannot be patched: Invalid."""
    entry = only(plan_of(item("a", CAR), mirror=(row("a"),)))
    assert isinstance(entry, Invalid)
    assert entry.issues[0].field == "category_id"
    assert entry.issues[0].reason.startswith("cannot change from 5022 to 1020")


# --- invalid items and in-flight calls ----------------------------------------------------


def test_an_invalid_item_leaves_its_live_ad_alone() -> None:
    """An invalid new version is reported and its ad is neither updated nor deleted."""
    result = plan_of(bad("a"), mirror=(row("a"),))
    entry = only(result)
    assert isinstance(entry, Invalid)
    assert entry.source_id == "a"
    assert result.actions == ()


def test_an_invalid_item_without_source_id_is_still_reported() -> None:
    """An item with no usable source_id appears as Invalid with source_id None."""
    entry = only(plan_of(bad(None)))
    assert isinstance(entry, Invalid)
    assert entry.source_id is None


def test_in_flight_rows_wait() -> None:
    """While a call is INTENT or SENT, nothing else is sent for that ad, in the feed or not."""
    rows = (
        row("a", stage=Stage.SENT),
        row("b", stage=Stage.INTENT),
        row("c", stage=Stage.SENT, state=None, known=False),
    )
    result = plan_of(item("a", title="New"), item("c"), mirror=rows)
    assert result.entries == (
        Unchanged(DEALER, "a", "in_flight"),
        Unchanged(DEALER, "c", "in_flight"),
        Unchanged(DEALER, "b", "in_flight"),
    )


def test_a_rejected_payload_is_not_resent_until_it_changes() -> None:
    """A payload the API refused stays unsent while the feed holds exactly it."""
    refused = item("a", title="Refused")
    rows = (row("a", stage=Stage.REJECTED, op=Op.UPDATE, pending=refused.payload_hash),)
    assert only(plan_of(refused, mirror=rows)) == Unchanged(DEALER, "a", "still_rejected")
    entry = only(plan_of(item("a", title="Fixed"), mirror=rows))
    assert isinstance(entry, Update)
    assert entry.changes == {"title": "Fixed"}


def test_a_rejected_create_is_not_resent_until_it_changes() -> None:
    """A refused POST is not repeated; a changed item is POSTed again."""
    refused = item("a")
    rows = (row("a", state=None, stage=Stage.REJECTED, known=False, pending=refused.payload_hash),)
    assert only(plan_of(refused, mirror=rows)) == Unchanged(DEALER, "a", "still_rejected")
    assert isinstance(only(plan_of(item("a", title="Fixed"), mirror=rows)), Create)


def test_an_update_the_api_failed_to_apply_is_not_resent_until_the_feed_changes() -> None:
    """A failed update put back at what the API holds (its hash no longer the pending one)
    is not PATCHed while the feed holds what failed; a changed item is diffed against what
    the API holds, so the failed field goes out again with the new one."""
    failed = item("a", title="Failed")
    rows = (row("a", stage=Stage.ERROR, op=Op.UPDATE, pending=failed.payload_hash),)
    assert only(plan_of(failed, mirror=rows)) == Unchanged(DEALER, "a", "still_failed")
    changed = item("a", title="Failed", price=[{"type": "list", "amount": 9}])
    entry = only(plan_of(changed, mirror=rows))
    assert isinstance(entry, Update)
    assert entry.changes["title"] == "Failed"


def test_an_error_whose_change_was_applied_is_unchanged_as_before() -> None:
    """A call that ended in ERROR after its change was applied (a failed publish: the
    accepted payload is the one sent) is the same as the feed: nothing is sent (rule 6)."""
    sent = item("a")
    rows = (row("a", stage=Stage.ERROR, op=Op.UPDATE, pending=sent.payload_hash),)
    assert only(plan_of(sent, mirror=rows)) == Unchanged(DEALER, "a", "same")


# --- deleted ads --------------------------------------------------------------------------


def test_a_deleted_plain_ad_is_revived_by_patch() -> None:
    """A deleted laptop back in the feed is PATCHed whole, with nulls for what was dropped."""
    old = {**LAPTOP, "video_url": "https://video.example.com/1"}
    new = item("a", title="Back again")
    entry = only(plan_of(new, mirror=(row("a", old, state=DELETED, op=Op.DELETE),)))
    assert entry == Update(
        DEALER,
        "a",
        5022,
        changes={**new.payload, "video_url": None},
        payload=new.payload,
        payload_hash=new.payload_hash,
        revive=True,
    )
    assert entry.op is Op.REVIVE


def test_a_deleted_plain_ad_with_the_same_payload_is_still_revived() -> None:
    """Reviving does not depend on the payload having changed."""
    entry = only(plan_of(item("a"), mirror=(row("a", state=DELETED, op=Op.DELETE),)))
    assert isinstance(entry, Update)
    assert entry.revive
    assert entry.changes == LAPTOP


def test_a_deleted_vehicle_is_revived_by_post() -> None:
    """A deleted car back in the feed is POSTed again (PATCH cannot revive vehicles)."""
    new = item(
        "car", CAR, price=[CAR["price"][0], {"type": "reduced", "amount": 1, "currency": "SEK"}]
    )
    entry = only(plan_of(new, mirror=(row("car", CAR, state=DELETED, op=Op.DELETE),)))
    assert isinstance(entry, Create)
    assert entry.revive
    assert entry.op is Op.REVIVE
    assert entry.body["price"] == CAR["price"]
    assert entry.followup == {"price": new.payload["price"]}


def test_a_deleted_vehicle_may_come_back_with_another_plate() -> None:
    """A revive POSTs a new ad, so a different registration number is allowed."""
    fields = {"model_year": 2018, "registration_number": "NEW111"}
    entry = only(
        plan_of(
            item("car", CAR, category_fields=fields),
            mirror=(row("car", CAR, state=DELETED, op=Op.DELETE),),
        )
    )
    assert isinstance(entry, Create)
    assert entry.revive


def test_a_deleted_source_id_may_come_back_as_a_vehicle() -> None:
    """A deleted laptop's source_id given to a car: not a move of a live ad, a new POST."""
    entry = only(plan_of(item("a", CAR), mirror=(row("a", state=DELETED, op=Op.DELETE),)))
    assert isinstance(entry, Create)
    assert entry.revive


def test_a_deleted_vehicle_may_come_back_as_a_plain_ad_by_post() -> None:
    """A deleted car's source_id given to a laptop is POSTed: PATCH cannot revive a car."""
    mirror = (row("car", CAR, state=DELETED, op=Op.DELETE),)
    entry = only(plan_of(item("car"), mirror=mirror))
    assert isinstance(entry, Create)
    assert entry.revive


def test_v4_only_categories_revive_by_patch_on_v3() -> None:
    """A trailer is a simple ad through /v3/ad, so it is revived by PATCH there."""
    trailer = {**CAR, "category_id": 1045}
    mirror = (row("t", trailer, state=DELETED, op=Op.DELETE),)
    assert isinstance(only(plan_of(item("t", trailer), mirror=mirror, api_version=3)), Update)
    assert isinstance(only(plan_of(item("t", trailer), mirror=mirror, api_version=4)), Create)


# --- ads gone from the feed --------------------------------------------------------------


def test_a_live_ad_gone_from_the_feed_is_deleted() -> None:
    """A created ad the feed no longer has is deleted."""
    assert only(plan_of(mirror=(row("a"),))) == Delete(DEALER, "a")


def test_a_rejected_delete_is_tried_again() -> None:
    """A live ad whose DELETE was refused is deleted again on the next run."""
    rows = (row("a", stage=Stage.REJECTED, op=Op.DELETE),)
    assert only(plan_of(mirror=rows)) == Delete(DEALER, "a")


def test_deleted_or_never_created_rows_are_gone() -> None:
    """Rows already deleted, or never created, need nothing."""
    rows = (row("a", state=DELETED, op=Op.DELETE), row("b", state=None, stage=Stage.REJECTED))
    assert plan_of(mirror=rows).entries == (
        Unchanged(DEALER, "a", "gone"),
        Unchanged(DEALER, "b", "gone"),
    )


def test_ads_deleted_earlier_and_still_absent_count_as_gone_not_unchanged() -> None:
    """A deleted (or never created) row still missing from the feed is no live ad left
    unchanged: it counts as ``gone``; the ads the feed agrees with stay ``unchanged``."""
    rows = (
        row("same"),
        row("dead", state=DELETED, op=Op.DELETE),
        row("never", state=None, stage=Stage.REJECTED),
    )
    counts = plan_of(item("same"), mirror=rows).counts()
    assert (counts["unchanged"], counts["gone"]) == (1, 2)


# --- the plan as a whole ------------------------------------------------------------------


def test_entries_follow_the_feed_then_the_sorted_mirror() -> None:
    """Feed records in file order (valid and invalid merged), then mirror-only ids sorted."""
    rows = (row("z"), row("m"), row("b"), row("y", state=DELETED))
    result = plan_of(
        item("b", line=3), bad("q", line=1), item("c", line=4), bad(None, line=2), mirror=rows
    )
    assert [(type(e).__name__, e.source_id) for e in result.entries] == [
        ("Invalid", "q"),
        ("Invalid", None),
        ("Unchanged", "b"),
        ("Create", "c"),
        ("Delete", "m"),
        ("Unchanged", "y"),
        ("Delete", "z"),
    ]


def test_duplicated_source_ids_give_one_invalid_entry_per_record() -> None:
    """Each invalid record is reported on its own, and the live ad is left alone."""
    result = plan_of(bad("a", line=1), bad("a", line=2), mirror=(row("a"),))
    assert [type(e) for e in result.entries] == [Invalid, Invalid]
    assert result.actions == ()


def test_counts_cover_every_kind() -> None:
    """A mixed plan counts each kind once per entry."""
    rows = (row("same"), row("chg"), row("gone"), row("dead", state=DELETED))
    result = plan_of(
        item("same"), item("chg", title="x"), item("new"), item("dead"), bad("oops"), mirror=rows
    )
    assert result.counts() == {
        "create": 1,
        "update": 1,
        "revive": 1,
        "delete": 1,
        "unchanged": 1,
        "invalid": 1,
        "gone": 0,
    }
    assert len(result.actions) == 4
    assert all(e.dealer_code == DEALER for e in result.entries)


def test_a_plan_is_shown_by_its_count_not_every_entry() -> None:
    """asyncio.run formats the repr of a command's result (syncd plan's): a count."""
    assert (
        repr(plan_of(item("a"), item("b"))) == f"Plan(dealer_code={DEALER!r}, entries=<2 entries>)"
    )
