"""The syncd command line in-process (click's CliRunner) against a sandbox over real HTTP."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import structlog
from click.testing import CliRunner, Result

from syncd import cli
from tests.integration.sandbox_server import SandboxServer

DEALER = "D1"


class Cli:
    """A folder with a config for one dealer's feed on the sandbox, and the CLI to run in it."""

    def __init__(self, folder: Path, sandbox: SandboxServer) -> None:
        self.folder = folder
        self.sandbox = sandbox
        self.feed = folder / "inventory.json"
        self.config = folder / "syncd.toml"
        self.config.write_text(
            f'[database]\nurl = "sqlite:///{folder / "syncd.db"}"\n'
            f'[api]\nbase_url = "{sandbox.url}"\nrequests_per_second = 200\n'
            "[sync]\nreconcile_wait = 20\npoll_interval = 0.05\n"
            f'[[feeds]]\nsettle_seconds = 0\npath = "{self.feed}"\ndealer_code = "{DEALER}"\n',
            encoding="utf-8",
        )
        self.env = {"SYNCD_API_TOKEN": sandbox.token(DEALER), "SYNCD_CONFIG": str(self.config)}

    def write(self, ads: list[dict[str, Any]]) -> None:
        """Write the feed."""
        self.feed.write_text(json.dumps({"ads": ads}), encoding="utf-8")

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        """Run ``syncd ARGS`` in-process; logging is restored afterwards."""
        root = logging.getLogger()
        saved = (root.handlers[:], root.level)
        try:
            return CliRunner(env=self.env).invoke(cli.main, list(args), input=stdin)
        finally:
            root.handlers[:], level = saved
            root.setLevel(level)
            structlog.reset_defaults()
            structlog.contextvars.clear_contextvars()

    def json(self, *args: str) -> Any:
        """Run a command with ``--json`` that must succeed, and parse its stdout."""
        result = self(*args, "--json")
        assert result.exit_code == 0, (result.exit_code, result.stderr)
        return json.loads(result.stdout)


def said(result: Result) -> str:
    """The one-line messages syncd wrote on stderr, joined."""
    return "\n".join(line for line in result.stderr.splitlines() if line.startswith("syncd: "))
