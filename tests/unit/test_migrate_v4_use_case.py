"""The migrate-v4 use case on fakes: what is sent, recorded and reported for each v3 ad."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.cli.stopping import GracefulStop
from syncd.core.models import (
    Accepted,
    FeedItem,
    FeedMeta,
    InvalidItem,
    Issue,
    LogEntry,
    LogState,
    Origin,
    Payload,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
    ValidatedFeed,
)
from syncd.errors import ApiContractError, ApiUnavailable, Stopped
from syncd.migrate_v4 import MigrateDeps, migrate
from syncd.runs import RunOptions
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

ORIGIN = Origin("feed.json")
META = FeedMeta("feed.json", "c", 1, datetime(2026, 1, 1, tzinfo=UTC))


class Api(FakeMarketplace):
    """The fake marketplace with the catalog's listing and the migrate call."""

    def __init__(self) -> None:
        super().__init__()
        self.migrate_answers: dict[str, Accepted | Rejected] = {}

    async def list_ads(self, dealer_code: str, state: RemoteState) -> list[RemoteAd]:
        return [r for r in self.remote.values() if r.state is state]

    async def ad_log(self, dealer_code: str, source_id: str) -> list[LogEntry] | None:
        return None

    async def migrate(self, dealer_code: str, source_id: str, payload: Payload) -> Any:
        self.calls.append(("MIGRATE", source_id, dict(payload)))
        return self.migrate_answers.get(source_id, Accepted(200, f"m-{source_id}"))


def v3(source_id: str, version: str = "v3") -> RemoteAd:
    """A live moped as the API lists it."""
    return RemoteAd(
        source_id, RemoteState.CREATED, api_version=version, content={"category_id": 1121}
    )


def feed(items: Sequence[str], invalid: Sequence[str] = ()) -> ValidatedFeed:
    """A v4 feed with these valid and invalid mopeds."""
    valid = tuple(
        FeedItem(s, 1121, {"category_id": 1121, "body": s}, f"h-{s}", ORIGIN) for s in items
    )
    bad = tuple(InvalidItem(ORIGIN, s, (Issue("category_fields", "is required"),)) for s in invalid)
    return ValidatedFeed("D1", META, valid, bad)


def deps(api: Api, mirror: FakeMirror) -> MigrateDeps:
    """The ports, all fakes."""
    return MigrateDeps(mirror, api, api, api, FixedClock())


OPTIONS = RunOptions(reconcile_wait=0)


@pytest.mark.anyio
async def test_a_dry_run_sends_and_records_nothing() -> None:
    """Dry run: the listing only; every v3 moped reported with what would happen."""
    api, mirror = Api(), FakeMirror()
    api.remote = {"m1": v3("m1"), "m2": v3("m2"), "m3": v3("m3"), "m4": v3("m4", "v4")}
    report = await migrate(deps(api, mirror), feed(["m1", "m4"], ["m2"]), OPTIONS, dry_run=True)
    assert [(a.source_id, a.result) for a in report.ads] == [
        ("m1", "would_migrate"),
        ("m2", "invalid"),
        ("m3", "not_in_feed"),
    ]
    assert report.ads[1].message == "category_fields: is required"
    assert api.calls == []
    assert mirror.get("D1", "m1") is None


@pytest.mark.anyio
async def test_a_migration_sends_the_whole_payload_and_records_it_as_sent() -> None:
    """The feed's payload goes whole; the row holds it, SENT, until the log settles it."""
    api, mirror = Api(), FakeMirror()
    api.remote = {"m1": v3("m1")}
    report = await migrate(deps(api, mirror), feed(["m1"]), OPTIONS, dry_run=False)
    assert ("MIGRATE", "m1", {"category_id": 1121, "body": "m1"}) in api.calls
    row = mirror.get("D1", "m1")
    assert row is not None
    assert (row.stage, row.payload_hash, row.request_id) == (Stage.SENT, "h-m1", "m-m1")
    assert [(a.source_id, a.result) for a in report.ads] == [("m1", "processing")]


@pytest.mark.anyio
async def test_a_refusal_of_an_ad_already_v4_counts_as_migrated() -> None:
    """A retry after a lost answer is refused ("already v4"): read back, it is recorded."""
    api, mirror = Api(), FakeMirror()
    api.remote = {"m1": v3("m1")}
    api.migrate_answers["m1"] = Rejected(400, ("This ad is already a v4 ad.",))
    done = LogEntry("publish", LogState.DONE, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    migrated = RemoteAd("m1", RemoteState.CREATED, api_version="v4", logs=(done,))

    class ReadsBackV4(Api):
        async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
            return migrated

    again = ReadsBackV4()
    again.remote, again.migrate_answers = api.remote, api.migrate_answers
    await migrate(deps(again, mirror), feed(["m1"]), OPTIONS, dry_run=False)
    row = mirror.get("D1", "m1")
    assert row is not None
    assert row.stage is not Stage.REJECTED
    assert row.payload_hash == "h-m1"


@pytest.mark.anyio
async def test_a_refusal_is_recorded_with_the_apis_message() -> None:
    """A 400 on a still-v3 ad: the row is REJECTED with the API's words."""
    api, mirror = Api(), FakeMirror()
    api.remote = {"m1": v3("m1")}
    api.migrate_answers["m1"] = Rejected(400, ("category_fields: brand: required",))
    report = await migrate(deps(api, mirror), feed(["m1"]), OPTIONS, dry_run=False)
    row = mirror.get("D1", "m1")
    assert row is not None
    assert (row.stage, row.message) == (Stage.REJECTED, "category_fields: brand: required")
    assert [(a.result, a.message) for a in report.ads] == [
        ("rejected", "category_fields: brand: required")
    ]
    assert report.failed


@pytest.mark.anyio
async def test_one_ads_unexpected_failure_is_that_ads_the_others_are_migrated() -> None:
    """A garbled answer for one ad reports it as an error (its intent left for the next
    run to read back); the others are still migrated. The API down stops the command."""
    api, mirror = Api(), FakeMirror()
    for sid in ("a", "b", "c"):
        api.remote[("D1", sid)] = v3(sid)
    real = api.migrate

    async def migrate_or_fail(dealer_code: str, source_id: str, payload: Payload) -> Any:
        if source_id == "b":
            raise ApiContractError("POST /v4/ad/b/migrate: the answer is not JSON")
        return await real(dealer_code, source_id, payload)

    api.migrate = migrate_or_fail  # type: ignore[method-assign]
    report = await migrate(deps(api, mirror), feed(["a", "b", "c"]), OPTIONS, dry_run=False)
    results = {a.source_id: (a.result, a.message) for a in report.ads}
    assert [sid for method, sid, _ in api.calls if method == "MIGRATE"] == ["a", "c"]
    assert results["b"][0] == "error"
    assert "the answer is not JSON" in (results["b"][1] or "")
    assert results["a"][0] != "error"
    assert results["c"][0] != "error"
    assert mirror.ads[("D1", "b")].stage is Stage.INTENT
    assert report.failed

    async def down(dealer_code: str, source_id: str, payload: Payload) -> Any:
        raise ApiUnavailable("POST /v4/ad/a/migrate: connection failed")

    api.migrate = down  # type: ignore[method-assign]
    with pytest.raises(ApiUnavailable):
        await migrate(deps(api, FakeMirror()), feed(["a"]), OPTIONS, dry_run=False)


class HeldMigrations(Api):
    """Migrations that wait until released; ``arrived`` says one reached the API."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def migrate(self, dealer_code: str, source_id: str, payload: Payload) -> Any:
        self.arrived.set()
        await self.release.wait()
        return await super().migrate(dealer_code, source_id, payload)


@pytest.mark.anyio
async def test_a_stop_answers_the_migration_in_flight_and_sends_no_other() -> None:
    """Behind the stop's gate: a stop while m1's migration is in flight lets it be
    answered and recorded; m2's is held back, never sent, its intent left for the next
    run to read back; m3 is not touched; the step ends in Stopped."""
    api, mirror = HeldMigrations(), FakeMirror()
    api.remote = {s: v3(s) for s in ("m1", "m2", "m3")}
    stop = GracefulStop("migrate-v4")
    gated = MigrateDeps(mirror, api, stop.marketplace(api), stop.migrator(api), FixedClock())
    step = asyncio.ensure_future(
        stop.step(migrate(gated, feed(["m1", "m2", "m3"]), OPTIONS, dry_run=False))
    )
    await api.arrived.wait()
    stop.request(signal.SIGTERM)
    api.release.set()
    with pytest.raises(Stopped):
        await step
    assert [c[1] for c in api.calls if c[0] == "MIGRATE"] == ["m1"]
    stages = {s: getattr(mirror.get("D1", s), "stage", None) for s in ("m1", "m2", "m3")}
    assert stages == {"m1": Stage.SENT, "m2": Stage.INTENT, "m3": None}


class ReadBackHangs(HeldMigrations):
    """Held migrations whose read-back never answers (only a cancellation ends it)."""

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        await asyncio.Event().wait()
        raise AssertionError("not reached")


@pytest.mark.anyio
async def test_a_stop_cancelling_a_refusals_read_back_keeps_the_refusal_and_its_message() -> None:
    """m1's migration in flight at the stop is refused; the stop then cancels the read-back
    that would tell a lost answer's success: the row is REJECTED with the API's words
    (status shows them), not an INTENT with the message lost; m2 is never sent."""
    api, mirror = ReadBackHangs(), FakeMirror()
    api.remote = {s: v3(s) for s in ("m1", "m2")}
    api.migrate_answers["m1"] = Rejected(400, ("category_fields: brand: required",))
    stop = GracefulStop("migrate-v4")
    gated = MigrateDeps(mirror, api, stop.marketplace(api), stop.migrator(api), FixedClock())
    step = asyncio.ensure_future(
        stop.step(migrate(gated, feed(["m1", "m2"]), OPTIONS, dry_run=False))
    )
    await api.arrived.wait()
    stop.request(signal.SIGTERM)
    api.release.set()
    with pytest.raises(Stopped):
        await step
    row = mirror.get("D1", "m1")
    assert row is not None
    assert (row.stage, row.message) == (Stage.REJECTED, "category_fields: brand: required")
    assert [c[1] for c in api.calls if c[0] == "MIGRATE"] == ["m1"]
