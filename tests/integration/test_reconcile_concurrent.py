"""The action logs of the calls in flight are read in concurrent listings, bounded.

A real SQLite mirror holds 40 creates sent to the sandbox (a subprocess over real
HTTP), none reconciled yet. A wrapper around the real client counts the listings
under way (entered and not yet returned): never more than ``max_in_flight``, and that
many at once when there are enough listings. An error that stops the run is raised
and loses nothing: every ad is settled or still in flight for the next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd import bootstrap
from syncd.core.models import Create, Payload, RemoteAd, Stage, WriteResult
from syncd.errors import ApiUnavailable
from syncd.execute import Executor
from syncd.ports import Marketplace
from syncd.runs import Deps, RunOptions
from syncd.settling import reconcile
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import SandboxServer

D = "D1"
ADS = 40
BATCH = 5  # 8 listings


class Listings:
    """The real client; counts the listings under way, and fails the chosen one."""

    def __init__(self, inner: Marketplace, fail_at: int | None = None) -> None:
        self.inner = inner
        self.fail_at = fail_at  # the n-th listing (from 1) raises ApiUnavailable
        self.under_way = 0
        self.peak = 0
        self.started = 0

    async def list_with_logs(self, dealer_code: str, source_ids: Sequence[str]) -> list[RemoteAd]:
        self.started += 1
        self.under_way += 1
        self.peak = max(self.peak, self.under_way)
        try:
            if self.started == self.fail_at:
                raise ApiUnavailable("the API is down")
            return await self.inner.list_with_logs(dealer_code, source_ids)
        finally:
            self.under_way -= 1

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        raise AssertionError("reconciling reads listings")

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        raise AssertionError("reconciling sends nothing")

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> WriteResult:
        raise AssertionError("reconciling sends nothing")

    async def delete(self, dealer_code: str, source_id: str) -> WriteResult:
        raise AssertionError("reconciling sends nothing")


class Clock:
    """The real time: the sandbox settles calls as time passes."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def harness(tmp_path: Path, http_sandbox: SandboxServer) -> Harness:
    """A harness on a SQLite file, against the sandbox subprocess (emptied)."""
    http_sandbox.reset()
    return Harness(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", http_sandbox)


async def _sent_then_reconciled(
    h: Harness, max_in_flight: int, fail_at: int | None = None
) -> tuple[Listings, dict[str, int] | Exception, dict[str, Stage | None]]:
    """ADS creates sent (not reconciled), then one reconcile through ``Listings``."""
    container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
    try:
        ads = [goods(i) for i in range(ADS)]
        creates = [Create(D, a["source_id"], 2048, a, a, f"h{a['source_id']}") for a in ads]
        executor = Executor(container.mirror, container.marketplace, Clock(), 4)
        assert (await executor.apply(creates)).counts["sent"] == ADS
        api = Listings(container.marketplace, fail_at)
        deps = Deps(mirror=container.mirror, marketplace=api, clock=Clock())
        options = RunOptions(
            max_in_flight=max_in_flight, batch_size=BATCH, reconcile_wait=20, poll_interval=0.05
        )
        outcome: dict[str, int] | Exception
        try:
            outcome = await reconcile(deps, D, options)
        except ApiUnavailable as exc:
            outcome = exc
        stages = {sid: ad.stage for sid, ad in container.mirror.load(D).items()}
        return api, outcome, stages
    finally:
        await container.aclose()


@pytest.mark.parametrize("max_in_flight", [1, 4])
def test_listings_go_out_concurrently_bounded_and_settle_every_ad(
    harness: Harness, max_in_flight: int
) -> None:
    """8 listings of 5: at most (and at some point exactly) max_in_flight under way; every
    ad settled, counted once."""
    api, counts, stages = asyncio.run(_sent_then_reconciled(harness, max_in_flight))
    assert api.peak == max_in_flight
    assert api.started >= ADS // BATCH
    assert counts == {"done": ADS, "error": 0, "processing": 0}
    assert set(stages.values()) == {Stage.DONE}


def test_an_error_that_stops_the_run_is_raised_and_loses_no_ad(harness: Harness) -> None:
    """The API down on the second listing: reconcile raises it; each ad is either settled
    (its listing was answered) or still sent, for the next run to read again."""
    api, outcome, stages = asyncio.run(_sent_then_reconciled(harness, 4, fail_at=2))
    assert isinstance(outcome, ApiUnavailable)
    assert api.started <= 4  # no listing started after the error
    assert set(stages.values()) <= {Stage.DONE, Stage.SENT}
    assert list(stages.values()).count(Stage.SENT) >= BATCH  # the failed listing's ads
