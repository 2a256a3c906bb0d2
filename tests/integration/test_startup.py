"""Start-up: each command imports only what it needs (issue 12).

``syncd --help`` lists the commands without importing any of them, and a run
against a real API (here the sandbox over HTTP, in another process) imports
neither the sandbox, the daemon's stack, Alembic nor rich.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.cli import group
from syncd.mirror import migrate, revision
from tests.integration.sandbox_server import SandboxServer, running_sandbox

HEAVY = (
    "syncd.sandbox",
    "syncd.daemon",
    "syncd.tables",
    "alembic",
    "uvicorn",
    "starlette",
    "apscheduler",
)
"""What a run against the real API must not import. rich is not among them: httpx itself
imports rich (and pygments) for its own command line whenever they are installed."""

PROBE = """
import json, sys
from syncd.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _imported(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    """Run the CLI in a fresh interpreter; its exit code and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = done.stderr.strip().splitlines()[-1]
    doc = json.loads(last)
    return doc["code"], set(doc["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox over HTTP in its own process."""
    with running_sandbox("--processing-delay", "0") as server:
        yield server


def test_help_imports_no_command(tmp_path: Path) -> None:
    """`syncd --help` imports click and the command table, not one command's module."""
    code, modules = _imported(["--help"], tmp_path)
    assert code == 0
    commands = {spec.partition(":")[0] for spec, _ in group.COMMANDS.values()}
    assert not commands & modules
    assert not {"sqlalchemy", "httpx", "pydantic", "structlog"} & modules
    assert _heavy(modules) == []
    assert "rich" not in modules


def test_run_once_against_a_real_api_imports_none_of_the_heavy_stack(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A run against an API over HTTP, on a current schema: no sandbox, Alembic, rich or daemon."""
    feed = tmp_path / "feed.json"
    feed.write_text('{"ads": []}', encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\n'
        "[sync]\nreconcile_wait = 5\npoll_interval = 0.05\n"
        f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\ndealer_code = "D1"\n',
        encoding="utf-8",
    )
    env = {"SYNCD_API_TOKEN": sandbox.token("D1"), "SYNCD_CONFIG": str(tmp_path / "syncd.toml")}
    code, _ = _imported(["db", "upgrade"], tmp_path, env)
    assert code in (0, None)
    code, modules = _imported(["run-once", "--json"], tmp_path, env)
    assert code in (0, None)
    assert "syncd.service" in modules  # it did run
    assert _heavy(modules) == []


@pytest.mark.parametrize("name", list(group.COMMANDS))
def test_the_listed_help_is_the_commands_own(name: str) -> None:
    """The one-line help `syncd --help` shows is the first line the command's docstring gives."""
    command = group.load_command(name)
    assert command.name == name
    own = command.get_short_help_str(limit=1000)
    assert own == group.COMMANDS[name][1]


def test_the_light_schema_check_knows_the_newest_migration() -> None:
    """revision.HEAD, read without Alembic, is Alembic's own head."""
    assert migrate.head_revision() == revision.HEAD
