"""One run with fakes: a create left in INTENT by a crash is never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import (
    Create,
    FeedMeta,
    LogEntry,
    LogState,
    Origin,
    RawFeed,
    RawRecord,
    RemoteAd,
    RemoteState,
    Stage,
)
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

AD = {
    "source_id": "s1",
    "category_id": 2048,
    "title": "Stol",
    "body": "Bra.",
    "price": [{"type": "list", "amount": 5}],
    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class OneFeed:
    """A FeedReader that returns the same one-ad feed."""

    async def read(self, path: str) -> RawFeed:
        meta = FeedMeta(path, "c" * 64, 10, NOW)
        return RawFeed(meta, (RawRecord(Origin(path, index=0), AD),))

    def changed(self, meta: FeedMeta) -> str | None:
        return None


def _deps(mirror: FakeMirror, api: FakeMarketplace) -> Deps:
    async def no_sleep(seconds: float) -> None:
        return None

    return Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)


def _crashed_create(mirror: FakeMirror) -> None:
    """What a run killed between sending a POST and recording its answer leaves."""
    body = {k: v for k, v in AD.items() if k != "source_id"}
    mirror.record_intent(Create("", "s1", 2048, body, body, "h"), NOW)


def _published(request_id: str) -> RemoteAd:
    logs = tuple(LogEntry(a, LogState.DONE, NOW, request_id) for a in ("update", "publish"))
    return RemoteAd("s1", RemoteState.CREATED, blocket_ad_id="9", logs=logs)


@pytest.mark.anyio
async def test_a_create_that_reached_the_api_is_adopted_not_posted_again() -> None:
    """The ad is read back; found, it is PATCHed whole instead of POSTed a second time."""
    mirror, api = FakeMirror(), FakeMarketplace()
    _crashed_create(mirror)
    api.remote["s1"] = _published("r2")  # the PATCH is the second call
    report = await sync(
        _deps(mirror, api), FeedJob("feed.json", "", OneFeed()), RunOptions(reconcile_wait=0)
    )
    assert [m for m, _, _ in api.calls if m != "LIST"] == ["GET", "PATCH"]
    assert report.counts["update"] == 1
    row = mirror.get("", "s1")
    assert row is not None
    assert (row.stage, row.blocket_ad_id) == (Stage.DONE, "9")


@pytest.mark.anyio
async def test_a_create_that_never_arrived_is_posted() -> None:
    """The API does not know the ad: the crashed create is simply sent now."""
    mirror, api = FakeMirror(), FakeMarketplace()
    _crashed_create(mirror)
    report = await sync(
        _deps(mirror, api), FeedJob("feed.json", "", OneFeed()), RunOptions(reconcile_wait=0)
    )
    assert [m for m, _, _ in api.calls if m != "LIST"] == ["GET", "POST"]
    assert report.counts["create"] == 1
    assert report.counts["processing"] == 1


class _BrokenLists(FakeMarketplace):
    async def list_with_logs(self, dealer_code: str, source_ids: Any) -> list[RemoteAd]:
        raise ZeroDivisionError


@pytest.mark.anyio
async def test_an_unexpected_error_still_closes_the_run() -> None:
    """A bug outside any one item's call leaves the run's row failed, not running forever."""
    mirror, api = FakeMirror(), _BrokenLists()
    with pytest.raises(ZeroDivisionError):
        await sync(
            _deps(mirror, api), FeedJob("feed.json", "", OneFeed()), RunOptions(reconcile_wait=0)
        )
    (run,) = mirror.runs(None, 5)
    assert run.outcome == "failed"
    assert run.message == "internal error: ZeroDivisionError"


@pytest.mark.anyio
async def test_an_unexpected_error_in_one_items_call_is_that_items_failure() -> None:
    """A bug in one ad's call is recorded for that ad; the run ends partial, not failed."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", ZeroDivisionError())
    report = await sync(
        _deps(mirror, api), FeedJob("feed.json", "", OneFeed()), RunOptions(reconcile_wait=0)
    )
    assert (report.outcome, report.counts["failed"]) == ("partial", 1)
    assert report.problems == [
        ("s1", "failed, retried next run: internal error (ZeroDivisionError); see the log")
    ]
    row = mirror.get("", "s1")
    assert row is not None
    assert row.stage is Stage.INTENT  # the next run reads it back before re-sending
