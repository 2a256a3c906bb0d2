"""The daemon with a feed at a URL: synced on its schedule, never by the file watcher."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.config import Settings
from syncd.daemon.jobs import Jobs, mirror_lock
from syncd.daemon.metrics import Metrics
from syncd.daemon.process import Daemon
from syncd.daemon.systemd import Notifier
from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings
from tests.feed_server import FeedServer, Reply, feed_server

pytestmark = pytest.mark.anyio
PATIENCE = 30.0


def settings_for(tmp_path: Path, url: str) -> Settings:
    """A daemon configuration whose one feed is at ``url``, the watcher checking often."""
    return config.parse(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'mirror.db'}"},
            "api": {"base_url": "http://api.test", "retry_attempts": 1, "retry_timeout": 1},
            "feeds": [{"url": url}],
            "daemon": {"interval": 60, "feed_poll_interval": 0.1, "health_port": 0},
        },
        source="test",
    )


async def until(condition: Callable[[], object], timeout: float = PATIENCE) -> None:
    """Wait until condition() is truthy, failing after timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def published(server: FeedServer) -> str:
    """The bundled sample feed published by ``server``; its URL."""
    server.routes["/stock.json"] = Reply(bootstrap.sample_feed_path().read_bytes())
    return server.url("/stock.json")


async def test_the_daemon_syncs_a_url_feed_at_start(tmp_path: Path) -> None:
    """The first scheduled sync fetches the URL and publishes its ads to the sandbox."""
    app = create_app(SandboxSettings(processing_delay=0.02))
    transport = httpx.ASGITransport(app=app)
    token = SecretStr(mint_token("D1"))
    build = functools.partial(bootstrap.build, transport=transport, token=token)
    with feed_server() as server:
        settings = settings_for(tmp_path, published(server))
        daemon = Daemon(lambda: settings, build=build, notifier=Notifier(None))
        task = asyncio.create_task(daemon.run())
        registry = daemon.metrics.registry
        labels = {"dealer_code": "", "outcome": "success"}
        await until(lambda: registry.get_sample_value("syncd_runs_total", labels))
        daemon.request_stop()
        await asyncio.wait_for(task, PATIENCE)
        assert [s.answered for s in server.seen] == [200]
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as admin:
        assert (await admin.get("/_sandbox/ads")).json()["count"] == 4


async def test_the_watcher_never_triggers_a_url_feed(tmp_path: Path) -> None:
    """A URL is not a file to watch: checks of it start no sync and fetch nothing."""
    with feed_server() as server:
        settings = settings_for(tmp_path, published(server))
        container = bootstrap.build(settings, transport=httpx.MockTransport(httpx.Response))
        try:
            triggered: list[int] = []
            jobs = Jobs(container, Metrics(), Notifier(None), mirror_lock, trigger=triggered.append)
            jobs.use(container, {})
            for _ in range(3):
                await jobs.watch()
            assert triggered == []
            assert server.seen == []
        finally:
            await container.aclose()
