"""Validation skipped for unchanged items: counted through an injected validator, and the
plan made from a skipped item is the plan made from a validated one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import (
    FeedItem,
    FeedMeta,
    InvalidItem,
    MirrorAd,
    Op,
    Origin,
    RawFeed,
    RawRecord,
    RemoteState,
    Stage,
    ValidatedFeed,
)
from syncd.core.plan import payloads_needed, plan
from syncd.core.validate import known as known_module
from syncd.core.validate.feed import validate_item
from syncd.core.validate.known import DeferredPayload, KnownFeed, raw_hash, validate_known
from syncd.core.validate.rules import Limits

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ad(source_id: str, amount: int = 5, **extra: Any) -> dict[str, Any]:
    """A valid feed item (a chair, category 2048)."""
    return {
        "source_id": source_id,
        "category_id": 2048,
        "title": "Stol",
        "body": "Bra.",
        "price": [{"type": "list", "amount": amount}],
        "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
        **extra,
    }


def feed(*items: Any) -> RawFeed:
    meta = FeedMeta("feed.json", "c" * 64, 10, NOW)
    return RawFeed(
        meta, tuple(RawRecord(Origin("feed.json", index=i), d) for i, d in enumerate(items))
    )


class Counting:
    """A validator that counts the records it validates (by source_id)."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def __call__(
        self, record: RawRecord, *, api_version: int, dealer_code: str, limits: Limits
    ) -> FeedItem | InvalidItem:
        self.seen.append(record.source_id())
        return validate_item(
            record, api_version=api_version, dealer_code=dealer_code, limits=limits
        )


def validate(
    raw: RawFeed, mirror: dict[str, MirrorAd], counter: Counting | None = None
) -> KnownFeed:
    return validate_known(
        raw, dealer_code="", api_version=4, known=mirror, validate=counter or Counting()
    )


def accepted(result: KnownFeed, **values: Any) -> dict[str, MirrorAd]:
    """The mirror once the API accepted every valid item, memos recorded (``values`` set)."""
    return {
        item.source_id: replace(
            MirrorAd(
                "",
                item.source_id,
                category_id=item.category_id,
                payload=dict(item.payload),
                payload_hash=item.payload_hash,
                remote_state=RemoteState.CREATED,
                last_op=Op.CREATE,
                stage=Stage.DONE,
                pending_hash=item.payload_hash,
                memo=result.memos.get(item.source_id),
            ),
            **values,
        )
        for item in result.feed.items
    }


def test_an_unchanged_item_is_not_validated_again() -> None:
    """Second run over the same feed: no record reaches the validator; same items out."""
    raw = feed(ad("a"), ad("b"))
    first = validate(raw, {})
    mirror = accepted(first)
    counter = Counting()
    second = validate(feed(ad("a"), ad("b")), mirror, counter)
    assert counter.seen == []
    assert second.skipped == 2
    assert second.memos == {}
    shape = [(i.source_id, i.category_id, i.payload_hash, i.origin) for i in second.feed.items]
    assert shape == [
        (i.source_id, i.category_id, i.payload_hash, i.origin) for i in first.feed.items
    ]
    plan_entries = plan(second.feed, mirror, api_version=4).entries
    assert [e.reason for e in plan_entries] == ["same", "same"]  # type: ignore[union-attr]


def test_a_changed_raw_item_is_validated_and_gets_a_new_memo() -> None:
    """Only the item whose data changed is validated; its memo names its new payload."""
    mirror = accepted(validate(feed(ad("a"), ad("b")), {}))
    counter = Counting()
    result = validate(feed(ad("a"), ad("b", amount=6)), mirror, counter)
    assert counter.seen == ["b"]
    assert set(result.memos) == {"b"}
    [changed] = [i for i in result.feed.items if i.source_id == "b"]
    assert result.memos["b"].payload_hash == changed.payload_hash != mirror["b"].payload_hash


def test_a_rules_version_bump_validates_every_item_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new syncd (RULES_VERSION bumped) validates everything, whatever the memos say."""
    mirror = accepted(validate(feed(ad("a"), ad("b")), {}))
    monkeypatch.setattr(known_module, "RULES_VERSION", known_module.RULES_VERSION + 1)
    counter = Counting()
    result = validate(feed(ad("a"), ad("b")), mirror, counter)
    assert counter.seen == ["a", "b"]
    assert {m.rules for m in result.memos.values()} != {
        m.memo.rules for m in mirror.values() if m.memo
    }


def test_another_api_version_or_limits_validate_again() -> None:
    """The rules key covers the API version and the limits (the model-year bound too)."""
    limits = Limits(max_model_year=2027)
    key = known_module.rules_key(4, limits)
    assert key != known_module.rules_key(3, limits)
    assert key != known_module.rules_key(4, Limits(max_model_year=2028))


def test_an_invalid_unchanged_item_is_reported_on_every_run() -> None:
    """An invalid item never gets a memo: validated, and invalid, run after run."""
    broken = {k: v for k, v in ad("b").items() if k != "body"}
    mirror = accepted(validate(feed(ad("a"), ad("b")), {}))  # "b" was valid once
    for _ in range(2):
        counter = Counting()
        result = validate(feed(ad("a"), broken), mirror, counter)
        assert counter.seen == ["b"]
        assert [(i.source_id, str(i.issues[0])) for i in result.feed.invalid] == [
            ("b", "body: is required")
        ]
        assert "b" not in result.memos


def test_a_memo_for_an_older_payload_is_not_trusted() -> None:
    """The API took another payload since the memo was made: the item is validated."""
    mirror = accepted(validate(feed(ad("a")), {}))
    mirror["a"] = replace(mirror["a"], payload_hash="another")
    counter = Counting()
    validate(feed(ad("a")), mirror, counter)
    assert counter.seen == ["a"]


def test_a_skipped_item_given_twice_is_still_invalid() -> None:
    """Uniqueness is the feed's check: it applies to skipped items too."""
    mirror = accepted(validate(feed(ad("a")), {}))
    result = validate(feed(ad("a"), ad("a")), mirror)
    assert result.feed.items == ()
    assert [i.source_id for i in result.feed.invalid] == ["a", "a"]
    assert result.memos == {}


@pytest.mark.parametrize(
    "row",
    [
        {},
        {"remote_state": RemoteState.DELETED},
        {"remote_state": None},
        {"stage": Stage.SENT},
        {"stage": Stage.INTENT},
        {"stage": Stage.REJECTED},
        {"stage": Stage.ERROR},
    ],
    ids=["live", "deleted", "never-created", "sent", "intent", "rejected", "error"],
)
def test_a_skipped_item_plans_exactly_as_a_validated_one(row: dict[str, Any]) -> None:
    """Whatever state its ad is in, the plan equals the full one; only a live, settled ad's
    item is skipped (any other is sent, so it is validated now)."""
    raw = feed(ad("a", image_urls=["https://cdn.example.com/1.jpg"]))
    mirror = accepted(validate(raw, {}), **row)
    skipped = validate(raw, mirror)
    assert skipped.skipped == (1 if row == {} else 0)
    full: ValidatedFeed = validate(raw, {}).feed
    assert plan(skipped.feed, mirror, api_version=4) == plan(full, mirror, api_version=4)


def test_payloads_are_needed_only_where_the_planner_reads_them() -> None:
    """A live ad with the feed's hash needs no payload; a changed or deleted one does."""
    validated = validate(feed(ad("a"), ad("b"), ad("c")), {})
    mirror = accepted(validated)
    mirror["b"] = replace(mirror["b"], payload_hash="older")
    mirror["c"] = replace(mirror["c"], remote_state=RemoteState.DELETED)
    assert payloads_needed(validated.feed, mirror) == ["b", "c"]


def test_a_deferred_payload_refuses_rules_that_changed_without_a_bump() -> None:
    """Read after its memo went stale by a rule change, the payload says so, loudly."""
    record = RawRecord(Origin("feed.json", index=0), ad("a"))

    def check(r: RawRecord) -> FeedItem | InvalidItem:
        return validate_item(r, api_version=4)

    good = check(record)
    assert isinstance(good, FeedItem)
    assert dict(DeferredPayload(record, good.payload_hash, check)) == good.payload
    with pytest.raises(ValueError, match="RULES_VERSION"):
        dict(DeferredPayload(record, "not-the-hash", check))


def test_a_rules_change_without_a_bump_cannot_fail_a_revive() -> None:
    """A remotely deleted ad whose memo no longer matches what the rules make: its item is
    validated (not skipped), so the revive sends the payload the rules make now."""
    raw = feed(ad("a"))
    mirror = accepted(validate(raw, {}), remote_state=RemoteState.DELETED)
    stale = replace(mirror["a"].memo, payload_hash="x") if mirror["a"].memo else None
    mirror["a"] = replace(mirror["a"], memo=stale, payload_hash="x")
    result = validate(raw, mirror)
    assert result.skipped == 0
    [entry] = plan(result.feed, mirror, api_version=4).entries
    assert dict(entry.payload) == dict(validate(raw, {}).feed.items[0].payload)


def test_raw_hash_ignores_key_order_and_refuses_what_json_cannot_hold() -> None:
    """The same item written in another key order hashes alike; a non-str key: no hash."""
    assert raw_hash({"a": 1, "b": [1, 2]}) == raw_hash({"b": [1, 2], "a": 1})
    assert raw_hash({"a": 1}) != raw_hash({"a": 1.5})
    assert raw_hash({1: "x"}) is None
