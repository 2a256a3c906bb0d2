"""SIGTERM/SIGINT stop a real ``syncd migrate-v4`` mid-call, as they stop ``run-once``
(tests/e2e/test_stop.py): the migration in flight is answered and recorded, no other
is sent, the dealers migrated in full are printed, and the command exits 143 (130).

Two dealers' mopeds synced through v3, then the config and the feeds on v4; the
command talks to the sandbox subprocess over HTTP, each answer delayed (the latency
fault) so that a migration is in flight when the signal comes, right after a given
event on the victim's stderr (a one-page pipe read through one buffered reader).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.cli.exits import ExitCode
from tests.e2e.test_stop import LATENCY, event_of, names
from tests.e2e.test_stop_commands import in_flight_at_stop, start, stopped_after
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.integration.test_migrate_v4 import v3_moped, v4_moped
from tests.processes import Processes

pytestmark = pytest.mark.slow

MOPEDS = {"D1": range(2), "D2": range(10, 30)}  # D1 done in full before D2 starts
SIGNAL_AFTER = 2  # D2's migrations answered (logged) before the signal


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, processing quickly."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def configure(tmp_path: Path, sandbox: SandboxServer, version: int) -> Path:
    """The two dealers' config on ``api.version``, their feeds in that version's shape."""
    shape = v3_moped if version == 3 else v4_moped
    feeds = ""
    for dealer, numbers in MOPEDS.items():
        feed = tmp_path / f"{dealer}.json"
        feed.write_text(json.dumps([shape(n) for n in numbers]), encoding="utf-8")
        feeds += f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\ndealer_code = "{dealer}"\n'
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "mirror.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\nversion = {version}\nrequests_per_second = 200.0\n'
        "[sync]\npoll_interval = 0.05\nreconcile_wait = 30.0\n"
        f"[guards]\nmax_feed_age = 0\n{feeds}",
        encoding="utf-8",
    )
    return config


def stages(db: Path) -> dict[tuple[str, str], str | None]:
    """Each mirror row's stage, by dealer and source_id."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT dealer_code, source_id, stage FROM ads").fetchall()
    return {(d, s): st for d, s, st in rows}


def migrations_sent(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """The sandbox's journal of migrate calls."""
    return [e for e in sandbox.journal() if e["path"].endswith("/migrate")]


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)]
)
def test_a_signal_mid_migration_answers_the_one_in_flight_and_prints_the_dealers_done(
    tmp_path: Path,
    sandbox: SandboxServer,
    processes: Processes,
    sig: signal.Signals,
    code: ExitCode,
) -> None:
    """D1 migrated in full, then a signal while D2's migrations go out one at a time: the
    one in flight is answered and recorded, no other is sent (at most one intent left,
    read back by the next run), stdout holds D1's report only, stderr the count, exit
    143 (130); a second migrate-v4 migrates exactly the rest."""
    sandbox.reset()
    env = {**os.environ, "SYNCD_API_TOKEN": sandbox.token(*MOPEDS), "SYNCD_CONFIG": ""}
    db = tmp_path / "mirror.db"
    v3 = configure(tmp_path, sandbox, 3)
    synced = processes.run([sys.executable, "-m", "syncd", "--config", str(v3), "run-once"],
                           timeout=120, env=env)  # fmt: skip
    assert synced.returncode == 0, synced.stderr[-3000:]
    config = configure(tmp_path, sandbox, 4)
    sandbox.clear_journal()
    sandbox.admin("PATCH", "faults", json={"latency": LATENCY})
    victim = start(processes, config, env, "migrate-v4", "--json")
    first = len(MOPEDS["D1"]) + SIGNAL_AFTER
    status, out, lines = stopped_after(victim, "ad_migrate_sent", first, sig)
    text = b"".join(lines).decode(errors="replace")
    sandbox.admin("PATCH", "faults", json={"latency": 0.0})

    assert status == code, text[-3000:]
    events = names(lines)
    stopping = events.index("migrate_v4_stopping")
    assert stopping < events.index("migrate_v4_stopped")
    in_flight = in_flight_at_stop(lines, "migrate_v4_stopping")
    assert in_flight <= 1  # one migration at a time
    sent_before = events[:stopping].count("ad_migrate_sent")
    assert sent_before >= first
    assert events[stopping:].count("ad_migrate_sent") == in_flight  # answered and logged
    finished = [
        e["dealer_code"] for e in map(event_of, lines) if e.get("event") == "migrate_v4_finished"
    ]
    assert finished == ["D1"]
    assert f"syncd: stopped by {sig.name} once the calls in flight were answered" in text
    assert "1 of 2 dealer(s) migrated in full" in text
    reports = json.loads(out)
    assert [(r["dealer_code"], r["counts"]) for r in reports] == [("D1", {"migrated": 2})]

    calls = migrations_sent(sandbox)
    assert len(calls) == sent_before + in_flight  # none started after the stop
    assert all(e["status"] < 300 for e in calls)
    migrated = {e["source_id"] for e in calls}
    d2 = {f"moped-{n}" for n in MOPEDS["D2"]}
    assert len(migrated & d2) < len(d2)
    ads = sandbox.ads()
    assert {sid for (_, sid), ad in ads.items() if ad["api_version"] == "v4"} == migrated
    rows = stages(db)
    assert {sid for (d, sid), st in rows.items() if st == "intent"} <= d2 - migrated
    assert sum(1 for st in rows.values() if st == "intent") <= 1  # the one the gate held
    assert {rows[("D2", sid)] for sid in migrated & d2} <= {"sent", "done"}

    sandbox.clear_journal()
    again = processes.run(
        [sys.executable, "-m", "syncd", "--config", str(config), "migrate-v4", "--json"],
        timeout=120,
        env=env,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert {e["source_id"] for e in migrations_sent(sandbox)} == d2 - migrated
    assert {ad["api_version"] for ad in sandbox.ads().values()} == {"v4"}
