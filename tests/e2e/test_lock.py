"""One run at a time per dealer: a second run-once waits, then exits 9 with a clear message."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
from syncd.mirror.migrate import upgrade
from tests.processes import Processes

pytestmark = pytest.mark.slow


def test_run_once_refuses_to_interleave_with_a_running_sync(
    tmp_path: Path, processes: Processes
) -> None:
    """While another process holds the dealer's lock, run-once exits 9 and sends nothing."""
    (tmp_path / "feed.json").write_text("[]", encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        '[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "embedded-sandbox"\n'
        "[sync]\nlock_wait = 0.5\n"
        '[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\ndealer_code = "D1"\n',
        encoding="utf-8",
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'mirror.db'}")
    try:
        upgrade(engine)
        with run_lock(engine, "D1", wait=0):
            result = processes.run(
                [
                    sys.executable,
                    "-m",
                    "syncd",
                    "--config",
                    str(tmp_path / "syncd.toml"),
                    "run-once",
                ],
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "SYNCD_CONFIG": ""},
            )
    finally:
        engine.dispose()
    assert result.returncode == 9, result.stderr
    assert "D1" in result.stderr
