"""The syncd command line in-process (click's CliRunner), on the embedded sandbox."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result

from syncd import cli

SAMPLE = Path(cli.__file__).parent / "data" / "sample-feed.json"
CONFIG = """\
[database]
url = "sqlite:///syncd.db"
[api]
base_url = "embedded-sandbox"
sandbox_state = "sandbox.db"
[sync]
reconcile_wait = 10
poll_interval = 0.05
[[feeds]]
path = "inventory.json"
"""


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with a config and the sample feed, as cwd; logging restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.delenv("SYNCD_API_TOKEN", raising=False)
    (tmp_path / "syncd.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copy(SAMPLE, tmp_path / "inventory.json")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        yield tmp_path
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def syncd(*args: str) -> Result:
    """Run the syncd command line with these arguments."""
    return CliRunner().invoke(cli.main, list(args))


def said(result: Result) -> list[str]:
    """The one-line messages syncd wrote on stderr (log lines are JSON)."""
    return [line for line in result.stderr.splitlines() if line.startswith("syncd: ")]


def test_a_guarded_run_exits_through_guard_tripped(folder: Path) -> None:
    """A run whose deletes a guard holds back says so like any error and exits 8 (GUARD)."""
    assert syncd("--config", "syncd.toml", "run-once").exit_code == 0
    (folder / "inventory.json").write_text("[]", encoding="utf-8")
    result = syncd("--config", "syncd.toml", "run-once")
    assert result.exit_code == cli.ExitCode.GUARD == 8
    assert said(result) == [
        "syncd: deletes and creates held back for (token dealer): the feed is empty and "
        "would delete all 4 live ads; is the exporter broken?"
    ]
