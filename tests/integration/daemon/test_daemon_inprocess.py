"""The daemon in-process on a real SQLite mirror: failing jobs, locks, reload and stop."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd import bootstrap, config
from syncd.config import Settings
from syncd.daemon import scheduler as scheduling
from syncd.daemon.jobs import Jobs, mirror_lock
from syncd.daemon.metrics import Metrics
from syncd.daemon.process import Daemon
from syncd.daemon.systemd import Notifier
from syncd.errors import ConfigError
from syncd.mirror.lock import run_lock
from syncd.mirror.sql import SqlMirror
from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings

pytestmark = pytest.mark.anyio

# How long a wait may take: generous for a loaded machine, yet under the sync interval
# (60 s), so that a scheduled run never passes for the event a test waits for.
PATIENCE = 30.0


def settings_for(tmp_path: Path, **daemon: float) -> Settings:
    """A daemon configuration with a SQLite mirror, the sample feed and fast intervals."""
    feed = tmp_path / "inventory.json"
    if not feed.exists():
        shutil.copy(bootstrap.sample_feed_path(), feed)
    return config.parse(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'mirror.db'}"},
            "api": {"base_url": "http://api.test", "retry_attempts": 1, "retry_timeout": 1},
            "feeds": [{"path": str(feed), "settle_seconds": 0}],
            "daemon": {
                "interval": 60,
                "feed_poll_interval": 0.1,
                "reconcile_interval": 0.2,
                "housekeeping_interval": 0.2,
                "health_port": 0,
                "stop_timeout": 5,
                **daemon,
            },
        },
        source="test",
    )


def unavailable_api(calls: list[str]) -> Callable[..., bootstrap.Container]:
    """A builder whose API answers every call with 503."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return httpx.Response(503)

    return functools.partial(
        bootstrap.build, transport=httpx.MockTransport(answer), token=SecretStr("test-token-1234")
    )


async def until(condition: Callable[[], object], timeout: float = PATIENCE) -> None:
    """Wait until condition() is truthy, failing after timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def sample(daemon: Daemon, name: str, **labels: str) -> float:
    """The current value of one metric sample (0 when absent)."""
    return daemon.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_failing_sync_does_not_stop_the_other_jobs(tmp_path: Path) -> None:
    """With the API down, syncs fail and are counted; the other jobs go on; stop is clean."""
    calls: list[str] = []
    daemon = Daemon(
        lambda: settings_for(tmp_path), build=unavailable_api(calls), notifier=Notifier(None)
    )
    with capture_logs() as events:
        task = asyncio.create_task(daemon.run())
        await until(lambda: sample(daemon, "syncd_errors_total", job="sync", kind="ApiUnavailable"))
        await until(
            lambda: sample(daemon, "syncd_job_duration_seconds_count", job="housekeeping") >= 2
        )
        await until(
            lambda: sample(daemon, "syncd_job_duration_seconds_count", job="reconcile") >= 2
        )
    failed = next(e for e in events if e["event"] == "job_failed" and e["job"] == "sync")
    assert failed["dealer_code"] == ""
    assert failed["kind"] == "ApiUnavailable"
    assert sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed") >= 1
    assert sample(daemon, "syncd_api_requests_total", method="POST", status="503") >= 1
    assert daemon.live().ok
    ready = daemon.ready()
    assert not ready.ok
    assert ready.reasons == ("(token dealer): no successful sync yet",)
    daemon.request_stop()
    await asyncio.wait_for(task, PATIENCE)


async def test_an_invalid_reload_keeps_the_running_configuration(tmp_path: Path) -> None:
    """SIGHUP with a broken file logs the error and goes on; a valid one applies."""
    current: dict[str, Settings | None] = {"settings": settings_for(tmp_path)}

    def load() -> Settings:
        if current["settings"] is None:
            raise ConfigError("syncd.toml: daemon.interval: Input should be greater than 0")
        return current["settings"]

    daemon = Daemon(load, build=unavailable_api([]), notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    await until(lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed"))
    current["settings"] = None
    with capture_logs() as events:
        daemon.request_reload()
        await until(lambda: any(e["event"] == "config_reload_failed" for e in events))
    assert daemon.live().ok
    current["settings"] = settings_for(tmp_path, interval=0.5)
    before = sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed")
    daemon.request_reload()
    # The new interval (0.5 s) is in force: more runs follow quickly.
    await until(
        lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed") >= before + 2
    )
    daemon.request_stop()
    await asyncio.wait_for(task, PATIENCE)


async def test_a_dealer_locked_by_another_run_is_skipped_then_synced(tmp_path: Path) -> None:
    """While another process holds the run lock the sync is skipped, not failed; then it runs."""
    settings = settings_for(tmp_path)
    calls: list[str] = []
    engine = bootstrap.build_engine(settings)
    try:
        with run_lock(engine, "", wait=0):
            daemon = Daemon(lambda: settings, build=unavailable_api(calls), notifier=Notifier(None))
            task = asyncio.create_task(daemon.run())
            await until(lambda: sample(daemon, "syncd_job_duration_seconds_count", job="sync") >= 1)
            # Only the token check's read went out (it takes no run lock).
            assert [c for c in calls if c != "GET /v4/ad"] == []
            assert sample(daemon, "syncd_errors_total", job="sync", kind="RunLocked") == 0
        # Released: touching the feed makes the watcher start the sync at once.
        feed = Path(settings.feeds[0].path)
        feed.write_text(feed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        await until(lambda: any(c.startswith("POST ") for c in calls))
        daemon.request_stop()
        await asyncio.wait_for(task, PATIENCE)
    finally:
        engine.dispose()


async def test_a_job_still_running_at_the_stop_timeout_is_cancelled(tmp_path: Path) -> None:
    """A job still running at the stop timeout is cancelled and its run recorded as interrupted."""
    sending = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        if "/vehicles/" in request.url.path:  # the vehicle lists answer (empty): runs start
            return httpx.Response(200, json={"count": 0, "next": None, "results": []})
        if request.url.params.get("limit") == "1":  # the token check: the token is taken
            return httpx.Response(200, json={"count": 0, "next": None, "results": []})
        sending.set()
        await asyncio.Event().wait()  # never answers
        return httpx.Response(503)

    build = functools.partial(
        bootstrap.build, transport=httpx.MockTransport(slow), token=SecretStr("test-token-1234")
    )
    settings = settings_for(tmp_path, stop_timeout=0.3)
    daemon = Daemon(lambda: settings, build=build, notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(sending.wait(), PATIENCE)
    daemon.request_stop()
    await asyncio.wait_for(task, PATIENCE)
    engine = bootstrap.build_engine(settings)
    try:
        mirror = SqlMirror(engine)
        [run] = mirror.runs("", 1)
        assert run.outcome == "failed"
        assert run.message == "interrupted: syncd stopped"
        # The calls cut short stay recorded as intended, for the next run to resolve.
        assert mirror.intents("")
    finally:
        engine.dispose()


async def test_a_feed_change_reaches_the_sandbox_without_a_restart(tmp_path: Path) -> None:
    """The first sync publishes the feed; a changed price reaches the sandbox; metrics agree."""
    app = create_app(SandboxSettings(processing_delay=0.02))
    transport = httpx.ASGITransport(app=app)
    build = functools.partial(
        bootstrap.build, transport=transport, token=SecretStr(mint_token("D1"))
    )
    settings = settings_for(tmp_path)
    daemon = Daemon(lambda: settings, build=build, notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as admin:

        async def prices() -> dict[str, object]:
            ads = (await admin.get("/_sandbox/ads")).json()["results"]
            return {ad["source_id"]: ad["price"] for ad in ads}

        await until(lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="success"))
        assert len(await prices()) == 4
        assert daemon.ready().ok
        feed = Path(settings.feeds[0].path)
        doc = json.loads(feed.read_text(encoding="utf-8"))
        doc["ads"][0]["price"] = [{"type": "list", "amount": 123456, "currency": "SEK"}]
        feed.write_text(json.dumps(doc), encoding="utf-8")
        source_id = doc["ads"][0]["source_id"]
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while "123456" not in json.dumps(price := (await prices())[source_id]):
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"the new price never reached the sandbox: {price}")
            await asyncio.sleep(0.05)
    await until(lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="success") >= 2)
    assert sample(daemon, "syncd_api_requests_total", method="PATCH", status="200") >= 1
    assert sample(daemon, "syncd_ads", dealer_code="", state="live") == 4
    daemon.request_stop()
    await asyncio.wait_for(task, PATIENCE)
    engine = bootstrap.build_engine(settings)
    try:
        assert SqlMirror(engine).intents("") == []
    finally:
        engine.dispose()


async def test_every_job_is_scheduled_without_overlap_and_coalescing(tmp_path: Path) -> None:
    """One sync per feed, watcher, reconcile, housekeeping, the vehicle lists' refresh (every
    [vehicles] max_age), the audit (daily): max 1 instance, coalesced, no grace."""
    settings = settings_for(tmp_path, interval=300)
    container = unavailable_api([])(settings)
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        jobs.use(container, {})
        scheduler = scheduling.make_scheduler()
        scheduling.schedule(scheduler, jobs, settings.daemon)
        scheduler.start(paused=True)  # the defaults apply when jobs reach the job store
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
        assert set(scheduled) == {
            "sync:0",
            "watch",
            "reconcile",
            "housekeeping",
            "vehicle_values",
            "token_check",
            "audit",
        }
        for job in scheduled.values():
            assert job.max_instances == 1
            assert job.coalesce is True
            assert job.misfire_grace_time is None
        assert scheduled["sync:0"].trigger.interval.total_seconds() == 300
        assert scheduled["watch"].trigger.interval.total_seconds() == 0.1
        assert scheduled["vehicle_values"].trigger.interval.total_seconds() == 86400
        # Looks every minute; reads only when nothing proved the token for 900 s.
        assert scheduled["token_check"].trigger.interval.total_seconds() == 60
        assert scheduled["audit"].trigger.interval.total_seconds() == 86400
    finally:
        await container.aclose()


async def test_an_audit_interval_of_0_schedules_no_audit(tmp_path: Path) -> None:
    """``daemon.audit_interval = 0`` turns the audit job off; the others stay."""
    settings = settings_for(tmp_path, audit_interval=0)
    container = unavailable_api([])(settings)
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        jobs.use(container, {})
        scheduler = scheduling.make_scheduler()
        scheduling.schedule(scheduler, jobs, settings.daemon)
        ids = {job.id for job in scheduler.get_jobs()}
        assert "audit" not in ids
        assert {"sync:0", "reconcile", "token_check"} <= ids
    finally:
        await container.aclose()
