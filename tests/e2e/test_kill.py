"""SIGKILL at any point of a run never creates an ad twice, loses a change or strands a row.

A real ``syncd run-once`` subprocess talks to the sandbox over HTTP and is killed
at 36 different points spread over its run (start-up, reading the feed,
planning, sending, recording, reconciling). After each kill a clean run must
converge: the sandbox holds exactly the feed, no source_id was ever created
twice (the sandbox's request journal), and no mirror row is left in flight.

Each kill point is an event count, not a time: the victim runs at debug level
(one JSON log line on stderr per statement, request and step) and is killed
right after it has written its k-th line, with k spread over the number of lines
one typical iteration writes. Its stderr is a one-page pipe read line by line,
so the victim is never more than a page of output ahead of the kill, however
loaded the machine is.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

KILL_POINTS = 36
UNIVERSE = 24
# The victim's stderr pipe holds one page (the least Linux allows): the victim blocks
# on its next write until the test has read, so it is never more than a page ahead.
PIPE_SIZE = 4096
# The kill points cover the first nine tenths of a typical iteration's log lines; the
# rest is the run's wind-down, and another iteration may write a few lines fewer.
SPREAD = 0.9
# The phases of a run, each named after the first log event that begins it.
PHASES = {
    "run_started": "reading and planning",
    "plan_made": "sending and recording",
    "reconcile_get": "reconciling",
    "run_finished": "finished",
}
START_UP = "start-up"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox subprocess whose actions take a little while, so that reconciling polls."""
    with running_sandbox("--processing-delay", "0.05") as server:
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


def syncd(config: Path, *args: str) -> list[str]:
    """The command line of `syncd --config CONFIG ARGS`."""
    return [sys.executable, "-m", "syncd", "--config", str(config), *args]


def milestone(line: bytes) -> str | None:
    """The PHASES key a log line begins a phase with, if it does."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    event = str(record.get("event", ""))
    if record.get("logger") == "httpx" and event.startswith("HTTP Request: GET "):
        return "reconcile_get"  # a typical iteration reads the API only to reconcile
    return event if event in PHASES else None


def kill_after(processes: Processes, config: Path, token: str, k: int) -> tuple[bool, str]:
    """Run `run-once` at debug level, SIGKILL it right after its k-th log line.

    Answers whether it was still running when killed and the phase it was in.
    """
    victim = processes.start(
        syncd(config, "--log-level", "debug", "run-once"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pipesize=PIPE_SIZE,
        env={**os.environ, "SYNCD_API_TOKEN": token},
    )
    assert victim.stderr is not None
    phase = START_UP
    for _ in range(k):
        line = victim.stderr.readline()
        if not line:
            break  # it ended before its k-th line
        phase = PHASES.get(milestone(line) or "", phase)
    running = victim.poll() is None
    victim.send_signal(signal.SIGKILL)
    processes.stop(victim)
    return running, phase


def in_flight(db: Path) -> int:
    """Mirror rows whose call is still marked intended or sent."""
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT count(*) FROM ads WHERE stage IN ('intent', 'sent')").fetchone()
    return int(n)


# A safety net only: the kills are counted in log lines, never timed. About 75 runs of
# syncd start (each importing its stack): some 4-8 minutes on a quiet 2-core machine,
# 12 on a heavily loaded one; the net leaves room beyond that.
@pytest.mark.timeout(1800)
def test_kill_anywhere_then_a_clean_run_converges(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """36 SIGKILLs over the run (30 at least mid-run), each followed by a converging run."""
    sandbox.reset()
    token = sandbox.token("D1")
    env = {**os.environ, "SYNCD_API_TOKEN": token}
    feed = tmp_path / "feed.json"
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "{sandbox.url}"\n'
        f"requests_per_second = 100.0\n[sync]\npoll_interval = 0.05\nreconcile_wait = 30.0\n"
        f'[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\ndealer_code = "D1"\n',
        encoding="utf-8",
    )
    # First everything is created; then the log lines of one typical iteration (a few
    # edits, deletes and revives) are counted, and the kills spread over that count.
    feed.write_text(json.dumps(feed_for(0)), encoding="utf-8")
    first = processes.run(syncd(config, "run-once"), text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    feed.write_text(json.dumps(feed_for(1)), encoding="utf-8")
    typical = processes.run(
        syncd(config, "--log-level", "debug", "run-once"), text=True, timeout=120, env=env
    )
    assert typical.returncode == 0, typical.stderr[-3000:]
    lines = len(typical.stderr.splitlines())
    last = SPREAD * lines
    points = [1 + round((last - 1) * n / (KILL_POINTS - 1)) for n in range(KILL_POINTS)]
    killed_while_running = 0
    phases: Counter[str] = Counter()
    for n, k in enumerate(points):
        i = n + 2
        wanted = feed_for(i)
        feed.write_text(json.dumps(wanted), encoding="utf-8")
        running, phase = kill_after(processes, config, token, k)
        killed_while_running += running
        phases[phase] += 1

        clean = processes.run(
            syncd(config, "run-once", "--json"), text=True, timeout=120, check=False, env=env
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
    # Every phase of a run was cut at least once (out of a typical run of `lines` lines).
    assert {START_UP, *PHASES.values()} - {"finished"} <= set(phases), (lines, points, phases)
