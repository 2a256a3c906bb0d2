"""SIGKILL at any point of a run never creates an ad twice, loses a change or strands a row.

A real ``syncd run-once`` subprocess talks to the sandbox over HTTP and is killed
at 36 different moments spread over its run (start-up, reading the feed,
planning, sending, recording, reconciling). After each kill a clean run must
converge: the sandbox holds exactly the feed, no source_id was ever created
twice (the sandbox's request journal), and no mirror row is left in flight.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sandbox_server import SandboxServer, running_sandbox

pytestmark = pytest.mark.slow

KILL_POINTS = 36
UNIVERSE = 24


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox subprocess with some latency, so that a run lasts long enough to cut."""
    with running_sandbox("--processing-delay", "0.1", "--fault-latency", "0.02") as server:
        yield server


def feed_for(iteration: int) -> list[dict[str, Any]]:
    """The inventory at an iteration: two ads out, the rest in, some prices changed."""
    out = {iteration % UNIVERSE, (iteration + UNIVERSE // 2) % UNIVERSE}
    return [
        {
            "source_id": f"s{j}",
            "category_id": 2048,
            "title": f"Bord {j}",
            "body": "Ek.",
            "price": [{"type": "list", "amount": 100 + j + (iteration if j % 3 == 0 else 0)}],
            "contact": {"name": "Butik", "phone": "0701234567", "email": "b@example.com"},
        }
        for j in range(UNIVERSE)
        if j not in out
    ]


def start(config: Path, token: str) -> subprocess.Popen[bytes]:
    """Start `syncd run-once` in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(config), "run-once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SYNCD_API_TOKEN": token},
    )


def in_flight(db: Path) -> int:
    """Mirror rows whose call is still marked intended or sent."""
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT count(*) FROM ads WHERE stage IN ('intent', 'sent')").fetchone()
    return int(n)


def test_kill_anywhere_then_a_clean_run_converges(tmp_path: Path, sandbox: SandboxServer) -> None:
    """36 SIGKILLs over the run (30 at least mid-run), each followed by a converging run."""
    sandbox.reset()
    token = sandbox.token("D1")
    feed = tmp_path / "feed.json"
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "{sandbox.url}"\n'
        f"requests_per_second = 100.0\n[sync]\npoll_interval = 0.05\nreconcile_wait = 30.0\n"
        f'[[feeds]]\npath = "feed.json"\ndealer_code = "D1"\n',
        encoding="utf-8",
    )
    # First everything is created; then one typical iteration (a few edits, deletes and
    # revives) is timed, so that the kills are spread over a run of the same work.
    feed.write_text(json.dumps(feed_for(0)), encoding="utf-8")
    assert start(config, token).wait() == 0
    feed.write_text(json.dumps(feed_for(1)), encoding="utf-8")
    began = time.monotonic()
    assert start(config, token).wait() == 0
    duration = time.monotonic() - began
    killed_while_running = 0
    for n in range(KILL_POINTS):
        i = n + 2
        wanted = feed_for(i)
        feed.write_text(json.dumps(wanted), encoding="utf-8")
        victim = start(config, token)
        time.sleep(duration * (0.2 + 0.75 * n / KILL_POINTS))  # start-up to reconciling
        if victim.poll() is None:
            killed_while_running += 1
        victim.send_signal(signal.SIGKILL)
        victim.wait()

        clean = subprocess.run(
            [sys.executable, "-m", "syncd", "--config", str(config), "run-once", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "SYNCD_API_TOKEN": token},
        )
        assert clean.returncode == 0, (i, clean.stdout, clean.stderr[-3000:])
        ads = sandbox.ads()
        live = {
            sid: ad["price"][0]["amount"]
            for (_, sid), ad in ads.items()
            if ad["state"] == "created"
        }
        expected = {a["source_id"]: a["price"][0]["amount"] for a in wanted}
        assert live == expected, (i, clean.stdout, clean.stderr[-3000:])
        assert in_flight(tmp_path / "mirror.db") == 0, (i, clean.stdout)

    created = Counter(
        e["source_id"] for e in sandbox.journal() if e["method"] == "POST" and e["status"] == 201
    )
    assert created, "nothing was ever created"
    assert max(created.values()) == 1, [sid for sid, n in created.items() if n > 1]
    assert killed_while_running >= 30, f"only {killed_while_running} kills landed mid-run"
