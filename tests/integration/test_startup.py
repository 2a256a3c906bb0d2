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

from syncd import bootstrap
from syncd.cli import group
from syncd.config import ApiSettings, DatabaseSettings, Settings
from syncd.core.models import RemoteState
from syncd.errors import ConfigError
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
    "rich",
    "pygments",
)
"""What a run against the real API must not import. structlog and httpx import rich (and
pygments) whenever they are installed, for their console tracebacks and command line:
syncd imports them without (syncd/extras.py)."""

NOT_FOR_A_NATIVE_NO_OP = (
    "syncd.core.map",
    "syncd.feeds.mapped",
    "syncd.feeds.csv",
    "syncd.feeds.xml",
    "syncd.feeds.xlsx",
    "syncd.feeds.json",
    "syncd.feeds.http",
    "lxml",
    "python_calamine",
    "sqlalchemy.dialects.postgresql",
    "httpx",
    "httpcore",
    "syncd.marketplaces.blocket",
    "aiohttp",
    "attr",
)
"""What a run of a native feed on a SQLite mirror that sends nothing must not import: the
mapping compiler and the other formats' readers, PostgreSQL's dialect, the API client."""

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


def _run_once(tmp_path: Path, sandbox: SandboxServer, feed: Path, dealer: str) -> set[str]:
    """The modules a run-once of ``feed`` for ``dealer`` imports, on a current SQLite
    schema, against the sandbox over HTTP."""
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\n'
        "[sync]\nreconcile_wait = 5\npoll_interval = 0.05\n"
        f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\ndealer_code = "{dealer}"\n',
        encoding="utf-8",
    )
    env = {"SYNCD_API_TOKEN": sandbox.token(dealer), "SYNCD_CONFIG": str(tmp_path / "syncd.toml")}
    code, _ = _imported(["db", "upgrade"], tmp_path, env)
    assert code in (0, None)
    code, modules = _imported(["run-once", "--json"], tmp_path, env)
    assert code in (0, None), code
    assert "syncd.service" in modules  # it did run
    return modules


def _native_no_op_run(tmp_path: Path, sandbox: SandboxServer) -> set[str]:
    """The modules a run-once of an empty native feed imports."""
    feed = tmp_path / "feed.json"
    feed.write_text('{"ads": []}', encoding="utf-8")
    return _run_once(tmp_path, sandbox, feed, "D1")


def test_run_once_against_a_real_api_imports_none_of_the_heavy_stack(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A run against an API over HTTP, on a current schema: no sandbox, Alembic, rich or daemon."""
    modules = _native_no_op_run(tmp_path, sandbox)
    assert _heavy(modules) == []


def test_a_native_no_op_run_imports_no_mapping_other_dialect_or_http_client(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A native feed on SQLite, nothing to send: no mapping, no CSV/XML/XLSX, no httpx."""
    modules = _native_no_op_run(tmp_path, sandbox)
    assert (
        sorted(
            m
            for m in modules
            if m.startswith(NOT_FOR_A_NATIVE_NO_OP) or m in NOT_FOR_A_NATIVE_NO_OP
        )
        == []
    )


def test_a_mapped_feed_imports_its_own_format_only(tmp_path: Path, sandbox: SandboxServer) -> None:
    """A run of a CSV feed: the mapping compiler and the CSV reader, not lxml or calamine."""
    feed = tmp_path / "stock.csv"
    feed.write_text("id;titel\nA1;Volvo V70\n", encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\n'
        f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\nformat = "csv"\n'
        '[feeds.mapping.fields]\nsource_id = "id"\ntitle = "titel"\n',
        encoding="utf-8",
    )
    env = {"SYNCD_API_TOKEN": sandbox.token("D1"), "SYNCD_CONFIG": str(tmp_path / "syncd.toml")}
    code, _ = _imported(["db", "upgrade"], tmp_path, env)
    assert code in (0, None)
    code, modules = _imported(["run-once", "--json"], tmp_path, env)
    assert code in (0, 6, None), code  # 6: the item lacks what an ad needs
    assert {"syncd.core.map", "syncd.feeds.csv"} <= modules
    assert not {"syncd.feeds.xml", "syncd.feeds.xlsx", "lxml", "python_calamine"} & modules


def test_a_run_that_sends_imports_httpx_without_rich(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A run that creates ads over HTTP: the client's stack, but not rich nor pygments."""
    feed = tmp_path / "feed.json"
    feed.write_bytes(bootstrap.sample_feed_path().read_bytes())
    modules = _run_once(tmp_path, sandbox, feed, "D2")
    assert {"httpx", "syncd.marketplaces.blocket"} <= modules  # it did call the API
    assert _heavy(modules) == []


@pytest.mark.anyio
async def test_the_api_client_is_built_at_its_first_use(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built by the first port used, not by build(); closing an unused one builds nothing."""
    monkeypatch.setenv("SYNCD_API_TOKEN", sandbox.token("D1"))
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'm.db'}"),
        api=ApiSettings(base_url=sandbox.url),
    )
    unused = bootstrap.build(settings)
    await unused.aclose()
    assert not unused.api.built
    container = bootstrap.build(settings)
    assert not container.api.built
    try:
        assert await container.catalog.list_ads("D1", RemoteState.CREATED) == []  # none yet
        assert container.api.built
    finally:
        await container.aclose()


def test_a_missing_token_is_still_a_config_error_at_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deferred client does not defer the token check: no token, no container."""
    monkeypatch.delenv("SYNCD_API_TOKEN", raising=False)
    settings = Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'm.db'}"))
    with pytest.raises(ConfigError, match=r"api\.token: no API token"):
        bootstrap.build(settings)


def test_an_api_client_the_environment_breaks_stops_the_run_as_a_config_error(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A proxy variable httpx refuses shows when the deferred client is first built: the
    run stops with a configuration error (exit 3), not a failed item per ad and not a
    traceback; nothing was sent."""
    feed = tmp_path / "feed.json"
    feed.write_bytes(bootstrap.sample_feed_path().read_bytes())  # valid ads, to be created
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\n'
        f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "SYNCD_API_TOKEN": sandbox.token("D1"),
        "SYNCD_CONFIG": str(tmp_path / "syncd.toml"),
        "HTTP_PROXY": "foo://proxy",
        "HTTPS_PROXY": "foo://proxy",
    }
    syncd = [sys.executable, "-c", "import sys; from syncd.cli import main; main(sys.argv[1:])"]
    subprocess.run([*syncd, "db", "upgrade"], cwd=tmp_path, env=env, check=True, timeout=120)
    done = subprocess.run(
        [*syncd, "run-once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert "the HTTP client cannot be built" in done.stderr
    assert "Traceback" not in done.stderr
    assert "ad_call_failed" not in done.stderr


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
