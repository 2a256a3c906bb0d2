"""SIGTERM/SIGINT stop a real ``syncd apply`` or ``release-deletes`` between calls, as they
stop ``run-once`` (tests/e2e/test_stop.py): nothing lost, nothing sent twice.

The command talks to the sandbox subprocess over HTTP, each answer delayed (the
sandbox's latency fault) so that calls are in flight when the signal comes; the
test sends it right after a given event on the victim's stderr (a one-page pipe:
the victim is never more than a page ahead), never after a sleep. Afterwards the
mirror must hold every answered call as answered, the run row must be closed as
interrupted, and the next ``run-once`` must send exactly the calls left. A
multi-dealer ``apply`` or ``adopt`` stopped at a later dealer's lock prints the
results of the dealers it finished before exiting 143.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from syncd.cli.exits import ExitCode
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
from syncd.mirror.migrate import upgrade
from tests.e2e import test_stop_lock_wait as multi
from tests.e2e.syncd_process import furniture
from tests.e2e.test_stop import (
    ADS,
    LATENCY,
    PIPE_SIZE,
    SIGNAL_AFTER,
    configure,
    env_for,
    event_of,
    last_run,
    names,
    read_until,
    stages,
)
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.integration.test_audit_cli import behind_syncds_back
from tests.processes import Processes

pytestmark = pytest.mark.slow

EXIT_WITHIN = 120  # seconds the victim may take to exit after the signal (a loaded machine)
KEPT = 2  # ads the shrunk feed keeps: the guard holds back the deletes of the others


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def syncd(config: Path, *args: str) -> list[str]:
    """The argv of ``syncd --config CONFIG ARGS``."""
    return [sys.executable, "-m", "syncd", "--config", str(config), *args]


def start(
    processes: Processes, config: Path, env: dict[str, str], *args: str
) -> subprocess.Popen[bytes]:
    """``syncd ARGS`` at info level, its stderr a one-page pipe, its stdout kept."""
    return processes.start(
        syncd(config, "--log-level", "info", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pipesize=PIPE_SIZE,
        env=env,
    )


def stopped_after(
    victim: subprocess.Popen[bytes], event: str, count: int, sig: signal.Signals
) -> tuple[int, bytes, list[bytes]]:
    """Send ``sig`` right after the ``count``-th ``event``; the exit code, stdout and
    every stderr line (bounded by the victim's exit, never by time)."""
    assert victim.stderr is not None
    assert victim.stdout is not None
    lines = read_until(victim.stderr, event, count)
    victim.send_signal(sig)
    # Through the same buffered reader as read_until (communicate() would read the pipe
    # itself, skipping the lines that reader holds already); stdout beside it.
    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(victim.stdout.read)
        lines += victim.stderr.readlines()
        status = victim.wait(timeout=EXIT_WITHIN)
        return status, out.result(timeout=EXIT_WITHIN), lines


def in_flight_at_stop(lines: list[bytes], event: str) -> int:
    """The calls in flight when the command logged ``event`` (its ``_stopping``)."""
    return int(
        next(event_of(line)["in_flight"] for line in lines if event_of(line).get("event") == event)
    )


def run_once_sends_the_rest(processes: Processes, config: Path, sandbox: SandboxServer) -> None:
    """A run-once with the latency gone, which must succeed (or hold nothing back)."""
    sandbox.clear_journal()
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})
    again = processes.run(
        syncd(config, "run-once", "--json", "--allow-mass-delete"),
        timeout=120,
        env=env_for(sandbox),
    )
    assert again.returncode == 0, again.stderr[-3000:]


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)]
)
def test_a_signal_mid_apply_answers_the_calls_in_flight_and_the_next_run_sends_only_the_rest(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    sig: signal.Signals,
    code: ExitCode,
) -> None:
    """A signal while a saved plan's creates are in flight: no new call starts, those in
    flight are answered and recorded, the run row is closed as interrupted, exit 143
    (130); no report on stdout (the only dealer was not applied in full); the next
    run creates exactly the ads not created."""
    sandbox.reset()
    config = configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    plan = tmp_path / "plan.json"
    made = processes.run(
        syncd(config, "plan", "--out", str(plan)), timeout=120, env=env_for(sandbox)
    )
    assert made.returncode == 0, made.stderr[-3000:]
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    victim = start(processes, config, env_for(sandbox), "apply", str(plan), "--json")
    status, out, lines = stopped_after(victim, "ad_create_sent", SIGNAL_AFTER, sig)
    text = b"".join(lines).decode(errors="replace")

    assert status == code, text[-3000:]
    events = names(lines)
    assert "apply_stopping" in events, text[-3000:]
    stopping = events.index("apply_stopping")
    assert stopping < events.index("run_interrupted") < events.index("apply_stopped")
    in_flight = in_flight_at_stop(lines, "apply_stopping")
    sent_before = events[:stopping].count("ad_create_sent")
    assert events[stopping:].count("ad_create_sent") == in_flight  # each answered and logged
    assert f"syncd: stopped by {sig.name} once the calls in flight were answered" in text
    assert "0 of 1 dealer(s)' plans applied in full" in text
    assert json.loads(out) == []  # stdout: the result, the dealers applied in full

    posts = [e for e in sandbox.journal() if e["method"] == "POST"]
    answered = {e["source_id"] for e in posts if e["status"] == 201}
    assert len(posts) == len(answered) == sent_before + in_flight  # no call started after
    assert len(answered) < ADS
    rows = stages(db)
    assert {sid for sid in answered if rows.get(sid) not in ("sent", "done")} == set()
    # The rest: never sent; an intent left is resolvable (read back by the next run).
    assert {rows.get(sid) for sid in rows if sid not in answered} <= {"intent"}
    outcome, message, finished = last_run(db) or ("", "", None)
    assert (outcome, message) == ("failed", "interrupted: syncd stopped")
    assert finished is not None

    run_once_sends_the_rest(processes, config, sandbox)
    assert sorted(sandbox.mutations()) == sorted(
        ("POST", f"s{i:02d}") for i in range(ADS) if f"s{i:02d}" not in answered
    )
    live = {sid for (_, sid), ad in sandbox.ads().items() if ad["state"] == "created"}
    assert live == {f"s{i:02d}" for i in range(ADS)}
    assert set(stages(db).values()) <= {"done", None}


def test_sigterm_mid_release_deletes_answers_the_deletes_in_flight_and_loses_none(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """SIGTERM while released deletes are in flight: no new DELETE starts, those in flight
    are answered and recorded, the run row is closed as interrupted, exit 143, stdout's
    run null; the next run deletes exactly the ads still live."""
    sandbox.reset()
    config = configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    synced = processes.run(syncd(config, "run-once"), timeout=120, env=env_for(sandbox))
    assert synced.returncode == 0, synced.stderr[-3000:]
    kept = [furniture(f"s{i:02d}", title=f"Bord {i}") for i in range(KEPT)]
    (tmp_path / "feed.json").write_text(json.dumps(kept), encoding="utf-8")
    guarded = processes.run(syncd(config, "run-once"), timeout=120, env=env_for(sandbox))
    assert guarded.returncode == ExitCode.GUARD, guarded.stderr[-3000:]
    sandbox.clear_journal()
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    victim = start(
        processes, config, env_for(sandbox), "release-deletes", "--dealer", "D1", "--yes", "--json"
    )
    status, out, lines = stopped_after(victim, "ad_delete_sent", SIGNAL_AFTER, signal.SIGTERM)
    text = b"".join(lines).decode(errors="replace")

    assert status == ExitCode.TERMINATED, text[-3000:]
    events = names(lines)
    stopping = events.index("release_deletes_stopping")
    assert stopping < events.index("run_interrupted") < events.index("release_deletes_stopped")
    in_flight = in_flight_at_stop(lines, "release_deletes_stopping")
    sent_before = events[:stopping].count("ad_delete_sent")
    assert events[stopping:].count("ad_delete_sent") == in_flight
    doc = json.loads(out)
    assert doc["run"] is None
    assert len(doc["withheld"]["source_ids"]) == ADS - KEPT

    deletes = [e for e in sandbox.journal() if e["method"] == "DELETE"]
    answered = {e["source_id"] for e in deletes if e["status"] < 300}
    assert len(deletes) == len(answered) == sent_before + in_flight
    rows = stages(db)
    assert {sid for sid in answered if rows.get(sid) not in ("sent", "done")} == set()
    outcome, message, _ = last_run(db) or ("", "", None)
    assert (outcome, message) == ("failed", "interrupted: syncd stopped")

    run_once_sends_the_rest(processes, config, sandbox)
    gone = {f"s{i:02d}" for i in range(KEPT, ADS)} - answered
    assert sorted(sandbox.mutations()) == sorted(("DELETE", sid) for sid in gone)
    live = {sid for (_, sid), ad in sandbox.ads().items() if ad["state"] == "created"}
    assert live == {f"s{i:02d}" for i in range(KEPT)}


def test_a_multi_dealer_apply_stopped_at_a_later_lock_prints_the_dealers_it_applied(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """A saved plan for three dealers, D2's lock held elsewhere: SIGTERM while apply waits
    for it ends the wait; stdout holds D1's report (applied in full, recorded), nothing of
    D2 or D3 was sent or recorded, exit 143 with the wait's line and the count."""
    sandbox.reset()
    config = multi.configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token(*multi.DEALERS), "SYNCD_CONFIG": ""}
    plan = tmp_path / "plan.json"
    made = processes.run(syncd(config, "plan", "--out", str(plan)), timeout=120, env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    engine = make_engine(f"sqlite:///{db}")
    try:
        with run_lock(engine, "D2", wait=0):
            victim = start(processes, config, env, "apply", str(plan), "--json")
            status, out, lines = stopped_after(victim, "run_lock_waiting", 1, signal.SIGTERM)
    finally:
        engine.dispose()
    text = b"".join(lines).decode(errors="replace")

    assert status == ExitCode.TERMINATED, text[-3000:]
    waiting = next(e for e in map(event_of, lines) if e.get("event") == "run_lock_waiting")
    assert waiting["dealer_code"] == "D2"
    assert "syncd: stopped while waiting for the run lock of dealer 'D2' (by SIGTERM)" in text
    assert "1 of 3 dealer(s)' plans applied in full" in text
    reports = json.loads(out)
    assert [(r["dealer_code"], r["outcome"]) for r in reports] == [("D1", "success")]
    assert multi.runs_of(db) == {"D1": "success"}
    assert multi.dealers_in_mirror(db) == {"D1"}
    assert sandbox.mutations() == [("POST", "D1-1")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT stage FROM ads").fetchall() == [("done",)]


def test_a_multi_dealer_adopt_stopped_at_a_later_lock_prints_the_dealers_it_adopted(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """Three dealers synced, then the mirror lost; D2's lock held elsewhere: SIGTERM while
    adopt waits for it prints D1's adoption (recorded), records nothing of D2 or D3,
    writes nothing to the API, and exits 143."""
    sandbox.reset()
    config = multi.configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token(*multi.DEALERS), "SYNCD_CONFIG": ""}
    synced = processes.run(syncd(config, "run-once"), timeout=120, env=env)
    assert synced.returncode == 0, synced.stderr[-3000:]
    for lost in (db, *(Path(f"{db}{end}") for end in ("-wal", "-shm", "-journal"))):
        lost.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    try:
        upgrade(engine)
        sandbox.clear_journal()
        with run_lock(engine, "D2", wait=0):
            victim = start(processes, config, env, "adopt", "--json")
            status, out, lines = stopped_after(victim, "run_lock_waiting", 1, signal.SIGTERM)
    finally:
        engine.dispose()
    text = b"".join(lines).decode(errors="replace")

    assert status == ExitCode.TERMINATED, text[-3000:]
    assert "adopt_stopped" in names(lines), text[-3000:]
    assert "syncd: stopped while waiting for the run lock of dealer 'D2' (by SIGTERM)" in text
    assert "1 of 3 dealer(s) adopted in full" in text
    reports = json.loads(out)
    assert [(r["dealer_code"], r["counts"].get("same")) for r in reports] == [("D1", 1)]
    assert multi.dealers_in_mirror(db) == {"D1"}
    assert sandbox.mutations() == []


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)]
)
def test_a_signal_while_release_deletes_computes_the_set_exits_cleanly_having_sent_nothing(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    sig: signal.Signals,
    code: ExitCode,
) -> None:
    """A signal while release-deletes reads the feed (it settles, before any lock): exit
    143 (130) with a line saying nothing was sent, no traceback, nothing on stdout, no
    request to the API and no run recorded."""
    sandbox.reset()
    config = configure(tmp_path, sandbox, settle=600)  # just written: it settles for long
    victim = start(
        processes, config, env_for(sandbox), "release-deletes", "--dealer", "D1", "--yes", "--json"
    )
    status, out, lines = stopped_after(victim, "feed_settling", 1, sig)
    text = b"".join(lines).decode(errors="replace")

    assert status == code, text[-3000:]
    assert f"syncd: stopped by {sig.name} before the deletes were computed: nothing was sent" in (
        text
    )
    assert "Traceback" not in text
    assert "release_deletes_stopped" in names(lines)
    assert out == b""
    assert sandbox.journal() == []
    assert last_run(tmp_path / "mirror.db") is None


def test_sigterm_at_release_deletes_prompt_exits_cleanly_having_sent_nothing(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """On a terminal, SIGTERM while release-deletes asks to confirm: exit 143 with a line
    saying nothing was sent (not a kill by the default handler); no DELETE reached the
    API and the rows are as they were."""
    sandbox.reset()
    config = configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    synced = processes.run(syncd(config, "run-once"), timeout=120, env=env_for(sandbox))
    assert synced.returncode == 0, synced.stderr[-3000:]
    kept = [furniture(f"s{i:02d}", title=f"Bord {i}") for i in range(KEPT)]
    (tmp_path / "feed.json").write_text(json.dumps(kept), encoding="utf-8")
    guarded = processes.run(syncd(config, "run-once"), timeout=120, env=env_for(sandbox))
    assert guarded.returncode == ExitCode.GUARD, guarded.stderr[-3000:]
    before = stages(db)
    sandbox.clear_journal()
    controller, terminal = pty.openpty()
    try:
        victim = processes.start(
            syncd(config, "release-deletes", "--dealer", "D1"),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env_for(sandbox),
        )
        os.close(terminal)
        seen = b""
        while b"Delete these" not in seen:
            chunk = read_terminal(controller)
            assert chunk, seen.decode(errors="replace")[-3000:]  # it ended without asking
            seen += chunk
        victim.send_signal(signal.SIGTERM)
        while chunk := read_terminal(controller):
            seen += chunk
        status = victim.wait(timeout=EXIT_WITHIN)
    finally:
        os.close(controller)
    text = seen.decode(errors="replace")

    assert status == ExitCode.TERMINATED, text[-3000:]
    assert "syncd: stopped by SIGTERM before they were sent: nothing was sent" in text
    assert "Traceback" not in text
    assert [e for e in sandbox.journal() if e["method"] == "DELETE"] == []
    assert stages(db) == before


def read_terminal(controller: int) -> bytes:
    """What the child wrote to its terminal next (b"" once it closed it)."""
    try:
        return os.read(controller, 4096)
    except OSError:  # EIO: every copy of the terminal's other end is closed
        return b""


def test_an_error_after_the_stop_still_prints_the_dealers_applied_before_it(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """A saved plan for three dealers; D2's create answered 503 each time: SIGTERM while
    that call is retried (in flight), then its retries run out (the API unavailable):
    stdout still holds D1's report, stderr the error and the stop's line, and the exit
    code is the error's (7), not the stop's; nothing of D3 was sent."""
    sandbox.reset()
    config = multi.configure(tmp_path, sandbox)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[api]\n", "[api]\nretry_attempts = 3\n"), encoding="utf-8")
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token(*multi.DEALERS), "SYNCD_CONFIG": ""}
    plan = tmp_path / "plan.json"
    made = processes.run(syncd(config, "plan", "--out", str(plan)), timeout=120, env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    faults = {"script": ["ok", "503", "503", "503"], "methods": ["POST"]}
    sandbox.admin("PATCH", "faults", json=faults)
    victim = processes.start(
        syncd(config, "--log-level", "debug", "apply", str(plan), "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pipesize=PIPE_SIZE,
        env=env,
    )
    assert victim.stderr is not None
    assert victim.stdout is not None
    lines: list[bytes] = []
    while line := victim.stderr.readline():  # up to D2's first 503: its create retried
        lines.append(line)
        record = event_of(line)
        if record.get("event") == "api_call" and record.get("status") == 503:
            break
    victim.send_signal(signal.SIGTERM)
    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(victim.stdout.read)
        lines += victim.stderr.readlines()
        status = victim.wait(timeout=EXIT_WITHIN)
        stdout = out.result(timeout=EXIT_WITHIN)
    sandbox.admin("DELETE", "faults")
    text = b"".join(lines).decode(errors="replace")

    assert status == ExitCode.TEMPORARY, text[-3000:]
    events = names(lines)
    assert events.index("apply_stopping") < events.index("apply_error_after_stop")
    assert "syncd: POST" in text  # the error's own line
    assert "syncd: stopped by SIGTERM once the calls in flight were answered" in text
    assert "1 of 3 dealer(s)' plans applied in full" in text
    reports = json.loads(stdout)
    assert [(r["dealer_code"], r["outcome"]) for r in reports] == [("D1", "success")]
    posts = [e["status"] for e in sandbox.journal() if e["method"] == "POST"]
    assert posts == [201, 503, 503, 503]  # D1's, then D2's three tries; none of D3
    assert multi.dealers_in_mirror(tmp_path / "mirror.db") == {"D1", "D2"}  # D2's intent


def test_a_multi_dealer_audit_stopped_at_a_later_lock_prints_the_dealers_it_audited(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """Three dealers synced, one of D1's ads deleted behind syncd's back; D2's lock held
    elsewhere: SIGTERM while audit waits for it prints D1's audit (recorded), audits
    nothing of D2 or D3, writes nothing to the API, and exits 143."""
    sandbox.reset()
    config = multi.configure(tmp_path, sandbox)
    db = tmp_path / "mirror.db"
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token(*multi.DEALERS), "SYNCD_CONFIG": ""}
    synced = processes.run(syncd(config, "run-once"), timeout=120, env=env)
    assert synced.returncode == 0, synced.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        [(source_id,)] = conn.execute("SELECT source_id FROM ads WHERE dealer_code = 'D1'")
    behind_syncds_back(sandbox, "DELETE", source_id, "deleted")
    engine = make_engine(f"sqlite:///{db}")
    try:
        sandbox.clear_journal()
        with run_lock(engine, "D2", wait=0):
            victim = start(processes, config, env, "audit", "--json")
            status, out, lines = stopped_after(victim, "run_lock_waiting", 1, signal.SIGTERM)
    finally:
        engine.dispose()
    text = b"".join(lines).decode(errors="replace")

    assert status == ExitCode.TERMINATED, text[-3000:]
    assert "audit_stopped" in names(lines), text[-3000:]
    assert "1 of 3 dealer(s) audited in full" in text
    [report] = json.loads(out)
    assert (report["dealer_code"], report["counts"]["deleted_outside"]) == ("D1", 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT dealer_code, remote_state FROM ads ORDER BY 1").fetchall() == [
            ("D1", "deleted"),
            ("D2", "created"),
            ("D3", "created"),
        ]
    assert sandbox.mutations() == []
