"""Saved plans as documents, and the row versions that make one stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from syncd.core.models import Create, Delete, FeedMeta, MirrorAd, Plan, Stage, Update
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
