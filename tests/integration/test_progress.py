"""The progress bar: drawn on a terminal through the use cases' port, absent otherwise."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from syncd import adopt, bootstrap
from syncd.cli.progress import RichProgress, progress_bar
from syncd.reading import load_feed
from syncd.runs import RunReport
from syncd.service import sync
from tests.integration.cli_sandbox import Cli
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import InProcessSandbox, SandboxServer


def terminal() -> tuple[Console, StringIO]:
    """A fake terminal: rich believes it draws on one, the test reads what it drew."""
    out = StringIO()
    return Console(force_terminal=True, file=out, width=120), out


def test_a_bar_is_drawn_only_on_a_terminal_and_never_with_json() -> None:
    """A terminal gets a bar; --json, or a console that is no terminal, gets none."""
    console, out = terminal()
    with progress_bar(as_json=True, console=console) as none:
        assert none is None
    with progress_bar(as_json=False, console=Console(file=StringIO())) as none:
        assert none is None
    assert out.getvalue() == ""
    with progress_bar(as_json=False, console=console) as bars:
        assert isinstance(bars, RichProgress)
        bars.update("calls sent (D1)", 0, 3)
        bars.update("calls sent (D1)", 3)
        bars.update("ads listed (D1)", 7)  # no total yet: a pulsing bar
    drawn = out.getvalue()
    assert "calls sent (D1)" in drawn
    assert "3/3" in drawn
    assert "ads listed (D1)" in drawn


def test_a_run_and_an_adoption_draw_their_counts(tmp_path: Path) -> None:
    """run-once's use case counts items validated, calls sent and settled; adopt its ads."""
    h = Harness(tmp_path, f"sqlite:///{tmp_path / 'mirror.db'}", InProcessSandbox(0.01))
    h.write([goods(n) for n in range(3)])
    console, out = terminal()

    async def go() -> RunReport:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            with RichProgress(console) as bars:
                deps = dataclasses.replace(container.deps(), progress=bars)
                report = await sync(deps, container.jobs()[0], container.options())
                feed = await load_feed(container.jobs()[0], 4)
                await adopt.adopt(
                    container.mirror,
                    container.catalog,
                    container.clock,
                    feed,
                    dry_run=False,
                    progress=bars,
                )
                return report
        finally:
            await container.aclose()

    report = asyncio.run(go())
    assert report.counts["create"] == 3
    drawn = out.getvalue()
    for line in (
        "items validated (D1)",
        "calls sent (D1)",
        "calls settled (D1)",
        "ads listed (D1)",
        "ads recorded (D1)",
    ):
        assert line in drawn
    assert "3/3" in drawn


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on a sandbox over HTTP, a feed of three sofas; cwd its folder."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    c = Cli(tmp_path, http_sandbox)
    c.write([goods(n) for n in range(3)])
    return c


def test_off_a_terminal_nothing_is_drawn_and_json_stays_json(cli: Cli) -> None:
    """CliRunner's stderr is no terminal: no bar; --json's stdout parses as JSON."""
    for args in (("run-once", "--json"), ("validate", "--json"), ("adopt", "--json")):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        json.loads(result.stdout)
        assert "━" not in result.stderr
        assert "calls sent" not in result.stderr
    plain = cli("run-once")
    assert plain.exit_code == 0
    assert "━" not in plain.stderr
    assert "calls sent" not in plain.stderr + plain.stdout
