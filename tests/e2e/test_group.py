"""A dealer-group install: one dealer the token does not cover never stops the others."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.integration.harness import goods
from tests.integration.sandbox_server import running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow


def test_a_dealer_outside_the_token_fails_alone(tmp_path: Path, processes: Processes) -> None:
    """D0 is refused (403) and reported with exit 5; D1 and D2 are synced all the same."""
    feeds = ""
    for dealer in ("D0", "D1", "D2"):
        (tmp_path / f"{dealer}.json").write_text(json.dumps([goods(1)]), encoding="utf-8")
        feeds += (
            f'[[feeds]]\nsettle_seconds = 0\npath = "{dealer}.json"\ndealer_code = "{dealer}"\n'
        )
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        (tmp_path / "syncd.toml").write_text(
            f'[database]\nurl = "sqlite:///m.db"\n[api]\nbase_url = "{sandbox.url}"\n'
            f"[sync]\npoll_interval = 0.05\n{feeds}",
            encoding="utf-8",
        )
        result = processes.run(
            [sys.executable, "-m", "syncd", "--config", str(tmp_path / "syncd.toml"), "run-once"],
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "SYNCD_API_TOKEN": sandbox.token("D1", "D2")},
        )
        ads = sandbox.ads()
    assert result.returncode == 5, result.stderr
    assert "HTTP 403" in result.stderr
    assert sorted(ads) == [("D1", "sofa-1"), ("D2", "sofa-1")]
