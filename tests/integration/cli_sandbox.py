"""The syncd command line in-process (click's CliRunner) against a sandbox over real HTTP."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from click.testing import CliRunner, Result

from syncd import bootstrap, cli
from tests.integration.sandbox_server import SandboxServer

DEALER = "D1"

EMBEDDED_CONFIG = """\
[database]
url = "sqlite:///syncd.db"
[api]
base_url = "embedded-sandbox"
sandbox_state = "sandbox.db"
[sync]
reconcile_wait = 10
poll_interval = 0.05
[[feeds]]
settle_seconds = 0
path = "inventory.json"
"""
"""A config on the embedded sandbox (its state kept in the folder) and one feed."""


def embedded_folder(folder: Path) -> Path:
    """``folder`` with :data:`EMBEDDED_CONFIG` as ``syncd.toml`` and the sample feed."""
    (folder / "syncd.toml").write_text(EMBEDDED_CONFIG, encoding="utf-8")
    shutil.copy(bootstrap.sample_feed_path(), folder / "inventory.json")
    return folder


@contextmanager
def kept_logging() -> Iterator[None]:
    """Logging and structlog as they were before the block (a command configures both)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def invoke(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    restore_logging: bool = True,
) -> Result:
    """Run ``syncd ARGS`` in-process (click's CliRunner); logging restored afterwards,
    unless the caller restores it later (to look at what the command set up)."""
    if not restore_logging:
        return CliRunner(env=env).invoke(cli.main, list(args), input=stdin)
    with kept_logging():
        return CliRunner(env=env).invoke(cli.main, list(args), input=stdin)


class Cli:
    """A folder with a config for one dealer's feed on the sandbox, and the CLI to run in it.

    ``extra`` is more TOML for the config (tables after the feed's).
    """

    def __init__(self, folder: Path, sandbox: SandboxServer, *, extra: str = "") -> None:
        self.folder = folder
        self.sandbox = sandbox
        self.feed = folder / "inventory.json"
        self.mirror = folder / "syncd.db"
        self.config = folder / "syncd.toml"
        self.config.write_text(
            f'[database]\nurl = "sqlite:///{self.mirror}"\n'
            f'[api]\nbase_url = "{sandbox.url}"\nrequests_per_second = 200\n'
            "[sync]\nreconcile_wait = 20\npoll_interval = 0.05\n"
            f'[[feeds]]\nsettle_seconds = 0\npath = "{self.feed}"\ndealer_code = "{DEALER}"\n'
            + extra,
            encoding="utf-8",
        )
        self.env = {"SYNCD_API_TOKEN": sandbox.token(DEALER), "SYNCD_CONFIG": str(self.config)}

    def write(self, ads: list[dict[str, Any]]) -> None:
        """Write the feed."""
        self.feed.write_text(json.dumps({"ads": ads}), encoding="utf-8")

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        """Run ``syncd ARGS`` in-process with this folder's config."""
        return invoke(args, env=self.env, stdin=stdin)

    def synced(self, ads: list[dict[str, Any]]) -> None:
        """Write the feed and run once, successfully."""
        self.write(ads)
        result = self("run-once", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[0]["outcome"] == "success"

    def json(self, *args: str) -> Any:
        """Run a command with ``--json`` that must succeed, and parse its stdout."""
        result = self(*args, "--json")
        assert result.exit_code == 0, (result.exit_code, result.stderr)
        return json.loads(result.stdout)


def said(result: Result) -> str:
    """The one-line messages syncd wrote on stderr, joined."""
    return "\n".join(line for line in result.stderr.splitlines() if line.startswith("syncd: "))


def synced_cli(
    folder: Path, sandbox: SandboxServer, monkeypatch: Any, ads: list[dict[str, Any]]
) -> Cli:
    """A reset sandbox and a folder (the cwd) whose feed of ``ads`` was synced once, the
    journal cleared afterwards."""
    monkeypatch.chdir(folder)
    sandbox.reset()
    c = Cli(folder, sandbox)
    c.synced(ads)
    sandbox.clear_journal()
    return c
