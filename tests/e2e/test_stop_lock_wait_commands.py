"""A signal while ``apply``, ``release-deletes``, ``adopt`` or ``migrate-v4`` waits for a
dealer's run lock ends the wait at once, as it does for ``run-once``.

Each case makes a state in which the command would send or write something (a saved
plan, deletes held back by a guard, a lost mirror, v3 mopeds to migrate), then holds
the dealer's lock (as another run would) and starts the command with a ``lock_wait``
far beyond the test's limits. It sends the signal right after the command logs
``run_lock_waiting`` (read from its stderr: no sleep). The command must exit 143
(130 for SIGINT), log ``run_lock_wait_stopped``, and have sent nothing to the API and
changed nothing in the mirror.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncd.cli.exits import ExitCode
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
from syncd.mirror.migrate import upgrade
from tests.e2e.test_stop import event_of, names, read_until
from tests.integration.cli_sandbox import DEALER, Cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.integration.test_migrate_v4 import use_version, v3_moped, v4_moped
from tests.processes import Processes

pytestmark = pytest.mark.slow

LOCK_WAIT = 600  # seconds: beyond the test's timeout, so only the signal can end the wait
EXIT_WITHIN = 60  # seconds the command may take to exit after the signal (a loaded machine)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def folder(tmp_path: Path, sandbox: SandboxServer, *, extra: str = "") -> Cli:
    """A reset sandbox and a folder for dealer D1 whose runs wait ``LOCK_WAIT`` for a lock."""
    sandbox.reset()
    c = Cli(tmp_path, sandbox, extra=extra)
    text = c.config.read_text(encoding="utf-8")
    c.config.write_text(text.replace("[sync]\n", f"[sync]\nlock_wait = {LOCK_WAIT}\n"), "utf-8")
    return c


def saved_plan(tmp_path: Path, sandbox: SandboxServer) -> tuple[Cli, list[str]]:
    """Two new sofas, planned and saved: ``apply`` would create them."""
    c = folder(tmp_path, sandbox)
    c.write([goods(0), goods(1)])
    plan = tmp_path / "plan.json"
    assert c("plan", "--out", str(plan)).exit_code == 0
    return c, ["apply", str(plan)]


def withheld_deletes(tmp_path: Path, sandbox: SandboxServer) -> tuple[Cli, list[str]]:
    """Five live sofas, then a feed of two: three deletes held back, to be released."""
    c = folder(tmp_path, sandbox)
    c.synced([goods(i) for i in range(5)])
    c.write([goods(0), goods(1)])
    assert c("run-once").exit_code == ExitCode.GUARD
    return c, ["release-deletes", "--dealer", DEALER, "--yes"]


def lost_mirror(tmp_path: Path, sandbox: SandboxServer) -> tuple[Cli, list[str]]:
    """Two live sofas and an empty mirror (the file lost, made again): ``adopt`` would
    record them."""
    c = folder(tmp_path, sandbox)
    c.synced([goods(0), goods(1)])
    for lost in (c.mirror, *(Path(f"{c.mirror}{end}") for end in ("-wal", "-shm", "-journal"))):
        lost.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{c.mirror}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return c, ["adopt"]


def v3_mopeds(tmp_path: Path, sandbox: SandboxServer) -> tuple[Cli, list[str]]:
    """A moped synced through v3, then the config and the feed on v4: ``migrate-v4``
    would migrate it."""
    c = folder(tmp_path, sandbox, extra="[guards]\nmax_feed_age = 0\n")
    use_version(c, 3)
    c.synced([v3_moped(1)])
    use_version(c, 4)
    c.write([v4_moped(1)])
    return c, ["migrate-v4", "--dealer", DEALER]


Setup = Callable[[Path, SandboxServer], tuple[Cli, list[str]]]


def mirror_dump(db: Path) -> list[str]:
    """Every statement that would rebuild the mirror (its schema and every row)."""
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


@pytest.mark.parametrize(
    ("setup", "sig", "code"),
    [
        (saved_plan, signal.SIGTERM, ExitCode.TERMINATED),
        (saved_plan, signal.SIGINT, ExitCode.INTERRUPTED),
        (withheld_deletes, signal.SIGTERM, ExitCode.TERMINATED),
        (lost_mirror, signal.SIGTERM, ExitCode.TERMINATED),
        (v3_mopeds, signal.SIGTERM, ExitCode.TERMINATED),
    ],
    ids=[
        "apply-SIGTERM",
        "apply-SIGINT",
        "release-deletes-SIGTERM",
        "adopt-SIGTERM",
        "migrate-v4-SIGTERM",
    ],
)
def test_a_signal_while_a_command_waits_for_the_run_lock_ends_it_having_done_nothing(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    setup: Setup,
    sig: signal.Signals,
    code: ExitCode,
) -> None:
    """The signal ends the wait for D1's lock: exit 143 (130), run_lock_wait_stopped
    naming the dealer and the signal, a line on stderr, no request to the API and the
    mirror as it was."""
    c, command = setup(tmp_path, sandbox)
    sandbox.clear_journal()
    before = mirror_dump(c.mirror)
    engine = make_engine(f"sqlite:///{c.mirror}")
    try:
        with run_lock(engine, DEALER, wait=0):
            victim = processes.start(
                [
                    *(sys.executable, "-m", "syncd", "--config", str(c.config)),
                    *("--log-level", "info", *command),
                ],
                stdout=subprocess.DEVNULL,  # release's table: not looked at
                stderr=subprocess.PIPE,
                env={**os.environ, "SYNCD_API_TOKEN": c.env["SYNCD_API_TOKEN"], "SYNCD_CONFIG": ""},
            )
            assert victim.stderr is not None
            lines = read_until(victim.stderr, "run_lock_waiting")
            assert event_of(lines[-1]).get("dealer_code") == DEALER, lines[-5:]
            victim.send_signal(sig)
            # The rest through the reader read_until used (communicate() reads the pipe
            # itself and skips the lines that reader holds). Bounded by the victim's exit,
            # never by time: only a missed signal keeps the pipe open.
            lines += victim.stderr.readlines()
            victim.wait(timeout=EXIT_WITHIN)
    finally:
        engine.dispose()
    text = b"".join(lines).decode(errors="replace")

    assert victim.returncode == code, text[-3000:]
    events = names(lines)
    assert "run_lock_wait_stopped" in events, text[-3000:]
    stopped = next(
        event_of(line) for line in lines if event_of(line).get("event") == "run_lock_wait_stopped"
    )
    assert (stopped["dealer_code"], stopped["signal"]) == (DEALER, sig.name)
    assert f"syncd: stopped while waiting for the run lock of dealer 'D1' (by {sig.name})" in text
    assert sandbox.journal() == []
    assert mirror_dump(c.mirror) == before
