"""A signal while ``syncd run-once`` waits for a dealer's run lock ends the wait at once.

The test holds the lock of one dealer of a three-dealer group (as another run
would) and starts run-once with a ``lock_wait`` far beyond the test's own limits;
it sends the signal right after the victim logs ``run_lock_waiting`` (read from
its stderr: no sleep). The victim must exit 143 (130 for SIGINT) long before the
wait would have ended: no run of that dealer or of those after it started, and
nothing of theirs was sent or recorded.
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

import pytest

from syncd.cli.exits import ExitCode
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
from syncd.mirror.migrate import upgrade
from tests.e2e.syncd_process import furniture
from tests.e2e.test_stop import event_of, names, read_until
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

DEALERS = ("D1", "D2", "D3")
LOCK_WAIT = 600  # seconds: beyond the test's timeout, so only the signal can end the wait
EXIT_WITHIN = 60  # seconds the victim may take to exit after the signal (a loaded machine)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def configure(tmp_path: Path, sandbox: SandboxServer) -> Path:
    """A SQLite mirror (schema made) and one feed of one ad per dealer; the config's path."""
    feeds = ""
    for dealer in DEALERS:
        feed = tmp_path / f"{dealer}.json"
        feed.write_text(json.dumps([furniture(f"{dealer}-1")]), encoding="utf-8")
        feeds += f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\ndealer_code = "{dealer}"\n'
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "mirror.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\n'
        f"[sync]\npoll_interval = 0.05\nlock_wait = {LOCK_WAIT}\n{feeds}",
        encoding="utf-8",
    )
    return config


def runs_of(db: Path) -> dict[str, str]:
    """Each dealer's run rows' outcome (every dealer here runs at most once)."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT dealer_code, outcome FROM runs").fetchall())


def dealers_in_mirror(db: Path) -> set[str]:
    """The dealers with an ad row."""
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT dealer_code FROM ads")}


@pytest.mark.parametrize(
    ("sig", "code", "locked"),
    [
        (signal.SIGTERM, ExitCode.TERMINATED, "D2"),  # D1 synced first, D2 and D3 not
        (signal.SIGINT, ExitCode.INTERRUPTED, "D1"),  # nothing synced at all
    ],
    ids=["SIGTERM-second-dealer", "SIGINT-first-dealer"],
)
def test_a_signal_while_waiting_for_the_run_lock_stops_at_once_starting_nothing(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    sig: signal.Signals,
    code: ExitCode,
    locked: str,
) -> None:
    """The signal ends the wait for ``locked``'s lock: exit 143 (130), a log event naming
    the dealer, no run row nor request for it or the dealers after it."""
    sandbox.reset()
    config = configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        upgrade(engine)
        with run_lock(engine, locked, wait=0):
            victim = processes.start(
                [
                    *(sys.executable, "-m", "syncd", "--config", str(config)),
                    *("--log-level", "info", "run-once"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ, "SYNCD_API_TOKEN": sandbox.token(*DEALERS), "SYNCD_CONFIG": ""},
            )
            assert victim.stderr is not None
            lines = read_until(victim.stderr, "run_lock_waiting")
            assert event_of(lines[-1]).get("dealer_code") == locked, lines[-5:]
            victim.send_signal(sig)
            # Bounded by the victim's exit, never by time: only a missed signal runs it out.
            status = victim.wait(timeout=EXIT_WITHIN)
            lines += victim.stderr.readlines()
    finally:
        engine.dispose()
    text = b"".join(lines).decode(errors="replace")

    assert status == code, text[-3000:]
    events = names(lines)
    assert "run_lock_wait_stopped" in events, text[-3000:]
    stopped = next(
        event_of(line) for line in lines if event_of(line).get("event") == "run_lock_wait_stopped"
    )
    assert (stopped["dealer_code"], stopped["signal"]) == (locked, sig.name)
    assert events.index("run_lock_wait_stopped") < events.index("run_once_stopped")
    assert f"syncd: stopped by {sig.name}" in text

    before = list(DEALERS[: DEALERS.index(locked)])  # synced in full before the wait
    # run-once's stop says what it always said (operators' log alerts read these): the
    # event's fields as before the other commands stopped gracefully, and one line.
    summary = next(
        event_of(line) for line in lines if event_of(line).get("event") == "run_once_stopped"
    )
    assert (summary["feeds_synced"], summary["feeds"]) == (len(before), len(DEALERS))
    assert {"done", "total"}.isdisjoint(summary), summary
    assert "nothing of that run started" not in text
    assert runs_of(db) == dict.fromkeys(before, "success")
    assert dealers_in_mirror(db) == set(before)
    assert sandbox.mutations() == [("POST", f"{d}-1") for d in before]
    assert {e["source_id"] for e in sandbox.journal()} - {None} <= {f"{d}-1" for d in before}
    if not before:
        assert sandbox.journal() == []
    assert sorted(sandbox.ads()) == [(d, f"{d}-1") for d in before]
