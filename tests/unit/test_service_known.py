"""Runs with fakes: unchanged items are not validated again, nor their payloads read,
while changed items are, and invalid ones are reported on every run."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd import gather
from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord, Stage
from syncd.core.vehicle_values import TypeValues, VehicleValues
from syncd.service import Deps, FeedJob, RunOptions, RunReport, sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ad(source_id: str, amount: int = 5) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "category_id": 2048,
        "title": "Stol",
        "body": "Bra.",
        "price": [{"type": "list", "amount": amount}],
        "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
    }


class Feed:
    """A FeedReader returning whatever ``items`` holds now."""

    def __init__(self, *items: Any) -> None:
        self.items = items

    async def read(self, path: str) -> RawFeed:
        meta = FeedMeta(path, "c" * 64, 10, NOW)
        records = (RawRecord(Origin(path, index=i), d) for i, d in enumerate(self.items))
        return RawFeed(meta, tuple(records))

    def changed(self, meta: FeedMeta) -> str | None:
        return None


async def run(mirror: FakeMirror, api: FakeMarketplace, feed: Feed) -> tuple[RunReport, dict]:
    """One run; then every call settles (as the action logs would say). Returns the
    report and the ``feed_validated`` event."""

    async def no_sleep(seconds: float) -> None:
        return None

    deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)
    with capture_logs() as logs:
        report = await sync(deps, FeedJob("feed.json", "", feed), RunOptions(reconcile_wait=0))
    for key, row in mirror.ads.items():
        mirror.ads[key] = replace(row, stage=Stage.DONE)
    [event] = [e for e in logs if e["event"] == "feed_validated"]
    return report, event


def writes(api: FakeMarketplace) -> list[tuple[str, str]]:
    return [(method, sid) for method, sid, _ in api.calls if method in ("POST", "PATCH", "DELETE")]


@pytest.mark.anyio
async def test_a_no_op_run_validates_nothing_and_reads_no_payload() -> None:
    """After a first sync, the same feed is neither validated nor diffed against payloads."""
    mirror, api, feed = FakeMirror(), FakeMarketplace(), Feed(ad("a"), ad("b"))
    _, first = await run(mirror, api, feed)
    assert (first["validated"], first["skipped"]) == (2, 0)
    assert all(row.memo is not None for row in mirror.ads.values())
    api.calls.clear()
    mirror.payload_reads.clear()
    report, second = await run(mirror, api, feed)
    assert (second["validated"], second["skipped"]) == (0, 2)
    assert mirror.payload_reads == []
    assert writes(api) == []
    assert report.counts["unchanged"] == 2
    assert report.feed_modified_at == NOW  # the feed's own time, for the daemon's feed age


@pytest.mark.anyio
async def test_a_changed_item_is_validated_and_an_invalid_one_reported_every_run() -> None:
    """Churn: only the changed item is validated (and its payload read); the invalid item
    is validated and reported on each run, never remembered."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await run(mirror, api, Feed(ad("a"), ad("b"), ad("c")))
    broken = {k: v for k, v in ad("c").items() if k != "body"}
    feed = Feed(ad("a"), ad("b", amount=6), broken)
    api.calls.clear()
    mirror.payload_reads.clear()
    report, event = await run(mirror, api, feed)
    assert (event["validated"], event["skipped"]) == (2, 1)
    assert mirror.payload_reads == [["b"]]
    assert writes(api) == [("PATCH", "b")]
    assert ("c", "body: is required") in report.problems
    again, event = await run(mirror, api, feed)
    assert (event["validated"], event["skipped"]) == (1, 2)  # "b" remembered once accepted
    assert ("c", "body: is required") in again.problems
    assert again.counts["invalid"] == 1


CAR = {
    "source_id": "car-1",
    "category_id": 1020,
    "body": "Välskött bil. Servad, besiktigad, två nycklar.",
    "price": [{"type": "list", "amount": 150_000}],
    "location": {"zipcode": "12133"},
    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
    "category_fields": {
        "model_year": 2018,
        "registration_number": "ABC123",
        "brand": "volvo",
        "model": "v70",
        "condition": {"mileage": {"value": 12_000, "unit": "km"}},
        "powertrain": {"fuels": ["petrol"], "transmission": "automatic"},
    },
}


class Lists:
    """A VehicleValuesSource whose lists may change between runs; records each ask."""

    def __init__(self, brands: tuple[str, ...]) -> None:
        self.brands = brands
        self.asked: list[dict[str, frozenset[str]]] = []

    async def values_for(self, needs: Any) -> VehicleValues:
        self.asked.append(dict(needs))
        models = dict.fromkeys(self.brands, ("v70", "golf"))
        car = TypeValues(brands=self.brands, models=models, fuels=("petrol",))
        return VehicleValues(NOW, 4, {"car": car})

    async def refresh(self) -> VehicleValues | None:
        return None


@pytest.mark.anyio
async def test_a_skipped_vehicle_is_not_checked_against_the_lists_a_changed_one_is() -> None:
    """A live, unchanged car sends nothing: it is neither validated nor checked against
    the vehicle lists (even once they no longer list its brand), and its payload is
    never read; once it changes it is validated and checked, and refused before sending."""
    mirror, api, lists = FakeMirror(), FakeMarketplace(), Lists(("volvo",))

    async def go(*items: Any) -> tuple[RunReport, dict]:
        deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=_no_sleep)
        job = FeedJob("feed.json", "", Feed(*items), vehicles=lists)
        with capture_logs() as logs:
            report = await sync(deps, job, RunOptions(reconcile_wait=0))
        for key, row in mirror.ads.items():
            mirror.ads[key] = replace(row, stage=Stage.DONE)
        [event] = [e for e in logs if e["event"] == "feed_validated"]
        return report, event

    first, _ = await go(CAR)
    assert first.counts["create"] == 1
    assert lists.asked == [{"car": frozenset({"volvo"})}]
    lists.brands = ("volkswagen",)  # the API retired the slug the live ad has
    api.calls.clear()
    mirror.payload_reads.clear()
    report, event = await go(CAR)
    assert (event["validated"], event["skipped"]) == (0, 1)
    assert report.counts["unchanged"] == 1
    assert report.counts["invalid"] == 0
    assert lists.asked[-1] == {}  # nothing to check
    assert mirror.payload_reads == []
    changed = {**CAR, "price": [{"type": "list", "amount": 140_000}]}
    report, event = await go(changed)
    assert (event["validated"], event["skipped"]) == (1, 0)
    assert lists.asked[-1] == {"car": frozenset({"volvo"})}
    assert report.counts["invalid"] == 1
    assert writes(api) == []


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.mark.anyio
async def test_validation_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a run validates its feed, the event loop goes on (the daemon's other runs,
    its health endpoint): the validation waits here for a task of the loop to run."""
    started, loop_ran = threading.Event(), threading.Event()
    real = gather.validate_known

    def waiting(*args: Any, **kwargs: Any) -> Any:
        started.set()
        assert loop_ran.wait(timeout=60), "the event loop was blocked by the validation"
        return real(*args, **kwargs)

    monkeypatch.setattr(gather, "validate_known", waiting)

    async def beside() -> None:  # runs on the loop once the validation has begun
        assert await asyncio.to_thread(started.wait, 60)
        loop_ran.set()

    mirror, api = FakeMirror(), FakeMarketplace()
    _, (report, _) = await asyncio.gather(beside(), run(mirror, api, Feed(ad("a"))))
    assert report.counts["create"] == 1


@pytest.mark.anyio
async def test_a_live_vehicle_turned_hidden_by_a_rehearsal_is_checked_before_it_is_sent() -> None:
    """``[sync] visible = false`` set on a live feed: every unchanged ad is updated (sent
    hidden), so none is skipped past the vehicle lists: a car whose brand the lists
    retired is refused before its update goes out, as any item that is sent."""
    mirror, api, lists = FakeMirror(), FakeMarketplace(), Lists(("volvo",))

    async def go(visible: bool | None) -> RunReport:
        deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=_no_sleep)
        job = FeedJob("feed.json", "", Feed(CAR), vehicles=lists, visible=visible)
        report = await sync(deps, job, RunOptions(reconcile_wait=0))
        for key, row in mirror.ads.items():
            mirror.ads[key] = replace(row, stage=Stage.DONE)
        return report

    assert (await go(None)).counts["create"] == 1
    lists.brands = ("volkswagen",)  # the API retired the slug the live ad has
    api.calls.clear()
    report = await go(False)
    assert lists.asked[-1] == {"car": frozenset({"volvo"})}
    assert report.counts["invalid"] == 1
    assert writes(api) == []
