"""The status page over HTTP from the daemon's server, on a real SQLite mirror with known rows."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from syncd import bootstrap
from syncd.core.models import RunOutcome
from syncd.daemon.process import Daemon
from syncd.daemon.status import HeldBackCache, gather
from syncd.daemon.systemd import Notifier
from tests.integration.daemon.statuspage_mirror import (
    CONTACT,
    HOSTILE,
    served_status_page,
    settings_for,
)
from tests.integration.harness import goods
from tests.pages import ads_by_dealer, tables

PATIENCE = 30.0


def test_the_page_shows_the_numbers_the_mirror_holds(tmp_path: Path) -> None:
    """Counts per dealer, the failing ads, the withheld deletes, the runs and the chart."""
    with served_status_page(tmp_path) as served:
        response = httpx.get(served.url, timeout=PATIENCE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    ads = ads_by_dealer(page)
    assert (ads["D1"]["live"], ads["D1"]["rejected"], ads["D1"]["total"]) == ("5", "1", "6")
    assert (ads["D2"]["live"], ads["D2"]["failed"], ads["D2"]["deleted"]) == ("2", "1", "1")
    assert ads["all dealers"]["total"] == "10"
    found = tables(page)
    failing = {row[1]: row for row in found["failing"][1:]}
    assert set(failing) == {"sofa-5", "car-2"}
    assert failing["sofa-5"][4] == f"title: {HOSTILE}"
    assert failing["car-2"][4] == "handle_media: image 404"
    [held] = found["withheld"][1:]
    assert held[:3] == ["D1", "3", "sofa-2, sofa-3, sofa-4"]
    assert "guards.max_delete_fraction" in held[3]
    outcomes = [row[4] for row in found["runs"][1:]]
    assert outcomes == ["running", "failed", "guarded", "success"]
    assert "4 runs and 14 API requests" in page


def test_the_page_holds_no_contact_data_and_no_live_markup(tmp_path: Path) -> None:
    """No seller name, phone or e-mail from the payloads; the hostile message is text."""
    with served_status_page(tmp_path) as served:
        page = httpx.get(served.url, timeout=PATIENCE).text
    for value in CONTACT:
        assert value not in page, value
    assert "<script" not in page
    assert "&lt;script&gt;" in page


def unavailable(request: httpx.Request) -> httpx.Response:
    """The API is down: the daemon's own syncs fail, the page is served all the same."""
    return httpx.Response(503)


def free_port() -> int:
    """A port free now (the daemon binds it right after: a race only with other tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.anyio
async def test_the_daemon_serves_the_page_beside_metrics(tmp_path: Path) -> None:
    """The running daemon answers /status and /metrics on its one health port, and lists
    the configured dealer."""
    port = free_port()
    base = settings_for(tmp_path)
    daemon_settings = base.daemon.model_copy(
        update={"health_port": port, "interval": 3600, "stop_timeout": 5}
    )
    api = base.api.model_copy(update={"retry_attempts": 1, "retry_timeout": 1})
    settings = base.model_copy(update={"daemon": daemon_settings, "api": api})
    build = partial(
        bootstrap.build, transport=httpx.MockTransport(unavailable), token=SecretStr("t-1234567")
    )
    daemon = Daemon(lambda: settings, build=build, notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            page = await _get(client, "/status")
            metrics = await client.get("/metrics")
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, PATIENCE)
    assert page.status_code == 200
    assert "syncd status" in page.text
    # Its own first sync may have recorded intents by now: the row is there, whatever it counts.
    assert "D1" in ads_by_dealer(page.text)
    assert metrics.status_code == 200
    assert "syncd_runs_total" in metrics.text


def refusing(request: httpx.Request) -> httpx.Response:
    """The API refuses the token (an expired one) on every call."""
    return httpx.Response(403, json={"detail": "token expired"})


@pytest.mark.anyio
async def test_the_page_says_the_api_refuses_the_token_and_never_shows_it(
    tmp_path: Path,
) -> None:
    """A token the API answers 403: the running daemon's page (as /readyz) says so, with
    the dealer and the call refused, and holds no trace of the token."""
    port = free_port()
    base = settings_for(tmp_path)
    daemon_settings = base.daemon.model_copy(
        update={"health_port": port, "interval": 3600, "stop_timeout": 5}
    )
    api = base.api.model_copy(update={"retry_attempts": 1, "retry_timeout": 1})
    settings = base.model_copy(update={"daemon": daemon_settings, "api": api})
    token = "t-secret-7654321"
    build = partial(
        bootstrap.build, transport=httpx.MockTransport(refusing), token=SecretStr(token)
    )
    daemon = Daemon(lambda: settings, build=build, notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            page = await _get(client, "/status")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + PATIENCE
            while "The API refuses the token" not in page.text:  # the check at start
                assert loop.time() < deadline, page.text[-3000:]
                await asyncio.sleep(0.05)
                page = await client.get("/status")
            ready = await client.get("/readyz")
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, PATIENCE)
    assert ready.status_code == 503
    rows = tables(page.text)["token"][1:]
    assert ["D1", "HTTP 403"] in [row[:2] for row in rows], rows
    assert token not in page.text
    assert "t-secret" not in page.text


async def _get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    """GET once the server listens (it starts with the daemon)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while True:
        try:
            return await client.get(path)
        except httpx.ConnectError:
            assert loop.time() < deadline, "the daemon's HTTP server never answered"
            await asyncio.sleep(0.05)


def test_a_dealer_whose_last_run_was_not_guarded_has_no_feed_read(tmp_path: Path) -> None:
    """After a successful run nothing is held back, and the page does not read the feed."""
    with served_status_page(tmp_path) as served:
        (tmp_path / "inventory.json").unlink()
        guarded = httpx.get(served.url, timeout=PATIENCE).text
        run_id = served.mirror.start_run("D1", None, datetime.now(UTC))
        served.mirror.finish_run(run_id, RunOutcome.SUCCESS, {}, None, datetime.now(UTC))
        after = httpx.get(served.url, timeout=PATIENCE).text
    assert tables(guarded)["withheld"][1][3].startswith("feed unreadable:")
    assert "No delete is held back." in after


def test_the_withheld_set_is_computed_once_while_nothing_changed(tmp_path: Path) -> None:
    """A second page reuses the set; a new feed file brings a new one."""
    with served_status_page(tmp_path) as served:
        cache = HeldBackCache()
        container = served.container
        first = gather(container, datetime.now(UTC), held_back=cache).held_back
        again = gather(container, datetime.now(UTC), held_back=cache).held_back
        feed = tmp_path / "inventory.json"
        feed.write_text(json.dumps({"ads": [goods(i) for i in range(5)]}), encoding="utf-8")
        os.utime(feed, ns=(0, 0))  # a stamp surely unlike the first file's
        changed = gather(container, datetime.now(UTC), held_back=cache).held_back
    assert first[0].source_ids == ("sofa-2", "sofa-3", "sofa-4")
    assert again[0] is first[0]
    assert changed[0].source_ids == ()
