"""The syncd command line in-process (click's CliRunner), on the embedded sandbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from syncd import cli
from tests.integration.cli_sandbox import embedded_folder, invoke, kept_logging


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with a config and the sample feed, as cwd; logging restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.delenv("SYNCD_API_TOKEN", raising=False)
    embedded_folder(tmp_path)
    with kept_logging():
        yield tmp_path


def syncd(*args: str) -> Result:
    """Run the syncd command line with these arguments (the tests look at its logging)."""
    return invoke(args, restore_logging=False)


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


def test_run_once_takes_config_after_the_command() -> None:
    """`syncd run-once --config F` reads F, as `syncd --config F run-once` does."""
    result = syncd("run-once", "--config", "syncd.toml")
    assert result.exit_code == 0, result.output
    assert "success (create 4, requests " in result.stdout
    assert "sent 4, done 4)" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["run-once"], ["plan"], ["status"], ["validate"], ["map"], ["db", "upgrade"]],
    ids=" ".join,
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_every_command_takes_the_global_options_on_either_side(
    command: list[str], where: str
) -> None:
    """--config, --log-level and --demo work before and after each command's name."""
    configured = ["--config", "syncd.toml", "--log-level", "warning"]
    for options in (configured, ["--demo"]):
        args = [*options, *command] if where == "before" else [*command, *options]
        result = syncd(*args)
        assert result.exit_code == 0, (args, result.output)
        if options is configured:
            assert logging.getLogger().level == logging.WARNING


def test_the_daemon_takes_config_after_its_name(folder: Path) -> None:
    """`syncd daemon --config F` loads F: without feeds it exits 3 naming F, not 2 (usage)."""
    (folder / "empty.toml").write_text('[database]\nurl = "sqlite:///e.db"\n', encoding="utf-8")
    result = syncd("daemon", "--config", "empty.toml")
    assert result.exit_code == cli.ExitCode.CONFIG, result.output
    assert said(result) == ["syncd: empty.toml: feeds: no [[feeds]] configured"]


def test_the_option_after_the_command_wins() -> None:
    """Given on both sides, the option after the command name is the one used."""
    assert syncd("--config", "missing.toml", "plan", "--config", "syncd.toml").exit_code == 0
    result = syncd("--config", "syncd.toml", "plan", "--config", "missing.toml")
    assert result.exit_code == cli.ExitCode.CONFIG
    assert "missing.toml" in result.stderr
    assert syncd("--log-level", "debug", "status", "--log-level", "error").exit_code == 0
    assert logging.getLogger().level == logging.ERROR
