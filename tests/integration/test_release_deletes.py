"""Withheld deletes over the sandbox: `status` lists them, `release-deletes` sends exactly them."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli_sandbox import Cli, said, synced_cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer
from tests.processes import Processes


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Five live sofas, then a feed of two: a run holds 3 deletes back (exit 8)."""
    c = synced_cli(tmp_path, http_sandbox, monkeypatch, [goods(i) for i in range(5)])
    c.write([goods(0), goods(1)])
    assert c("run-once").exit_code == 8
    http_sandbox.clear_journal()
    return c


def test_status_lists_the_deletes_a_guard_holds_back(cli: Cli) -> None:
    """`status --json` and the text status name the three held-back source_ids and why."""
    [withheld] = cli.json("status")["withheld"]
    assert withheld["dealer_code"] == "D1"
    assert withheld["source_ids"] == ["sofa-2", "sofa-3", "sofa-4"]
    assert "guards.max_delete_fraction" in withheld["guard"]
    text = cli("status")
    assert text.exit_code == 0
    assert "sofa-2, sofa-3, sofa-4" in text.stdout


def test_release_off_a_terminal_without_yes_only_shows_and_exits_8(cli: Cli) -> None:
    """Without --yes and no terminal to ask on, nothing is deleted and the message says why."""
    result = cli("release-deletes", "--dealer", "D1")
    assert result.exit_code == 8
    assert "sofa-2, sofa-3, sofa-4" in result.stdout
    assert "confirm with --yes" in said(result)
    assert cli.sandbox.mutations() == []


def test_release_with_yes_deletes_exactly_the_set_and_records_a_run(cli: Cli) -> None:
    """--yes sends the three DELETEs and nothing else; the run history says so."""
    out = cli.json("release-deletes", "--dealer", "D1", "--yes")
    assert out["withheld"]["source_ids"] == ["sofa-2", "sofa-3", "sofa-4"]
    assert out["run"]["outcome"] == "success"
    assert sorted(cli.sandbox.mutations()) == [
        ("DELETE", "sofa-2"),
        ("DELETE", "sofa-3"),
        ("DELETE", "sofa-4"),
    ]
    status = cli.json("status")
    guarded = next(r for r in status["runs"] if r["outcome"] == "guarded")
    latest = status["runs"][0]
    assert f"released 3 deletes held back by run {guarded['run_id']}" in latest["message"]
    assert latest["counts"]["delete"] == 3
    assert status["withheld"][0]["source_ids"] == []
    assert cli("run-once").exit_code == 0


def test_release_for_a_dealer_no_feed_serves_is_a_usage_error(cli: Cli) -> None:
    """A dealer no feed serves (a typo) exits 2, naming it and the known dealers; nothing sent."""
    for args in (["--yes"], ["--json"], []):
        result = cli("release-deletes", "--dealer", "NOPE", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "'NOPE'" in result.stderr
        assert "dealers: 'D1'" in result.stderr
        assert result.stdout == ""
    assert cli.sandbox.mutations() == []


def test_release_recomputes_the_set_from_the_current_feed(cli: Cli) -> None:
    """Ads back in the feed are not released: with two back, no guard trips and none goes."""
    cli.write([goods(i) for i in range(4)])
    out = cli.json("release-deletes", "--dealer", "D1", "--yes")
    assert out == {"withheld": out["withheld"], "run": None}
    assert out["withheld"]["source_ids"] == []
    assert cli.sandbox.mutations() == []


def _answer_on_a_terminal(cli: Cli, processes: Processes, answer: str) -> tuple[int, str, str]:
    """Run `release-deletes` with stdin and stderr on a pseudo-terminal, answer its question,
    and return the exit code, what the terminal showed and stdout."""
    leader, follower = pty.openpty()
    try:
        child = processes.start(
            [sys.executable, "-m", "syncd", "release-deletes", "--dealer", "D1"],
            cwd=cli.folder,
            env={**os.environ, **cli.env, "NO_COLOR": "1"},
            stdin=follower,
            stderr=follower,
            stdout=subprocess.PIPE,
            text=True,
        )
        os.close(follower)
        shown = _read_until(leader, "Delete these 3 ads?")
        os.write(leader, f"{answer}\n".encode())
        out, _ = child.communicate(timeout=120)
        shown += _drain(leader)
    finally:
        os.close(leader)
    return child.returncode, shown, out


def _read_until(fd: int, text: str) -> str:
    """What the terminal showed, up to ``text`` (fails after 120 s without it)."""
    seen = ""
    while text not in seen:
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, f"no {text!r} on the terminal; it showed: {seen[-2000:]!r}"
        seen += os.read(fd, 4096).decode(errors="replace")
    return seen


def _drain(fd: int) -> str:
    """The rest of what the terminal showed, once its writer is gone."""
    rest = b""
    with contextlib.suppress(OSError):  # EIO: the child closed the terminal
        while select.select([fd], [], [], 0)[0] and (chunk := os.read(fd, 4096)):
            rest += chunk
    return rest.decode(errors="replace")


def test_on_a_terminal_release_asks_and_a_yes_sends_exactly_the_set(
    cli: Cli, processes: Processes
) -> None:
    """Asked on a terminal, `y` deletes the three held-back ads; the table came first."""
    code, shown, out = _answer_on_a_terminal(cli, processes, "y")
    assert code == 0, shown[-2000:]
    assert "sofa-2" in out
    assert "success" in out
    assert sorted(cli.sandbox.mutations()) == [
        ("DELETE", "sofa-2"),
        ("DELETE", "sofa-3"),
        ("DELETE", "sofa-4"),
    ]


def test_on_a_terminal_a_no_sends_nothing_and_exits_guard(cli: Cli, processes: Processes) -> None:
    """Answered `n` (the default), nothing is deleted and the exit code is 8 (GUARD)."""
    code, shown, _ = _answer_on_a_terminal(cli, processes, "n")
    assert code == 8
    assert "not confirmed" in shown
    assert cli.sandbox.mutations() == []
