"""The absent marks a sync records, as the renewal policies after it read them: an ad the
feed no longer has is never bumped, even one whose call was still in flight at the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.models import (
    LogEntry,
    LogState,
    MirrorAd,
    Op,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
)
from syncd.core.renewal_models import Caps, RenewalPolicy
from syncd.renewals import RenewalDeps, run_policy
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FakeRenewalLog, FakeRenewer, FixedClock
from tests.unit.test_service import OneFeed

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
POLICY = RenewalPolicy("p", timedelta(days=7), Caps(3, 10), categories=frozenset({2048}))


def _updating(source_id: str) -> MirrorAd:
    """A live ad whose PATCH (sent by the run before) is still processing."""
    return MirrorAd(
        "",
        source_id,
        category_id=2048,
        remote_state=RemoteState.CREATED,
        last_op=Op.UPDATE,
        stage=Stage.SENT,
        request_id="r-old",
        sent_at=NOW - timedelta(minutes=5),
        created_at=NOW - timedelta(days=30),
        blocket_ad_id="7",
        payload={"title": "x"},
    )


async def _no_sleep(seconds: float) -> None:
    return None


async def test_an_ad_gone_from_the_feed_while_its_call_was_in_flight_is_not_bumped() -> None:
    """The feed dropped ``gone`` while its PATCH was processing: the plan leaves it (in
    flight: its delete waits for the next run), the run's reconcile settles the PATCH,
    and the policy after the sync (run-once, or the daemon's renew job before the next
    sync) must not pay to bump an ad the dealer no longer sells."""
    mirror = FakeMirror()
    mirror.ads[("", "gone")] = _updating("gone")
    api = FakeMarketplace()
    at = NOW - timedelta(minutes=4)
    done = tuple(LogEntry(a, LogState.DONE, at, "r-old") for a in ("update", "publish"))
    api.remote["gone"] = RemoteAd("gone", RemoteState.CREATED, blocket_ad_id="7", logs=done)
    clock = FixedClock(NOW)
    deps = Deps(mirror=mirror, marketplace=api, clock=clock, sleep=_no_sleep)
    options = RunOptions(reconcile_wait=0, max_in_flight=1, allow_mass_delete=True)
    await sync(deps, FeedJob("feed.json", "", OneFeed()), options)
    row = mirror.get("", "gone")
    assert row is not None
    assert (row.remote_state, row.stage) == (RemoteState.CREATED, Stage.DONE)
    assert row.absent_since == NOW
    renewer = FakeRenewer()
    renewal_deps = RenewalDeps(mirror, FakeRenewalLog(), renewer, clock)
    report = await run_policy(renewal_deps, POLICY, "", api_version=4)
    assert renewer.calls == []
    assert report.due == 0


async def test_an_ad_whose_update_the_api_refused_is_still_bumped() -> None:
    """The feed changed ``s1`` and the API refused the PATCH (400): the ad stays live as
    last accepted, known and still for sale, and the policy right after the sync bumps
    it (``core.renewals._eligible`` says why; an ad whose call the API's processing
    failed, stage ERROR, is skipped)."""
    mirror = FakeMirror()
    mirror.ads[("", "s1")] = MirrorAd(
        "",
        "s1",
        category_id=2048,
        remote_state=RemoteState.CREATED,
        stage=Stage.DONE,
        created_at=NOW - timedelta(days=30),
        blocket_ad_id="7",
        payload={"title": "old"},
        payload_hash="old",
    )
    api = FakeMarketplace()
    api.answer("PATCH", "s1", Rejected(400, ("price: is too high",)))
    clock = FixedClock(NOW)
    deps = Deps(mirror=mirror, marketplace=api, clock=clock, sleep=_no_sleep)
    options = RunOptions(reconcile_wait=0, max_in_flight=1)
    await sync(deps, FeedJob("feed.json", "", OneFeed()), options)
    row = mirror.get("", "s1")
    assert row is not None
    assert (row.remote_state, row.stage) == (RemoteState.CREATED, Stage.REJECTED)
    assert row.absent_since is None
    renewer = FakeRenewer()
    renewal_deps = RenewalDeps(mirror, FakeRenewalLog(), renewer, clock)
    report = await run_policy(renewal_deps, POLICY, "", api_version=4)
    assert [c[1] for c in renewer.calls] == ["s1"]
    assert report.due == 1
