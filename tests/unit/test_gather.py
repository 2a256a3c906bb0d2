"""The collector is off while a run builds, frozen once it has built, and all back after;
skipped vehicles carry the payload the API accepted."""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import (
    Accepted,
    Create,
    FeedItem,
    FeedMeta,
    InvalidItem,
    Origin,
    RawFeed,
    RawRecord,
    RemoteState,
    Stage,
)
from syncd.core.validate.feed import validate_item
from syncd.core.validate.known import DeferredPayload, validate_known
from syncd.gather import accepted_vehicle_payloads, collector_spared
from tests.fakes import FakeMirror


def test_the_collector_is_off_then_frozen_then_back() -> None:
    """Off inside, on again once settled with what was built frozen; unfrozen at the end."""
    assert gc.isenabled()
    with collector_spared() as settle:
        assert not gc.isenabled()
        built = [{"n": i} for i in range(1000)]
        settle()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_that_fails_before_settling_turns_the_collector_back_on() -> None:
    """An exception while building leaves the collector as it found it."""
    with pytest.raises(RuntimeError), collector_spared():
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_nested_runs_leave_nothing_frozen_once_one_ends() -> None:
    """Two runs at once (the daemon): the first to end unfreezes (what it froze may be
    garbage now); the collector stays on and nothing stays frozen after the last."""
    with collector_spared() as outer:
        outer()
        with collector_spared() as inner:
            inner()
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


class _Node:
    """A cycle (it refers to itself): only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_staggered_runs_do_not_keep_their_garbage_frozen() -> None:
    """Daemon dealers whose runs overlap without pause (one starts before the other
    ends): a cycle an ended run built is collected, not frozen for as long as they do."""
    current = collector_spared()
    current.__enter__()()
    first: weakref.ref[_Node] | None = None
    for _ in range(3):
        following = collector_spared()
        settle = following.__enter__()
        node = _Node()
        first = first or weakref.ref(node)
        del node  # garbage of the run that is ending, frozen by the next one's settle
        settle()
        current.__exit__(None, None, None)
        current = following
    gc.collect()
    try:
        assert first is not None
        assert first() is None
    finally:
        current.__exit__(None, None, None)


CAR = {
    "source_id": "car-1",
    "category_id": 1020,
    "body": "Välskött bil. Servad, besiktigad, två nycklar.",
    "price": [{"type": "list", "amount": 150_000}],
    "location": {"zipcode": "12133"},
    "category_fields": {
        "model_year": 2018,
        "registration_number": "ABC123",
        "brand": "volvo",
        "model": "v70",
        "condition": {"mileage": {"value": 12_000, "unit": "km"}},
        "powertrain": {"fuels": ["petrol"], "transmission": "automatic"},
    },
}


def test_a_skipped_vehicle_carries_the_accepted_payload_without_validating() -> None:
    """The vehicle check reads the payloads of vehicles: a skipped one gets the mirror's
    (same hash), and nothing is validated for it."""
    raw = RawFeed(
        FeedMeta("f.json", "c" * 64, 1, datetime(2026, 11, 25, tzinfo=UTC)),
        (RawRecord(Origin("f.json", index=0), CAR),),
    )
    first = validate_known(raw, dealer_code="", api_version=4, known={})
    [item] = first.feed.items
    mirror = FakeMirror()
    action = Create("", "car-1", 1020, item.payload, item.payload, item.payload_hash)
    mirror.record_intent(action, datetime(2026, 11, 25, tzinfo=UTC))
    mirror.record_accepted(action, Accepted(201, "r1"), datetime(2026, 11, 25, tzinfo=UTC))
    mirror.remember("", first.memos)
    for key, row in mirror.ads.items():  # reconciled: live and settled
        mirror.ads[key] = replace(row, stage=Stage.DONE, remote_state=RemoteState.CREATED)
    validations: list[RawRecord] = []

    def counting(record: RawRecord, **kwargs: Any) -> FeedItem | InvalidItem:
        validations.append(record)
        return validate_item(record, **kwargs)

    again = validate_known(
        raw, dealer_code="", api_version=4, known=mirror.load_states(""), validate=counting
    )
    assert again.skipped == 1
    [carried] = accepted_vehicle_payloads(again.feed, mirror, 4).items
    assert not isinstance(carried.payload, DeferredPayload)
    assert carried.payload == item.payload
    assert carried.payload_hash == item.payload_hash
    assert validations == []
