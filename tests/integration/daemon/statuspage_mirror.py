"""A SQLite mirror with known rows, a feed, and the daemon's HTTP server serving its status page.

Shared by the status page's HTTP test and its headless Chromium test. What it holds:

* D1 (configured, feed of sofa-0 and sofa-1): sofa-0..sofa-4 live, sofa-5 rejected
  with a hostile message; the guard holds back the deletes of sofa-2..sofa-4.
* D2 (not configured): car-0 and car-1 live, car-2 failed, car-3 deleted.
* Runs: two days ago (success, 10 requests), yesterday (guarded, 4 requests), today
  (failed, 0 requests) and one still running today (no requests recorded).

Every payload carries contact data (names, phone, e-mail) the page must never show.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.core.models import Accepted, Create, Outcome, Rejected, RemoteState, RunOutcome, Stage
from syncd.daemon.health import HealthServer
from syncd.daemon.page import render
from syncd.daemon.status import gather
from syncd.ports import Mirror
from tests.integration.harness import car, goods

HOSTILE = '<script>document.title="owned"</script>'
CONTACT = ("Möbler AB", "0701234567", "a@example.com", "Bilhallen", "0709999999", "b@bil.se")


def with_contact(ad: dict[str, Any], name: str, phone: str, email: str) -> dict[str, Any]:
    return {**ad, "contact": {"name": name, "phone": phone, "email": email}}


def _create(dealer: str, ad: dict[str, Any]) -> Create:
    return Create(dealer, ad["source_id"], ad["category_id"], ad, ad, f"h-{ad['source_id']}")


def _live(mirror: Mirror, dealer: str, ad: dict[str, Any], at: datetime) -> Create:
    action = _create(dealer, ad)
    mirror.record_intent(action, at)
    mirror.record_accepted(action, Accepted(201, f"r-{ad['source_id']}"), at)
    outcome = Outcome(dealer, ad["source_id"], Stage.DONE, RemoteState.CREATED)
    mirror.record_outcome(outcome, at)
    return action


def seed(mirror: Mirror, now: datetime) -> None:
    """Write the rows the module docstring lists."""
    d1 = [with_contact(goods(i), *CONTACT[:3]) for i in range(6)]
    d2 = [with_contact(car(i), *CONTACT[3:]) for i in range(4)]
    for ad in d1[:5] + d2[:3]:
        _live(mirror, "D1" if ad in d1 else "D2", ad, now - timedelta(days=3))
    rejected = _create("D1", d1[5])
    mirror.record_intent(rejected, now - timedelta(hours=2))
    mirror.record_rejected(rejected, Rejected(400, (f"title: {HOSTILE}",)), now)
    error = Outcome("D2", "car-2", Stage.ERROR, None, message="handle_media: image 404")
    mirror.record_outcome(error, now - timedelta(hours=1))
    gone = _live(mirror, "D2", d2[3], now - timedelta(days=3))
    mirror.record_outcome(Outcome("D2", gone.source_id, Stage.DONE, RemoteState.DELETED), now)
    for days_ago, outcome, requests in (
        (2, RunOutcome.SUCCESS, 10),
        (1, RunOutcome.GUARDED, 4),
        (0, RunOutcome.FAILED, 0),
    ):
        at = now - timedelta(days=days_ago)
        run_id = mirror.start_run("D1", None, at)
        mirror.finish_run(run_id, outcome, {"create": 1, "requests": requests}, None, at)
    mirror.start_run("D1", None, now)


def settings_for(tmp_path: Path) -> config.Settings:
    """SQLite mirror in tmp_path, one feed for D1 holding sofa-0 and sofa-1."""
    feed = tmp_path / "inventory.json"
    feed.write_text(
        json.dumps({"ads": [with_contact(goods(i), *CONTACT[:3]) for i in range(2)]}),
        encoding="utf-8",
    )
    return config.parse(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'mirror.db'}"},
            "api": {"base_url": "http://api.test"},
            "feeds": [{"path": str(feed), "dealer_code": "D1", "settle_seconds": 0}],
        },
        source="test",
    )


def no_api(request: httpx.Request) -> httpx.Response:
    """The page never calls the API."""
    raise AssertionError(f"the status page called the API: {request.method} {request.url}")


class PageProbes:
    """Probes serving the daemon's real status page for a container."""

    def __init__(self, container: bootstrap.Container) -> None:
        self.container = container

    def live(self) -> Any:
        raise NotImplementedError

    ready = live

    def metrics(self) -> bytes:
        return b""

    def page(self) -> bytes:
        # The same two calls as Daemon.status_page, on the server's thread.
        return render(gather(self.container, datetime.now(UTC))).encode()


@dataclass(frozen=True)
class Served:
    """The page's URL and the container (mirror, feeds) behind it."""

    url: str
    container: bootstrap.Container

    @property
    def mirror(self) -> Mirror:
        return self.container.mirror


@contextmanager
def served_status_page(tmp_path: Path) -> Iterator[Served]:
    """The daemon's HTTP server on a free local port, over a seeded SQLite mirror."""
    settings = settings_for(tmp_path)
    container = bootstrap.build(
        settings, transport=httpx.MockTransport(no_api), token=SecretStr("test-token-1234")
    )
    server = HealthServer(PageProbes(container), "127.0.0.1", 0)
    try:
        seed(container.mirror, datetime.now(UTC))
        server.start()
        yield Served(f"http://127.0.0.1:{server.port}/status", container)
    finally:
        server.close()
        asyncio.run(container.aclose())
