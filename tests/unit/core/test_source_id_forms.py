"""One source_id, two Unicode forms: the decomposed (non-NFC) form is refused as an
invalid item naming the composed form, so it never becomes a second ad, and a live ad
keyed by it is neither deleted nor created anew."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.core import source_ids
from syncd.core.models import Delete, FeedMeta, Invalid, InvalidItem, Origin, RawFeed, RawRecord
from syncd.core.plan import plan
from syncd.core.validate.feed import Limits, validate_feed, validate_item
from tests.unit.core.test_plan import feed, row
from tests.unit.core.test_validate import plain

COMPOSED = "\u00c51"  # Å1
DECOMPOSED = "A\u030a1"  # A, combining ring above, 1


def test_the_decomposed_form_is_refused_naming_the_composed_one() -> None:
    """The reason tells the dealer what to write instead."""
    reason = source_ids.problem(DECOMPOSED)
    assert reason is not None
    assert "NFC" in reason
    assert repr(COMPOSED) in reason
    assert source_ids.problem(COMPOSED) is None
    assert source_ids.problem(DECOMPOSED, composed=False) is None


def test_a_decomposed_item_is_invalid_and_keeps_its_own_key() -> None:
    """The item is invalid, field source_id named, and its key is the id exactly as the
    feed wrote it: the live ad under that key is the one kept alive."""
    record = RawRecord(Origin("feed.json", index=2), plain(source_id=DECOMPOSED))
    result = validate_item(record, api_version=4, limits=Limits(max_model_year=2026))
    assert isinstance(result, InvalidItem)
    assert result.source_id == DECOMPOSED
    ((field, reason),) = [(i.field, i.reason) for i in result.issues]
    assert field == "source_id"
    assert "NFC" in reason


def test_both_forms_in_one_feed_give_one_ad() -> None:
    """The composed form is the ad; the decomposed one is invalid, not a second ad."""
    meta = FeedMeta("feed.json", "0" * 64, 0, datetime(2025, 5, 1, tzinfo=UTC))
    records = tuple(
        RawRecord(Origin("feed.json", index=i), plain(source_id=sid))
        for i, sid in enumerate((COMPOSED, DECOMPOSED))
    )
    validated = validate_feed(RawFeed(meta, records), dealer_code="D1", api_version=4)
    assert [i.source_id for i in validated.items] == [COMPOSED]
    assert [i.source_id for i in validated.invalid] == [DECOMPOSED]


def test_a_live_ad_keyed_by_the_decomposed_form_is_left_alone() -> None:
    """Its item is invalid: no delete of the old key, no create of a normalised one."""
    invalid = InvalidItem(Origin("feed.json", index=0), DECOMPOSED, ())
    result = plan(feed(invalid), {DECOMPOSED: row(DECOMPOSED)}, api_version=4)
    assert result.actions == ()
    assert [type(e) for e in result.entries] == [Invalid]


def test_a_decomposed_live_ad_the_feed_dropped_can_still_be_deleted() -> None:
    """The API can reach a decomposed id: it goes as any absent ad goes."""
    result = plan(feed(), {DECOMPOSED: row(DECOMPOSED)}, api_version=4)
    assert [type(a) for a in result.actions] == [Delete]
