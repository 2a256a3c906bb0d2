"""One run with fakes: an item with a brand the API's lists lack is invalid, the others are sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord
from syncd.core.vehicle_values import TypeValues, VehicleValues
from syncd.reading import read_feed
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
VALUES = VehicleValues(NOW, 4, {"car": TypeValues(brands=("volkswagen", "volvo"))})


def _car(sid: str, brand: str) -> dict[str, Any]:
    return {
        "source_id": sid,
        "category_id": 1020,
        "body": "Bil.",
        "price": [{"type": "list", "amount": 100000}],
        "category_fields": {"model_year": 2019, "registration_number": "ABC123", "brand": brand},
    }


class Cars:
    """A FeedReader of two cars, one of them a 'Volkswagon'."""

    async def read(self, path: str) -> RawFeed:
        records = (_car("a", "volvo"), _car("b", "Volkswagon"))
        return RawFeed(
            FeedMeta(path, "c" * 64, 10, NOW),
            tuple(RawRecord(Origin(path, index=i), r) for i, r in enumerate(records)),
        )

    def changed(self, meta: FeedMeta) -> str | None:
        return None


class Lists:
    """A VehicleValuesSource answering fixed values (or none), recording what was asked."""

    def __init__(self, values: VehicleValues | None) -> None:
        self.values = values
        self.asked: list[Mapping[str, frozenset[str]]] = []

    async def values_for(self, needs: Mapping[str, frozenset[str]]) -> VehicleValues | None:
        self.asked.append(needs)
        return self.values

    async def refresh(self) -> VehicleValues | None:
        return self.values


@pytest.mark.anyio
async def test_the_run_sends_the_valid_car_and_not_the_misspelt_one() -> None:
    """read_feed asks for the brands named; the run creates 'a' only and counts 'b' invalid."""
    lists = Lists(VALUES)
    job = FeedJob("feed.json", "D1", Cars(), vehicles=lists)
    _, feed = await read_feed(job, 4)
    assert lists.asked == [{"car": frozenset({"volvo", "Volkswagon"})}]
    assert [i.source_id for i in feed.invalid] == ["b"]
    mirror, api = FakeMirror(), FakeMarketplace()

    async def no_sleep(seconds: float) -> None:
        return None

    deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)
    report = await sync(deps, job, RunOptions(reconcile_wait=0))
    assert report.counts["invalid"] == 1
    assert report.counts["create"] == 1


@pytest.mark.anyio
async def test_no_lists_means_no_check() -> None:
    """A source with no values (the API never reached): both cars stay valid."""
    _, feed = await read_feed(FeedJob("feed.json", "D1", Cars(), vehicles=Lists(None)), 4)
    assert [i.source_id for i in feed.items] == ["a", "b"]
