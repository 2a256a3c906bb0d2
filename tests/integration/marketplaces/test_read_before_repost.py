"""A POST whose answer was lost is followed by a read-back before anything is re-sent.

Over real HTTP (timeouts and dropped connections need real sockets), with the
sandbox's ``late`` faults: the request is applied and then its answer is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox subprocess for this module's tests."""
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        yield sandbox


@pytest.fixture
def harness(server: SandboxServer, tmp_path: Path) -> Harness:
    """A fresh sandbox state and mirror, a client that gives up on an answer after 0.3 s."""
    server.reset()
    h = Harness(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", server)
    api = h.settings.api.model_copy(update={"timeout": 0.3, "retry_attempts": 5})
    h.settings = h.settings.model_copy(update={"api": api})
    return h


def _calls_on(h: Harness, source_id: str) -> list[dict[str, Any]]:
    """The journal's requests on the ad, in the order they arrived. A POST cut short
    before the sandbox read its body names no source_id: with one ad in the feed it is
    this ad's."""
    entries = [
        e
        for e in h.sandbox.journal()
        if e["source_id"] == source_id or (e["source_id"] is None and e["method"] == "POST")
    ]
    return sorted(entries, key=lambda e: str(e["time"]))


def test_a_post_applied_before_its_connection_dropped_is_read_back_not_resent(
    harness: Harness,
) -> None:
    """A POST applied and then dropped is found by one GET; no second POST goes out."""
    harness.sandbox.admin(
        "PATCH", "faults", json={"late": True, "methods": ["POST"], "script": ["drop"]}
    )
    harness.write([goods(1)])
    report = harness.run()
    assert report.outcome == "success", report.problems
    methods = [e["method"] for e in _calls_on(harness, "sofa-1")]
    assert methods[:2] == ["POST", "GET"], methods
    assert methods.count("POST") == 1, methods
    assert methods.count("PATCH") == 0, methods
    assert harness.sandbox.ads()[("D1", "sofa-1")]["state"] == "created"
    assert harness.mirror()["sofa-1"].stage.value == "done"


def test_a_timed_out_post_is_followed_by_a_read_back_before_the_retry(harness: Harness) -> None:
    """A POST that timed out is followed by GET before it is POSTed again, and the ad is
    created once."""
    harness.sandbox.admin(
        "PATCH",
        "faults",
        json={"methods": ["POST"], "script": ["timeout"], "timeout_seconds": 1.0},
    )
    harness.write([goods(2)])
    report = harness.run()
    assert report.outcome == "success", report.problems
    deadline = time.monotonic() + 30  # the stalled POST is journaled when it ends
    while time.monotonic() < deadline:
        posts = [e for e in _calls_on(harness, "sofa-2") if e["method"] == "POST"]
        if len(posts) >= 2:
            break
        time.sleep(0.05)
    methods = [e["method"] for e in _calls_on(harness, "sofa-2")]
    first = methods.index("POST")
    again = methods.index("POST", first + 1) if methods.count("POST") > 1 else len(methods)
    assert "GET" in methods[first + 1 : again], methods
    assert methods.count("POST") <= 2, methods
    ads = [k for k in harness.sandbox.ads() if k == ("D1", "sofa-2")]
    assert len(ads) == 1
