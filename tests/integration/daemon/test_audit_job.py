"""The daemon's audit job: an ad deleted behind syncd's back found, counted and revived;
skipped while another process holds the dealer's run lock; stopped at once by SIGTERM."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd import bootstrap, settling
from syncd.core.models import RemoteState, Stage
from syncd.daemon.jobs import Jobs, mirror_lock
from syncd.daemon.metrics import Metrics
from syncd.daemon.systemd import Notifier
from syncd.mirror.lock import run_lock
from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings
from tests.integration.daemon.test_daemon_inprocess import PATIENCE, settings_for

pytestmark = pytest.mark.anyio

TOKEN = mint_token("D1")


async def _deleted_elsewhere(transport: httpx.AsyncBaseTransport, source_id: str) -> None:
    """Another client DELETEs the ad; returns once the sandbox settled the delete."""
    headers = {"X-Auth-Token": TOKEN}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=headers
    ) as c:
        assert (await c.delete(f"/v4/ad/{source_id}")).status_code == 200
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while asyncio.get_running_loop().time() < deadline:
            log = (await c.get(f"/v4/ad/{source_id}/log")).json()["results"]
            done = all(e["state"] in ("done", "error") for e in log)
            if done and (await c.get(f"/v4/ad/{source_id}")).json()["state"] == "deleted":
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the delete did not settle")


def _drift(jobs: Jobs, kind: str) -> float:
    """The audit's count of drifts of this kind, for the token dealer."""
    return (
        jobs.metrics.registry.get_sample_value(
            "syncd_drift_total", {"dealer_code": "", "kind": kind}
        )
        or 0.0
    )


async def test_the_audit_job_records_an_ad_deleted_outside_and_the_next_sync_revives_it(
    tmp_path: Path,
) -> None:
    """Sync, DELETE behind syncd's back, audit: the row is deleted with its message, the
    metric counts it, the gauges say so, the feed's sync is started; that sync (feed
    unchanged) puts it back."""
    transport = httpx.ASGITransport(app=create_app(SandboxSettings(processing_delay=0.02)))
    build = functools.partial(bootstrap.build, transport=transport, token=SecretStr(TOKEN))
    container = build(settings_for(tmp_path))
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        jobs.use(container, {})
        await jobs.sync(0)
        # The sample feed's first ad, as the mirror holds it once its create settled.
        source_id = sorted(container.mirror.load(""))[0]
        await asyncio.wait_for(_settled(container), PATIENCE)
        await _deleted_elsewhere(transport, source_id)
        triggered: list[int] = []
        jobs.trigger = triggered.append
        with capture_logs() as logs:
            await jobs.audit()
        assert triggered == [0]  # the feed's sync is started at once, to revive it
        row = container.mirror.load("")[source_id]
        assert (row.remote_state, row.stage) == (RemoteState.DELETED, Stage.DONE)
        assert row.message is not None
        assert "deleted outside syncd" in row.message
        assert _drift(jobs, "deleted_outside") == 1
        assert _drift(jobs, "live_outside") == 0
        gauge = {"dealer_code": "", "state": "deleted"}
        assert jobs.metrics.registry.get_sample_value("syncd_ads", gauge) == 1
        events = [e["event"] for e in logs]
        assert "ad_deleted_outside" in events
        assert "audit_finished" in events
        assert "job_failed" not in events
        await jobs.sync(0)
        await asyncio.wait_for(_settled(container), PATIENCE)
        assert container.mirror.load("")[source_id].remote_state is RemoteState.CREATED
    finally:
        await container.aclose()


async def _settled(container: bootstrap.Container) -> None:
    """Until no call of the token dealer is in flight (reconciled by hand, as the job does)."""
    options = container.options()
    while container.mirror.in_flight(""):
        await settling.reconcile(container.deps(), "", options)
        await asyncio.sleep(0.02)


async def test_the_audit_job_skips_a_dealer_locked_by_another_process(tmp_path: Path) -> None:
    """Another process (a run-once) holds the run lock: nothing is listed, the job is
    skipped, not failed."""
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"count": 0, "next": None, "results": []})

    settings = settings_for(tmp_path)
    container = bootstrap.build(
        settings, transport=httpx.MockTransport(answer), token=SecretStr(TOKEN)
    )
    engine = bootstrap.build_engine(settings)
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        jobs.use(container, {})
        with run_lock(engine, "", wait=0), capture_logs() as logs:
            await jobs.audit()
        assert calls == []
        events = [e["event"] for e in logs]
        assert "job_skipped_locked" in events
        assert "job_failed" not in events
    finally:
        engine.dispose()
        await container.aclose()


async def test_sigterm_stops_an_audit_at_once_while_it_lists(tmp_path: Path) -> None:
    """The daemon's stop cancels the audit's listing (a read) at once: the job ends as
    stopped, nothing recorded, and no dealer after it is audited."""
    listing = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        listing.set()
        await asyncio.Event().wait()  # never answers
        return httpx.Response(503)

    container = bootstrap.build(
        settings_for(tmp_path), transport=httpx.MockTransport(slow), token=SecretStr(TOKEN)
    )
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        jobs.use(container, {})
        with capture_logs() as logs:
            task = asyncio.create_task(jobs.audit())
            await asyncio.wait_for(listing.wait(), PATIENCE)
            jobs.stop("by SIGTERM")
            await asyncio.wait_for(task, PATIENCE)
        events = [e["event"] for e in logs]
        assert "job_stopped" in events
        assert "audit_finished" not in events
        assert "job_failed" not in events
        assert container.mirror.load("") == {}
    finally:
        await container.aclose()
