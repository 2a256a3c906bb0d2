"""A renewal policy run by `syncd daemon` (a subprocess, twice) against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_daemon import PATIENCE, free_port, wait_for, write_feed
from tests.integration.harness import goods
from tests.integration.sandbox_server import running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

CONFIG = """
[database]
url = "sqlite:///mirror.db"
[api]
base_url = "{url}"
[[feeds]]
settle_seconds = 0
path = "inventory.json"
dealer_code = "D1"
[sync]
reconcile_wait = 5.0
poll_interval = 0.1
[daemon]
interval = 600.0
feed_poll_interval = 0.5
reconcile_interval = 0.5
renewal_interval = 0.3
health_port = {port}
stop_timeout = 10.0
[log]
format = "json"
[[renewal]]
name = "sofas"
categories = [2048]
every_days = 7
daily_cap = 3
monthly_cap = 60
"""


def events(log: Path, name: str) -> list[dict[str, Any]]:
    """The JSON log records of one event, in order."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("event") == name]


def accepted(db: Path) -> int:
    """Renewals the mirror records as accepted (0 before the table exists)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM renewals WHERE outcome = 'accepted'")
        except sqlite3.OperationalError:
            return 0
        return int(row.fetchone()[0])


def age_the_ads(db: Path, days: int) -> None:
    """Make the mirror's ads ``days`` old (a new ad counts as renewed when created)."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ads SET created_at = datetime('now', ?)", (f"-{days} days",))


def test_a_cap_of_3_a_day_bumps_3_ads_then_none_across_a_daemon_restart(
    tmp_path: Path, processes: Processes
) -> None:
    """Five sofas a run-once created (none bumped: they are new), made a month old: the
    first daemon bumps 3; a restarted daemon bumps none (the cap is spent)."""
    with running_sandbox("--processing-delay", "0.05") as sandbox:
        write_feed(tmp_path / "inventory.json", {"ads": [goods(i) for i in range(5)]})
        port = free_port()
        config = CONFIG.format(url=sandbox.url, port=port)
        (tmp_path / "syncd.toml").write_text(config, encoding="utf-8")
        env = {**os.environ, "SYNCD_CONFIG": "", "SYNCD_API_TOKEN": sandbox.token("D1")}
        env.pop("NOTIFY_SOCKET", None)
        db = tmp_path / "mirror.db"

        def daemon(log: Path) -> subprocess.Popen[Any]:
            with log.open("w", encoding="utf-8") as stderr:
                return processes.start(
                    [sys.executable, "-m", "syncd", "--config", "syncd.toml", "daemon"],
                    cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                )  # fmt: skip

        once = processes.run(
            [sys.executable, "-m", "syncd", "--config", "syncd.toml", "run-once", "--json"],
            cwd=tmp_path, env=env, timeout=PATIENCE, text=True,
        )  # fmt: skip
        assert once.returncode == 0, once.stderr[-3000:]
        [report] = json.loads(once.stdout)
        assert report["renewals"][0]["due"] == 0
        assert accepted(db) == 0
        age_the_ads(db, 30)

        first_log = tmp_path / "first.log"
        first = daemon(first_log)
        wait_for(lambda: accepted(db) >= 3 or first.poll() is not None, PATIENCE, "3 bumps")
        # One more policy pass after the third bump: it finds the cap spent.
        wait_for(
            lambda: any(e.get("capped") == 2 for e in events(first_log, "renewal_policy_done")),
            PATIENCE,
            "a pass that finds the cap spent",
        )
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'syncd_renewals_total{dealer_code="D1",outcome="accepted",policy="sofas"} 3.0' in (
            metrics
        )
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=PATIENCE) == 0, first_log.read_text(encoding="utf-8")[-3000:]

        second_log = tmp_path / "second.log"
        second = daemon(second_log)
        wait_for(
            lambda: (
                len(events(second_log, "renewal_policy_done")) >= 2 or second.poll() is not None
            ),
            PATIENCE,
            "two policy passes of the restarted daemon",
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=PATIENCE) == 0, second_log.read_text(encoding="utf-8")[-3000:]

        passes = events(second_log, "renewal_policy_done")
        assert all("accepted" not in p for p in passes), passes
        assert passes[-1]["due"] == 2
        assert passes[-1]["capped"] == 2
        assert accepted(db) == 3
        bumps = httpx.get(f"{sandbox.url}/_sandbox/journal", params={"method": "GET"}).json()
        assert sum(1 for e in bumps["results"] if e["path"].endswith("/bump")) == 3


def renewal_outcomes(db: Path) -> list[str]:
    """The outcomes the mirror records, in order."""
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT outcome FROM renewals ORDER BY id")]


def test_a_sigterm_cancelling_a_renewal_that_waits_in_the_throttle_records_it_not_sent(
    tmp_path: Path, processes: Processes
) -> None:
    """One request every 10 s: the daemon's second bump waits in the client's throttle
    when SIGTERM comes right after the first is answered (logged); the stop cancels it
    there at once (not after stop_timeout), before it was sent: not_sent (nothing
    charged), not unknown; the sandbox saw one bump. (The daemon's first request is its
    start-up token check: the first bump waits one interval for it.)"""
    with running_sandbox("--processing-delay", "0.05") as sandbox:
        write_feed(tmp_path / "inventory.json", {"ads": [goods(i) for i in range(3)]})
        config = CONFIG.format(url=sandbox.url, port=free_port()).replace(
            "stop_timeout = 10.0", "stop_timeout = 60.0"
        )
        (tmp_path / "syncd.toml").write_text(config, encoding="utf-8")
        env = {**os.environ, "SYNCD_CONFIG": "", "SYNCD_API_TOKEN": sandbox.token("D1")}
        env.pop("NOTIFY_SOCKET", None)
        db = tmp_path / "mirror.db"
        once = processes.run(
            [sys.executable, "-m", "syncd", "--config", "syncd.toml", "run-once"],
            cwd=tmp_path, env=env, timeout=PATIENCE, text=True,
        )  # fmt: skip
        assert once.returncode == 0, once.stderr[-3000:]
        age_the_ads(db, 30)
        # The daemon alone is throttled: the run-once above created the ads at full rate.
        slow = config.replace("[api]\n", "[api]\nrequests_per_second = 0.1\n")
        (tmp_path / "syncd.toml").write_text(slow, encoding="utf-8")
        log = tmp_path / "daemon.log"
        with log.open("w", encoding="utf-8") as stderr:
            daemon = processes.start(
                [sys.executable, "-m", "syncd", "--config", "syncd.toml", "daemon"],
                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        wait_for(
            lambda: events(log, "ad_renewal_sent") or daemon.poll() is not None,
            PATIENCE,
            "the first bump answered",
        )
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=PATIENCE) == 0
        assert events(log, "job_stopping"), log.read_text(encoding="utf-8")[-3000:]
        assert events(log, "daemon_jobs_cancelled") == []  # the gate's cancel, not the timeout
        assert renewal_outcomes(db) == ["accepted", "not_sent"]
        bumps = httpx.get(f"{sandbox.url}/_sandbox/journal", params={"method": "GET"}).json()
        assert sum(1 for e in bumps["results"] if e["path"].endswith("/bump")) == 1
