"""SIGTERM stops a real ``syncd daemon``'s running jobs between calls, as it stops
``run-once`` (tests/e2e/test_stop.py): no new call is sent, the calls in flight are
answered and recorded, and the daemon exits long before ``daemon.stop_timeout``.

The daemon subprocess talks to the sandbox subprocess over HTTP, each answer delayed
(the latency fault) so that calls are in flight when the signal comes. The test sends
it right after a given event on the daemon's stderr (a one-page pipe, read through
one buffered reader: the daemon is never more than a page ahead), never after a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.syncd_process import furniture
from tests.e2e.test_daemon_renewals import age_the_ads, renewal_outcomes
from tests.e2e.test_stop import (
    LATENCY,
    PIPE_SIZE,
    SIGNAL_AFTER,
    event_of,
    last_run,
    names,
    read_until,
    stages,
)
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

ADS = 60
IN_FLIGHT = 4
STOP_TIMEOUT = 60.0  # the daemon must stop well before it: the test's own bound is below
EXIT_WITHIN = 45.0  # seconds the daemon may take to exit after SIGTERM (a loaded machine)
BUMPS = 10  # due and under the cap: a daemon that kept bumping would bump them all

CONFIG = """
[database]
url = "sqlite:///{db}"
[api]
base_url = "{url}"
requests_per_second = 200.0
max_in_flight = {in_flight}
[sync]
poll_interval = 0.05
reconcile_wait = 30.0
[[feeds]]
settle_seconds = 0
path = "{feed}"
dealer_code = "D1"
[daemon]
interval = 600.0
feed_poll_interval = 0.5
reconcile_interval = 600.0
housekeeping_interval = 600.0
renewal_interval = 0.3
health_port = 0
stop_timeout = {stop_timeout}
[log]
format = "json"
"""

POLICY = f"""
[[renewal]]
name = "sofas"
categories = [2048]
every_days = 7
daily_cap = {BUMPS}
monthly_cap = 100
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def configure(
    tmp_path: Path, sandbox: SandboxServer, ads: list[dict[str, Any]], extra: str
) -> Path:
    """A daemon config on a SQLite mirror in tmp_path, its feed ``ads``; its path."""
    config = tmp_path / "syncd.toml"
    text = CONFIG.format(
        db=tmp_path / "mirror.db",
        url=sandbox.url,
        in_flight=IN_FLIGHT,
        feed=tmp_path / "feed.json",
        stop_timeout=STOP_TIMEOUT,
    )
    config.write_text(text + extra, encoding="utf-8")
    (tmp_path / "feed.json").write_text(json.dumps(ads), encoding="utf-8")
    return config


def env_for(sandbox: SandboxServer) -> dict[str, str]:
    """The daemon's environment: the sandbox's token, no supervisor."""
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token("D1"), "SYNCD_CONFIG": ""}
    env.pop("NOTIFY_SOCKET", None)
    return env


def start_daemon(
    processes: Processes, config: Path, sandbox: SandboxServer
) -> subprocess.Popen[bytes]:
    """`syncd daemon` at info level, its stderr a one-page pipe."""
    return processes.start(
        [sys.executable, "-m", "syncd", "--config", str(config), "--log-level", "info", "daemon"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pipesize=PIPE_SIZE,
        env=env_for(sandbox),
    )


def terminated_after(
    daemon: subprocess.Popen[bytes], event: str, count: int
) -> tuple[int, list[bytes]]:
    """SIGTERM right after the ``count``-th ``event``; the exit code and every line
    (read through the same buffered reader to the daemon's end)."""
    assert daemon.stderr is not None
    lines = read_until(daemon.stderr, event, count)
    assert event in names(lines), b"".join(lines).decode(errors="replace")[-3000:]
    daemon.send_signal(signal.SIGTERM)
    lines += daemon.stderr.readlines()
    return daemon.wait(timeout=EXIT_WITHIN), lines


def stopping_of(lines: list[bytes], job: str) -> dict[str, Any]:
    """The ``job_stopping`` record of ``job``."""
    return next(
        e for e in map(event_of, lines) if e.get("event") == "job_stopping" and e["job"] == job
    )


def test_sigterm_mid_sync_sends_no_new_call_and_records_those_in_flight(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """SIGTERM while the daemon's first sync has creates in flight: those are answered
    and recorded, no other create is sent, the run is recorded interrupted and the
    daemon exits 0 without waiting for stop_timeout (no job cancelled)."""
    sandbox.reset()
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    ads = [furniture(f"s{i:02d}", title=f"Bord {i}") for i in range(ADS)]
    config = configure(tmp_path, sandbox, ads, "")
    daemon = start_daemon(processes, config, sandbox)
    code, lines = terminated_after(daemon, "ad_create_sent", SIGNAL_AFTER)
    text = b"".join(lines).decode(errors="replace")
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})

    assert code == 0, text[-3000:]
    events = names(lines)
    stopping = events.index("job_stopping")
    in_flight = stopping_of(lines, "sync")["in_flight"]
    assert in_flight <= IN_FLIGHT
    sent_before = events[:stopping].count("ad_create_sent")
    assert events[stopping:].count("ad_create_sent") == in_flight  # each answered and logged
    assert stopping < events.index("run_interrupted") < events.index("job_stopped")
    assert "daemon_jobs_cancelled" not in events  # stopped by the gate, not the timeout
    assert events[-1] == "daemon_stopped"

    posts = [e for e in sandbox.journal() if e["method"] == "POST"]
    answered = {e["source_id"] for e in posts if e["status"] == 201}
    assert len(posts) == len(answered) == sent_before + in_flight  # no call started after
    assert len(answered) < ADS
    rows = stages(tmp_path / "mirror.db")
    assert {sid for sid in answered if rows.get(sid) not in ("sent", "done")} == set()
    assert {rows.get(sid) for sid in rows if sid not in answered} <= {"intent"}
    outcome, message, finished = last_run(tmp_path / "mirror.db") or ("", "", None)
    assert (outcome, message) == ("failed", "interrupted: syncd stopped")
    assert finished is not None


def test_sigterm_mid_renewal_pass_sends_no_new_bump_and_spends_no_cap_unit(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """SIGTERM right after the renew job's first bump was answered: the bump then in
    flight (if any) is answered and recorded, no other is sent; a bump reserved after
    the stop is recorded not_sent (not charged: the cap counts only what was sent),
    none stays reserved; the daemon exits 0 without waiting for stop_timeout."""
    sandbox.reset()
    ads = [goods(i) for i in range(BUMPS)]
    config = configure(tmp_path, sandbox, ads, POLICY)
    db = tmp_path / "mirror.db"
    once = processes.run(
        [sys.executable, "-m", "syncd", "--config", str(config), "run-once"],
        timeout=120,
        env=env_for(sandbox),
    )
    assert once.returncode == 0, once.stderr[-3000:]
    age_the_ads(db, 30)
    sandbox.clear_journal()
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    daemon = start_daemon(processes, config, sandbox)
    code, lines = terminated_after(daemon, "ad_renewal_sent", 1)
    text = b"".join(lines).decode(errors="replace")
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})

    assert code == 0, text[-3000:]
    events = names(lines)
    stopping = events.index("job_stopping")
    in_flight = stopping_of(lines, "renew")["in_flight"]
    assert in_flight <= 1  # one bump at a time
    sent_before = events[:stopping].count("ad_renewal_sent")
    assert events[stopping:].count("ad_renewal_sent") == in_flight
    assert "job_stopped" in events[stopping:]
    assert "renewal_policy_done" not in events[stopping:]
    assert "daemon_jobs_cancelled" not in events

    bumps = [e for e in sandbox.journal() if e["path"].endswith("/bump")]
    assert len(bumps) == sent_before + in_flight < BUMPS
    outcomes = renewal_outcomes(db)
    assert outcomes.count("accepted") == len(bumps)
    assert set(outcomes) <= {"accepted", "not_sent"}  # none left reserved, none unknown
    assert outcomes.count("not_sent") <= 1  # at most the one reserved after the stop
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM renewals").fetchone()[0] == len(outcomes)
