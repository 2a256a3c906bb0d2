"""`apply FILE --json` gives every saved feed an entry, as `run-once --json` does: its
run report, or, when its check or apply failed (or another dealer's did first), a failed
entry with `error`, `exit` and `exit_code`; stderr has the error lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
from tests.integration.cli_sandbox import Cli, said
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def two(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Dealers D1 (inventory.json) and D2 (second.json), each with two live sofas, a plan
    saved that retitles one sofa of each; no wait for a run lock."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    second = tmp_path / "second.json"
    extra = f'[[feeds]]\nsettle_seconds = 0\npath = "{second}"\ndealer_code = "D2"\n'
    cli = Cli(tmp_path, http_sandbox, extra=extra)
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(text.replace("[sync]\n", "[sync]\nlock_wait = 0\n"), encoding="utf-8")
    cli.env["SYNCD_API_TOKEN"] = http_sandbox.token("D1", "D2")
    write(second, [goods(5), goods(6)])
    cli.synced([goods(0), goods(1)])
    write(cli.feed, [retitled(goods(0)), goods(1)])
    write(second, [retitled(goods(5)), goods(6)])
    assert cli("plan", "--out", "plan.json").exit_code == 0
    http_sandbox.clear_journal()
    return cli


def write(path: Path, ads: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps({"ads": ads}), encoding="utf-8")


def retitled(ad: dict[str, Any]) -> dict[str, Any]:
    return {**ad, "title": "Soffa, nyklädd"}


def entries(result: Result) -> dict[str, dict[str, Any]]:
    """The JSON entries by dealer (one each)."""
    docs = json.loads(result.stdout)
    by_dealer = {d["dealer_code"]: d for d in docs}
    assert len(by_dealer) == len(docs)
    return by_dealer


def test_a_stale_feed_gives_its_failed_entry_and_holds_the_other_back(two: Cli) -> None:
    """D2's feed edited after the plan: exit 8, nothing sent; D2's entry names the change
    (GUARD, 8), D1's says it was not applied because of D2's, with the same exit."""
    write(two.folder / "second.json", [goods(5), goods(6), goods(7)])
    result = two("apply", "plan.json", "--json")
    assert result.exit_code == 8, result.output
    by_dealer = entries(result)
    stale, held = by_dealer["D2"], by_dealer["D1"]
    assert (stale["outcome"], stale["run_id"], stale["counts"]) == ("failed", None, {})
    assert (stale["exit"], stale["exit_code"]) == ("GUARD", 8)
    assert "second.json changed since the plan was made" in stale["error"]
    assert (held["outcome"], held["exit"], held["exit_code"]) == ("failed", "GUARD", 8)
    assert "not applied, nothing was sent for it: the plan of dealer 'D2' failed" in held["error"]
    assert f"syncd: {stale['error']}" in said(result)
    assert "not applied for 'D1'" in said(result)
    assert two.sandbox.mutations() == []


def test_every_failed_check_has_its_own_entry(two: Cli) -> None:
    """D1's feed unreadable (FEED, 4) and D2's edited (GUARD, 8): both named, the exit is
    the first one's, nothing sent."""
    two.feed.write_text('{"ads": [', encoding="utf-8")
    write(two.folder / "second.json", [goods(5)])
    result = two("apply", "plan.json", "--json")
    assert result.exit_code == 4, result.output
    by_dealer = entries(result)
    assert (by_dealer["D1"]["exit"], by_dealer["D1"]["exit_code"]) == ("FEED", 4)
    assert (by_dealer["D2"]["exit"], by_dealer["D2"]["exit_code"]) == ("GUARD", 8)
    assert "not applied" not in said(result)
    assert two.sandbox.mutations() == []


def test_a_dealer_locked_at_apply_keeps_the_reports_before_it(two: Cli) -> None:
    """D2's run lock held elsewhere: D1's plan is applied and reported, D2's entry is the
    lock's failure (LOCKED, 9), and the exit is 9."""
    engine = make_engine(f"sqlite:///{two.mirror}")
    try:
        with run_lock(engine, "D2", wait=0):
            result = two("apply", "plan.json", "--json")
    finally:
        engine.dispose()
    assert result.exit_code == 9, result.output
    by_dealer = entries(result)
    assert by_dealer["D1"]["outcome"] == "success"
    assert by_dealer["D1"]["run_id"] is not None
    assert (by_dealer["D2"]["exit"], by_dealer["D2"]["exit_code"]) == ("LOCKED", 9)
    assert two.sandbox.mutations() == [("PATCH", "sofa-0")]


def test_without_json_the_errors_are_on_stderr_only(two: Cli) -> None:
    """The line form: stdout has no report (nothing was applied), stderr the error."""
    write(two.folder / "second.json", [goods(5)])
    result = two("apply", "plan.json")
    assert result.exit_code == 8
    assert result.stdout == ""
    assert "second.json changed since the plan was made" in said(result)
