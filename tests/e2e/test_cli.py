"""The syncd command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import Processes

pytestmark = pytest.mark.slow


def syncd(
    processes: Processes, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m syncd ARGS` in a folder and capture its output."""
    return processes.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_CONFIG": "", **(env or {})},
    )


def test_demo_run_creates_the_sample_ads_then_has_nothing_to_do(
    tmp_path: Path, processes: Processes
) -> None:
    """`--demo run-once` publishes the sample feed; a second plan is empty; status agrees."""
    first = syncd(processes, tmp_path, "--demo", "run-once", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)[0]
    assert report["counts"]["create"] == 4
    assert report["counts"]["done"] == 4
    plan = syncd(processes, tmp_path, "--demo", "plan", "--json")
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)[0]["counts"]["unchanged"] == 4
    assert json.loads(plan.stdout)[0]["entries"] == []
    status = syncd(processes, tmp_path, "--demo", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["ads"].get("live") == 4
    second = syncd(processes, tmp_path, "--demo", "run-once", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)[0]["counts"]["sent"] == 0


def test_missing_config_exits_with_the_config_code(tmp_path: Path, processes: Processes) -> None:
    """Without a configuration file syncd exits 3 and says how to give one."""
    result = syncd(processes, tmp_path, "run-once")
    assert result.returncode == 3
    assert "configuration file not found" in result.stderr


def test_broken_feed_exits_with_the_feed_code_and_sends_nothing(
    tmp_path: Path, processes: Processes
) -> None:
    """A truncated feed exits 4, names the file and line, and records no run."""
    feed = tmp_path / "inventory.json"
    feed.write_text('[{"source_id": "a", ', encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        '[api]\nbase_url = "embedded-sandbox"\n'
        '[[feeds]]\nsettle_seconds = 0\npath = "inventory.json"\n',
        encoding="utf-8",
    )
    result = syncd(processes, tmp_path, "--config", "syncd.toml", "run-once")
    assert result.returncode == 4, result.stderr
    assert "inventory.json:1:" in result.stderr
    assert "not valid JSON" in result.stderr
