"""Saved plans as documents, and the row versions that make one stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from syncd.core.models import Create, Delete, FeedMeta, MirrorAd, Origin, Plan, Stage, Update
from syncd.core.payload import payload_hash
from syncd.core.saved_plan import (
    PlanDocumentError,
    changed_rows,
    from_document,
    row_version,
    save,
    to_document,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
META = FeedMeta("feed.json", "c" * 64, 10, NOW)
PAYLOAD = {"title": "Soffa", "price": [{"type": "list", "amount": 1000}]}
ROW = MirrorAd("D1", "b", stage=Stage.DONE, payload_hash="h", updated_at=NOW)


def plan() -> Plan:
    h = payload_hash(PAYLOAD)
    return Plan(
        "D1",
        (
            Create("D1", "a", 2048, PAYLOAD, PAYLOAD, h, followup={"x": 1}),
            Update("D1", "b", 2048, {"title": "Soffa"}, PAYLOAD, h),
            Delete("D1", "c"),
        ),
    )


def test_a_saved_plan_survives_its_json_document_unchanged() -> None:
    """Written and read back, the calls and row versions are the same values."""
    saved = save(plan(), META, {"b": ROW}, None)
    doc = orjson.loads(orjson.dumps(to_document([saved], 4, NOW)))
    assert from_document(doc, 4) == [saved]
    assert saved.rows == {"a": None, "b": row_version(ROW), "c": None}


def test_a_saved_plan_is_shown_by_its_counts_not_every_call() -> None:
    """asyncio.run formats the repr of a command's result: a plan's is a count."""
    saved = save(plan(), META, {"b": ROW}, None)
    assert repr(saved) == (
        "SavedPlan(dealer_code='D1', feed_path='feed.json', actions=<3 calls>, "
        "rows=<3 rows>, guard=None)"
    )


def test_any_write_of_a_row_changes_its_version() -> None:
    """A later updated_at or another stage is another version; a new row is a change too."""
    saved = save(plan(), META, {"b": ROW}, None)
    assert changed_rows(saved, {"b": ROW}) == []
    later = replace(ROW, updated_at=NOW + timedelta(microseconds=1))
    assert changed_rows(saved, {"b": later}) == ["b"]
    assert changed_rows(saved, {"b": replace(ROW, stage=Stage.SENT)}) == ["b"]
    assert changed_rows(saved, {"b": ROW, "a": MirrorAd("D1", "a")}) == ["a"]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"format": "x"}, "not a saved plan"),
        ({"format": "syncd-plan", "version": 2, "api_version": 4}, "format version 2"),
        ({"format": "syncd-plan", "version": 1, "api_version": 3}, "API version 3"),
        ({"format": "syncd-plan", "version": 1, "api_version": 4}, "malformed"),
    ],
)
def test_a_document_that_is_not_an_applicable_plan_is_refused_saying_why(
    doc: dict[str, object], reason: str
) -> None:
    """Another format, version or API version, or a missing part, is refused."""
    with pytest.raises(PlanDocumentError, match=reason):
        from_document(doc, 4)


def test_a_saved_plan_keeps_where_each_call_s_feed_item_sits() -> None:
    """A create's and an update's origin (line or index) survive the document: a problem
    their call finds when the plan is applied still names the item's record."""
    h = payload_hash(PAYLOAD)
    calls = (
        Create("D1", "a", 2048, PAYLOAD, PAYLOAD, h, origin=Origin("feed.jsonl", line=3)),
        Update("D1", "b", 2048, {"title": "S"}, PAYLOAD, h, origin=Origin("feed.json", index=0)),
    )
    saved = save(Plan("D1", calls), META, {"b": ROW}, None)
    [back] = from_document(orjson.loads(orjson.dumps(to_document([saved], 4, NOW))), 4)
    assert [str(a.origin) for a in back.actions] == ["feed.jsonl:3", "feed.json[0]"]


def test_a_plan_saved_without_origins_still_loads_with_none() -> None:
    """Format version 1 as an earlier syncd wrote it (no "origin" key) loads: the calls
    are the same, their origin None (a problem their call finds names no record)."""
    doc = orjson.loads(orjson.dumps(to_document([save(plan(), META, {"b": ROW}, None)], 4, NOW)))
    for action in doc["plans"][0]["actions"]:
        action.pop("origin", None)
    [back] = from_document(doc, 4)
    assert back.actions == plan().actions
    assert [getattr(a, "origin", None) for a in back.actions] == [None, None, None]


def test_a_malformed_origin_is_a_malformed_plan() -> None:
    """An origin whose line is not a number is refused as a malformed plan, saying so."""
    doc = orjson.loads(orjson.dumps(to_document([save(plan(), META, {"b": ROW}, None)], 4, NOW)))
    doc["plans"][0]["actions"][0]["origin"] = {"path": "f.jsonl", "line": "three"}
    with pytest.raises(PlanDocumentError, match="malformed saved plan"):
        from_document(doc, 4)
