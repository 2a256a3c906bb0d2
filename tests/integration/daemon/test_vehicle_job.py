"""The daemon's vehicle_values job: the cached lists fetched again on schedule, kept on failure."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd import bootstrap
from syncd.daemon.jobs import Jobs, mirror_lock
from syncd.daemon.metrics import Metrics
from syncd.daemon.systemd import Notifier
from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings
from tests.integration.daemon.test_daemon_inprocess import settings_for, unavailable_api

pytestmark = pytest.mark.anyio

OLD = "2020-01-01T00:00:00+00:00"
STALE = {
    "fetched_at": OLD,
    "api_version": 4,
    "types": {"car": {"brands": ["volvo"], "models": {"volvo": []}, "body_types": [], "fuels": []}},
}


def _stale_cache(tmp_path: Path) -> Path:
    cache = tmp_path / "mirror.vehicles.json"
    cache.write_text(json.dumps(STALE), encoding="utf-8")
    return cache


async def test_the_job_fetches_every_cached_list_again(tmp_path: Path) -> None:
    """A run of the job refreshes the types and brands the cache holds, from the API."""
    cache = _stale_cache(tmp_path)
    transport = httpx.ASGITransport(app=create_app(SandboxSettings()))
    build = functools.partial(
        bootstrap.build, transport=transport, token=SecretStr(mint_token("D1"))
    )
    container = build(settings_for(tmp_path))
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        await jobs.vehicle_values()
    finally:
        await container.aclose()
    doc = json.loads(cache.read_text(encoding="utf-8"))
    assert doc["fetched_at"] != OLD
    assert "tesla" in doc["types"]["car"]["brands"]
    assert "xc60" in doc["types"]["car"]["models"]["volvo"]


async def test_a_failed_refresh_keeps_the_cache_and_the_daemon(tmp_path: Path) -> None:
    """The API down: the job warns, the old lists stay, and the job does not fail."""
    cache = _stale_cache(tmp_path)
    calls: list[str] = []
    container = unavailable_api(calls)(settings_for(tmp_path))
    try:
        jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock)
        with capture_logs() as logs:
            await jobs.vehicle_values()
    finally:
        await container.aclose()
    assert calls
    assert json.loads(cache.read_text(encoding="utf-8")) == STALE
    events = [e["event"] for e in logs]
    assert "vehicle_values_refresh_failed" in events
    assert "job_failed" not in events
