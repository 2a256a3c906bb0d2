"""A run with fakes: deletes wait for an unchanged feed; an ambiguous item protects its ads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import (
    DuplicateKey,
    FeedMeta,
    MirrorAd,
    Op,
    Origin,
    RawFeed,
    RawRecord,
    RemoteState,
    Stage,
)
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ad(source_id: str) -> dict[str, Any]:
    """A valid sofa."""
    return {
        "source_id": source_id,
        "category_id": 2048,
        "title": "Stol",
        "body": "Bra.",
        "price": [{"type": "list", "amount": 5}],
        "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
    }


class Feed:
    """A FeedReader of fixed records whose file 'changes' after ``changes_after`` looks."""

    def __init__(self, *records: RawRecord, changes_after: int | None = None) -> None:
        self.records, self.changes_after, self.looks = records, changes_after, 0

    async def read(self, path: str) -> RawFeed:
        return RawFeed(FeedMeta(path, "c" * 64, 10, NOW), self.records)

    def changed(self, meta: FeedMeta) -> str | None:
        self.looks += 1
        if self.changes_after is not None and self.looks > self.changes_after:
            return "feed.jsonl: the feed file changed during the run"
        return None


def _record(line: int, data: dict[str, Any], *dups: DuplicateKey) -> RawRecord:
    return RawRecord(Origin("feed.jsonl", line=line), data, dups)


def _live(mirror: FakeMirror, *source_ids: str) -> None:
    for sid in source_ids:
        mirror.ads[("", sid)] = MirrorAd(
            "",
            sid,
            category_id=2048,
            payload={"category_id": 2048},
            payload_hash="old",
            remote_state=RemoteState.CREATED,
            last_op=Op.CREATE,
            stage=Stage.DONE,
        )


async def _run(mirror: FakeMirror, api: FakeMarketplace, reader: Feed) -> Any:
    async def no_sleep(seconds: float) -> None:
        return None

    deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)
    return await sync(deps, FeedJob("feed.jsonl", "", reader), RunOptions(reconcile_wait=0))


@pytest.mark.anyio
async def test_deletes_are_held_back_when_the_feed_changed_during_the_run() -> None:
    """No DELETE goes out, the report says why, and the new ad is still created."""
    mirror, api = FakeMirror(), FakeMarketplace()
    _live(mirror, *(f"x{i}" for i in range(10)), "gone")
    feed = [_record(i + 1, ad(f"x{i}")) for i in range(10)]
    report = await _run(mirror, api, Feed(*feed, _record(11, ad("new")), changes_after=0))
    methods = {m for m, _, _ in api.calls}
    assert "DELETE" not in methods
    assert ("POST", "new") in {(m, s) for m, s, _ in api.calls}
    assert report.counts["deletes_held"] == 1
    assert any("1 delete(s) held back" in w and "changed" in w for w in report.warnings)
    assert report.outcome == "partial"
    gone = mirror.get("", "gone")
    assert gone is not None
    assert (gone.remote_state, gone.stage) == (RemoteState.CREATED, Stage.DONE)


@pytest.mark.anyio
async def test_deletes_go_out_when_the_feed_is_unchanged() -> None:
    """The same run with a still file sends its delete (the check holds back nothing else)."""
    mirror, api = FakeMirror(), FakeMarketplace()
    _live(mirror, *(f"x{i}" for i in range(10)), "gone")
    feed = [_record(i + 1, ad(f"x{i}")) for i in range(10)]
    report = await _run(mirror, api, Feed(*feed))
    assert ("DELETE", "gone") in {(m, s) for m, s, _ in api.calls}
    assert "deletes_held" not in report.counts


@pytest.mark.anyio
async def test_an_item_with_two_source_ids_protects_both_live_ads() -> None:
    """Neither candidate's ad is deleted or changed, and the item is reported with both ids."""
    mirror, api = FakeMirror(), FakeMarketplace()
    _live(mirror, "a", "b", *(f"x{i}" for i in range(10)))
    both = DuplicateKey("source_id", 2, ("a", "b"))
    feed = [_record(i + 1, ad(f"x{i}")) for i in range(10)]
    report = await _run(mirror, api, Feed(*feed, _record(11, ad("b"), both)))
    touched = {s for m, s, _ in api.calls if m in ("POST", "PATCH", "DELETE")}
    assert touched.isdisjoint({"a", "b"})
    assert report.guard is None  # not an item "without a source_id": the others may go on
    (problem,) = [p for p in report.problems if "source_id" in p[1]]
    assert problem[0] is None
    assert "'a', 'b'" in problem[1]
    assert "given 2 times" in problem[1]
