"""One run with fakes: the run row records which feed items were invalid, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord, Rejected, RemoteAd
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
AD = {
    "source_id": "ok",
    "category_id": 2048,
    "title": "Stol",
    "body": "Bra.",
    "price": [{"type": "list", "amount": 5}],
    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
}


class TwoInvalid:
    """A FeedReader whose feed holds one valid item and two invalid ones."""

    async def read(self, path: str) -> RawFeed:
        no_price = {k: v for k, v in AD.items() if k != "price"} | {"source_id": "no-price"}
        no_id = {k: v for k, v in AD.items() if k != "source_id"}
        records = (AD, no_price, no_id)
        return RawFeed(
            FeedMeta(path, "c" * 64, 10, NOW),
            tuple(RawRecord(Origin(path, index=i), r) for i, r in enumerate(records)),
        )

    def changed(self, meta: FeedMeta) -> str | None:
        return None


def _deps(mirror: FakeMirror, api: FakeMarketplace) -> Deps:
    async def no_sleep(seconds: float) -> None:
        return None

    return Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)


def _problems(mirror: FakeMirror) -> list[tuple[str | None, str | None, str]]:
    [run] = mirror.runs(None, 1)
    assert run.invalid_omitted == 0
    return [(p.source_id, p.record, p.field) for p in run.invalid]


@pytest.mark.anyio
async def test_a_partial_run_records_each_invalid_item_with_its_record_and_field() -> None:
    """The run row holds one problem per issue of the plan's invalid items, in feed order."""
    mirror, api = FakeMirror(), FakeMarketplace()
    job = FeedJob("feed.json", "D1", TwoInvalid())
    report = await sync(_deps(mirror, api), job, RunOptions(reconcile_wait=0))
    assert report.counts["invalid"] == 2
    assert _problems(mirror) == [
        ("no-price", "feed.json[1]", "price"),
        (None, "feed.json[2]", "source_id"),
    ]
    [run] = mirror.runs(None, 1)
    assert run.invalid[0].reason
    assert run.invalid == report.invalid


class _BrokenLists(FakeMarketplace):
    async def list_with_logs(self, dealer_code: str, source_ids: Any) -> list[RemoteAd]:
        raise ZeroDivisionError


@pytest.mark.anyio
async def test_a_run_stopped_after_planning_still_records_its_invalid_items() -> None:
    """A run that fails once its plan is made keeps the invalid items it found."""
    mirror, api = FakeMirror(), _BrokenLists()
    job = FeedJob("feed.json", "D1", TwoInvalid())
    with pytest.raises(ZeroDivisionError):
        await sync(_deps(mirror, api), job, RunOptions(reconcile_wait=0, allow_mass_delete=True))
    assert mirror.runs(None, 1)[0].outcome == "failed"
    assert [source_id for source_id, _, _ in _problems(mirror)] == ["no-price", None]


class TwoValid:
    """A FeedReader whose feed holds two valid items, ``ok`` and ``boat``."""

    async def read(self, path: str) -> RawFeed:
        records = (AD, AD | {"source_id": "boat"})
        return RawFeed(
            FeedMeta(path, "d" * 64, 10, NOW),
            tuple(RawRecord(Origin(path, index=i), r) for i, r in enumerate(records)),
        )

    def changed(self, meta: FeedMeta) -> str | None:
        return None


@pytest.mark.anyio
async def test_a_vehicle_type_the_api_lacks_makes_its_items_invalid_and_the_run_goes_on() -> None:
    """A create answered "no typed path for this vehicle type" (the client's Rejected) is
    an invalid item of the run, its reason naming the type; the other item is created,
    the run is partial, and the next run sends the create again (nothing recorded on it)."""
    mirror, api = FakeMirror(), FakeMarketplace()
    reason = "the API has no typed path for vehicle type 'boat' (...): api.typed_paths"
    api.answer("POST", "boat", Rejected(404, (reason,), missing_vehicle_type="boat"))
    job = FeedJob("feed.json", "D1", TwoValid())
    report = await sync(_deps(mirror, api), job, RunOptions(reconcile_wait=0))
    assert (report.counts["create"], report.counts["invalid"]) == (1, 1)
    assert report.outcome == "partial"
    [run] = mirror.runs(None, 1)
    assert [(p.source_id, p.field, p.reason) for p in run.invalid] == [
        ("boat", "category_id", reason)
    ]
    assert mirror.load("D1")["boat"].stage is None
    assert mirror.load("D1")["ok"].stage is not None
    await sync(_deps(mirror, api), job, RunOptions(reconcile_wait=0))
    posts = sorted(source_id for method, source_id, _ in api.calls if method == "POST")
    assert posts == ["boat", "boat", "ok"]


@pytest.mark.anyio
async def test_an_item_its_call_found_invalid_is_recorded_with_its_record() -> None:
    """A create answered "no typed path for this vehicle type": the run's problem names
    where the item sits in the feed (``feed.json[1]``), as the plan's invalid items do,
    so ``status`` can point at it."""
    mirror, api = FakeMirror(), FakeMarketplace()
    reason = "the API has no typed path for vehicle type 'boat' (...): api.typed_paths"
    api.answer("POST", "boat", Rejected(404, (reason,), missing_vehicle_type="boat"))
    report = await sync(
        _deps(mirror, api), FeedJob("feed.json", "D1", TwoValid()), RunOptions(reconcile_wait=0)
    )
    assert [(p.source_id, p.record, p.field) for p in report.invalid] == [
        ("boat", "feed.json[1]", "category_id")
    ]
    assert mirror.runs(None, 1)[0].invalid == report.invalid
