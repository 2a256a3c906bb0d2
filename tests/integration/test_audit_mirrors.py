"""The audit use case on both mirrors (SQLite, PostgreSQL) against the in-process sandbox:
a car deleted behind syncd's back is recorded deleted and POSTed again by the next run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from syncd import audit, bootstrap
from syncd.core.models import RemoteState, Stage
from tests.integration.harness import Harness, assert_mirror_agrees, car, goods
from tests.integration.sandbox_server import InProcessSandbox
from tests.integration.test_outside_changes import _delete_elsewhere

pytestmark = pytest.mark.slow


def _audit(h: Harness, *, dry_run: bool = False) -> audit.AuditReport:
    """One audit of the harness's dealer, with the real client and mirror."""

    async def go() -> audit.AuditReport:
        c = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            return await audit.audit(c.mirror, c.catalog, c.clock, h.dealer_code, dry_run=dry_run)
        finally:
            await c.aclose()

    return asyncio.run(go())


def test_a_car_deleted_elsewhere_is_recorded_deleted_and_posted_again(
    tmp_path: Path, database_url: str
) -> None:
    """Feed unchanged: the audit finds the deleted car (a dry run writes nothing), records
    it deleted with its message and log, and the next run revives it (a vehicle: POST)."""
    sandbox = InProcessSandbox(processing_delay=0.02)
    h = Harness(tmp_path, database_url, sandbox)
    feed = [car(1), goods(1)]
    h.write(feed)
    assert h.run().outcome == "success"
    _delete_elsewhere(sandbox, "D1", "car-1")
    dry = _audit(h, dry_run=True)
    assert [(d.source_id, d.kind) for d in dry.findings.drifts] == [("car-1", "deleted_outside")]
    assert h.mirror()["car-1"].remote_state is RemoteState.CREATED
    report = _audit(h)
    assert report.recorded == 1
    row = h.mirror()["car-1"]
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.DELETED)
    assert row.message == audit.DELETED_OUTSIDE
    assert h.mirror()["sofa-1"].remote_state is RemoteState.CREATED
    run = h.run()
    assert run.outcome == "success", run.problems
    assert run.counts["revive"] == 1
    assert_mirror_agrees(h, feed)
    assert sum(_audit(h).counts.values()) == 0


def _posted_elsewhere(sandbox: InProcessSandbox, ad: dict[str, object]) -> None:
    """Another client of the dealer POSTs an ad syncd never sent."""

    async def call() -> None:
        headers = {"X-Auth-Token": sandbox.token("D1")}
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.url) as c:
            response = await c.post("/v4/ad", json=ad, headers=headers)
            assert response.status_code < 300, response.text

    asyncio.run(call())


def test_an_ad_the_mirror_lacks_is_reported_and_not_recorded(
    tmp_path: Path, database_url: str
) -> None:
    """An ad another client POSTed: unknown_to_mirror, no row written for it, and the next
    run (whose feed lacks it) leaves it alone."""
    sandbox = InProcessSandbox(processing_delay=0.02)
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1)])
    assert h.run().outcome == "success"
    _posted_elsewhere(sandbox, goods(9))
    report = _audit(h)
    assert [(d.source_id, d.kind, d.recorded) for d in report.findings.drifts] == [
        ("sofa-9", "unknown_to_mirror", False)
    ]
    assert "sofa-9" not in h.mirror()
    run = h.run()
    assert run.counts["delete"] == 0
    assert sandbox.ads()[("D1", "sofa-9")]["state"] == "created"
