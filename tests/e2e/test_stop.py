"""SIGTERM/SIGINT stop a real ``syncd run-once`` between calls, nothing lost or sent twice.

The run-once subprocess talks to the sandbox subprocess over HTTP, each answer
delayed (the sandbox's latency fault) so that calls are in flight when the
signal comes. The test waits on the victim's log lines (JSON on stderr, read
through a one-page pipe so the victim is never more than a page ahead), never
on time: the signal goes right after a given event.
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
from typing import IO, Any

import pytest

from syncd.cli.exits import ExitCode
from tests.e2e.syncd_process import furniture
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

ADS = 60
IN_FLIGHT = 4
PIPE_SIZE = 4096  # the least Linux allows: the victim blocks until the test has read
SIGNAL_AFTER = 6  # creates answered (logged) before the signal is sent
LATENCY = 0.2  # seconds the sandbox adds to every answer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def configure(tmp_path: Path, sandbox: SandboxServer, *, settle: float = 0) -> Path:
    """A config on a SQLite mirror in tmp_path, ADS ads in the feed; its path."""
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "mirror.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\nrequests_per_second = 200.0\n'
        f"max_in_flight = {IN_FLIGHT}\n"
        f"[sync]\npoll_interval = 0.05\nreconcile_wait = 30.0\n"
        f"[[feeds]]\nsettle_seconds = {settle}\nsettle_timeout = {settle + 60}\n"
        f'path = "{tmp_path / "feed.json"}"\n'
        f'dealer_code = "D1"\n',
        encoding="utf-8",
    )
    ads = [furniture(f"s{i:02d}", title=f"Bord {i}") for i in range(ADS)]
    (tmp_path / "feed.json").write_text(json.dumps(ads), encoding="utf-8")
    return config


def env_for(sandbox: SandboxServer) -> dict[str, str]:
    """The environment of a run: the sandbox's token."""
    return {**os.environ, "SYNCD_API_TOKEN": sandbox.token("D1"), "SYNCD_CONFIG": ""}


def start(processes: Processes, config: Path, sandbox: SandboxServer) -> subprocess.Popen[bytes]:
    """`syncd run-once` at info level, its stderr a one-page pipe."""
    return processes.start(
        [sys.executable, "-m", "syncd", "--config", str(config), "--log-level", "info", "run-once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pipesize=PIPE_SIZE,
        env=env_for(sandbox),
    )


def event_of(line: bytes) -> dict[str, Any]:
    """A JSON log line's record ({} for another line: a message on stderr)."""
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def read_until(stderr: IO[bytes], event: str, count: int = 1) -> list[bytes]:
    """Lines up to the ``count``-th ``event`` (all of them if it never comes)."""
    lines: list[bytes] = []
    seen = 0
    while line := stderr.readline():
        lines.append(line)
        if event_of(line).get("event") == event:
            seen += 1
            if seen == count:
                break
    return lines


def finish(victim: subprocess.Popen[bytes], lines: list[bytes]) -> tuple[int, list[bytes]]:
    """Read the victim's stderr to its end; its exit code and every line."""
    assert victim.stderr is not None
    lines = lines + victim.stderr.readlines()
    return victim.wait(timeout=120), lines


def stages(db: Path) -> dict[str, str | None]:
    """Each mirror row's stage."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT source_id, stage FROM ads").fetchall())


def last_run(db: Path) -> tuple[str, str, str | None] | None:
    """The latest run row's outcome, message and end."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT outcome, message, finished_at FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def names(lines: list[bytes]) -> list[str]:
    """The log events, in order."""
    return [str(event_of(line).get("event")) for line in lines if event_of(line)]


def test_sigterm_mid_sync_answers_the_calls_in_flight_then_the_next_run_sends_nothing_twice(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """SIGTERM while creates are in flight: no new call starts, those in flight are
    answered and recorded (no INTENT row for a call the sandbox answered), the run row
    is closed as interrupted, exit 143; the next run creates only the rest."""
    sandbox.reset()
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    config = configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    victim = start(processes, config, sandbox)
    assert victim.stderr is not None
    lines = read_until(victim.stderr, "ad_create_sent", SIGNAL_AFTER)
    victim.send_signal(signal.SIGTERM)
    code, lines = finish(victim, lines)
    text = b"".join(lines).decode(errors="replace")

    assert code == ExitCode.TERMINATED == 143, text[-3000:]
    events = names(lines)
    assert "run_once_stopping" in events, text[-3000:]
    stopping = events.index("run_once_stopping")
    assert stopping < events.index("run_interrupted") < events.index("run_once_stopped")
    in_flight = next(
        event_of(line)["in_flight"]
        for line in lines
        if event_of(line).get("event") == "run_once_stopping"
    )
    sent_before = events[:stopping].count("ad_create_sent")
    assert sent_before >= SIGNAL_AFTER
    assert events[stopping:].count("ad_create_sent") == in_flight  # each answered and logged
    assert "syncd: stopped by SIGTERM once the calls in flight were answered and recorded" in text

    posts = [e for e in sandbox.journal() if e["method"] == "POST"]
    answered = {e["source_id"] for e in posts if e["status"] == 201}
    assert len(posts) == len(answered) == sent_before + in_flight  # no call started after
    assert len(answered) < ADS
    rows = stages(db)
    assert {sid for sid in answered if rows.get(sid) not in ("sent", "done")} == set()
    assert last_run(db) is not None
    outcome, message, finished = last_run(db) or ("", "", None)
    assert (outcome, message) == ("failed", "interrupted: syncd stopped")
    assert finished is not None

    sandbox.clear_journal()
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})
    again = processes.run(
        [sys.executable, "-m", "syncd", "--config", str(config), "run-once", "--json"],
        timeout=120,
        env=env_for(sandbox),
    )
    assert again.returncode == 0, again.stderr[-3000:]
    writes = sandbox.mutations()
    assert sorted(writes) == sorted(
        ("POST", f"s{i:02d}") for i in range(ADS) if f"s{i:02d}" not in answered
    )
    live = {sid for (_, sid), ad in sandbox.ads().items() if ad["state"] == "created"}
    assert live == {f"s{i:02d}" for i in range(ADS)}
    assert set(stages(db).values()) <= {"done", None}


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)]
)
def test_a_signal_while_the_feed_is_read_just_stops_with_nothing_sent(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    sig: signal.Signals,
    code: ExitCode,
) -> None:
    """A signal while the feed file settles: the run stops at once, exit 143 (130 for
    SIGINT), no request reached the API and no run was recorded."""
    sandbox.reset()
    config = configure(tmp_path, sandbox, settle=600)  # just written: it settles for long
    victim = start(processes, config, sandbox)
    assert victim.stderr is not None
    lines = read_until(victim.stderr, "feed_settling")
    assert names(lines)[-1:] == ["feed_settling"]
    victim.send_signal(sig)
    status, lines = finish(victim, lines)
    text = b"".join(lines).decode(errors="replace")
    assert status == code, text[-3000:]
    assert f"syncd: stopped by {sig.name}" in text
    assert "run_once_stopped" in names(lines)
    assert sandbox.journal() == []
    assert last_run(tmp_path / "mirror.db") is None


def test_a_second_signal_stops_at_once_leaving_the_calls_in_flight_intended(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """Calls whose answers would take minutes: a second SIGTERM cancels them at once;
    their rows stay INTENT (read back by the next run, as after a crash), exit 143."""
    sandbox.reset()
    config = configure(tmp_path, sandbox)
    sandbox.admin("PATCH", "faults", json={"latency": 600.0})
    victim = start(processes, config, sandbox)
    assert victim.stderr is not None
    lines = read_until(victim.stderr, "plan_made")
    victim.send_signal(signal.SIGTERM)
    lines += read_until(victim.stderr, "run_once_stopping")
    in_flight = event_of(lines[-1]).get("in_flight")
    victim.send_signal(signal.SIGTERM)
    status, lines = finish(victim, lines)
    text = b"".join(lines).decode(errors="replace")
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})
    assert status == ExitCode.TERMINATED, text[-3000:]
    assert "run_once_stop_forced" in names(lines)
    assert "syncd: stopped by SIGTERM at once" in text
    rows = stages(tmp_path / "mirror.db")
    assert in_flight == IN_FLIGHT
    assert sum(1 for st in rows.values() if st == "intent") >= IN_FLIGHT
    assert "sent" not in rows.values()
