"""v3 ads v4 cannot update: which ones, what migrate-v4 does with each, and the run's gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.core.models import (
    FeedItem,
    FeedMeta,
    InvalidItem,
    Issue,
    MirrorAd,
    Origin,
    RemoteAd,
    RemoteState,
    Update,
    ValidatedFeed,
)
from syncd.core.plan import plan
from syncd.core.v4_migration import (
    BLOCKED_CATEGORIES,
    blocked_message,
    is_blocked_v3,
    migrations,
)
from syncd.execute import Executor
from syncd.v3_ads import v3_gate
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

ORIGIN = Origin("feed.json")


def remote(source_id: str, version: str | None, category_id: int = 1121, **kw: object) -> RemoteAd:
    """An ad as the API lists it."""
    state = kw.pop("state", RemoteState.CREATED)
    return RemoteAd(
        source_id,
        state,  # type: ignore[arg-type]
        api_version=version,
        content={"category_id": category_id},
    )


def item(source_id: str, category_id: int = 1121) -> FeedItem:
    """A valid feed item."""
    payload = {"category_id": category_id, "body": "x"}
    return FeedItem(source_id, category_id, payload, f"h-{source_id}", ORIGIN)


def update(source_id: str, category_id: int = 1121) -> Update:
    """A PATCH of one field."""
    payload = {"category_id": category_id, "body": "y"}
    return Update("D1", source_id, category_id, {"body": "y"}, payload, f"h-{source_id}")


def test_the_blocked_categories_are_the_seeds_four() -> None:
    """Trailer, Caravan, Motorhome (camper) and Mopeds: the ✨ V4 rows."""
    assert frozenset({1045, 1101, 1102, 1121}) == BLOCKED_CATEGORIES


@pytest.mark.parametrize(
    ("ad", "blocked"),
    [
        (remote("a", "v3"), True),
        (remote("a", "V3", 1045), True),
        (remote("a", "v4"), False),
        (remote("a", None), False),  # unknown version: nothing held back on a guess
        (remote("a", "v3", 1020), False),  # a v3 car: v4's PATCH auto-converts it
        (remote("a", "v3", state=RemoteState.DELETED), False),
        (None, False),
    ],
)
def test_only_a_live_v3_ad_of_a_blocked_category_is_blocked(
    ad: RemoteAd | None, blocked: bool
) -> None:
    """The API's api_version and category decide, as the API's refusal does."""
    assert is_blocked_v3(ad) is blocked


def test_migrations_pair_each_blocked_ad_with_the_feed_or_say_why_not() -> None:
    """A valid item is migrated; an invalid one and a missing one are reported."""
    issue = Issue("category_fields", "is required")
    found = migrations(
        [remote("m3", "v3"), remote("m1", "v3"), remote("m2", "v3"), remote("v4", "v4")],
        [item("m1"), item("v4")],
        [InvalidItem(ORIGIN, "m2", (issue,))],
    )
    assert [(m.source_id, m.kind) for m in found] == [
        ("m1", "migrate"),
        ("m2", "invalid"),
        ("m3", "not_in_feed"),
    ]
    assert found[0].item == item("m1")
    assert found[1].issues == (issue,)


def test_the_blocked_message_names_the_command_and_the_dealer() -> None:
    """An operator reading the run's report knows what to type."""
    assert "`syncd migrate-v4 --dealer D1`" in blocked_message("D1")
    assert "`syncd migrate-v4`" in blocked_message("")


@pytest.mark.anyio
async def test_the_gate_holds_back_only_v3_ads_and_asks_only_about_suspects() -> None:
    """One list request for the mopeds; the car is not asked about; the v3 moped is blocked."""
    api = FakeMarketplace()
    api.remote = {"m1": remote("m1", "v3"), "m2": remote("m2", "v4")}
    mirror = FakeMirror()
    gate = v3_gate(api, 4)
    executor = Executor(mirror, api, FixedClock(), hold_updates=gate)
    results = await executor.apply([update("m1"), update("m2"), update("car", 1020)])
    assert [c[:2] for c in api.calls if c[0] == "LIST"] == [("LIST", "m1,m2")]
    assert sorted(c[1] for c in api.calls if c[0] == "PATCH") == ["car", "m2"]
    assert results.moved == {"update": -1, "blocked": 1}
    assert [s for s, _ in results.problems] == ["m1"]
    assert mirror.get("D1", "m1") is None  # nothing recorded: the row is left as it is


def test_through_v3_there_is_no_gate() -> None:
    """A syncd on v3 PATCHes v3 ads through v3, which the table allows."""
    assert v3_gate(FakeMarketplace(), 3) is None


def _plan_one(old: dict[str, object], new: dict[str, object]) -> object:
    """The planner's entry for one live moped whose mirror payload is ``old``."""
    meta = FeedMeta("feed.json", "c", 1, datetime(2026, 1, 1, tzinfo=UTC))
    feed = ValidatedFeed("D1", meta, (FeedItem("m1", 1121, new, "new", ORIGIN),), ())
    row = MirrorAd("D1", "m1", 1121, old, "old", remote_state=RemoteState.CREATED)
    return plan(feed, {"m1": row}, api_version=4).entries[0]


def test_a_v3_moped_gets_its_first_plate_from_the_v4_feed() -> None:
    """A v3 simple ad has no vehicle fields: giving the plate is not changing it."""
    old = {"category_id": 1121, "title": "Moped", "body": "x"}
    new = {"category_id": 1121, "body": "x", "category_fields": {"registration_number": "M1"}}
    assert isinstance(_plan_one(old, new), Update)


def test_a_v4_mopeds_plate_still_cannot_change() -> None:
    """Once the ad has vehicle fields, a new plate is refused as before."""
    old = {"category_id": 1121, "body": "x", "category_fields": {"registration_number": "M1"}}
    new = {"category_id": 1121, "body": "x", "category_fields": {"registration_number": "M2"}}
    entry = _plan_one(old, new)
    assert not isinstance(entry, Update)
