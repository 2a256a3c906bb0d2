"""The rehearsal mode (`[sync] visible = false`) and the switch to live, over the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_sandbox import DEALER, Cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


def set_visible(cli: Cli, value: str | None) -> None:
    """Write ``[sync] visible = VALUE`` into the config (None: leave it out)."""
    lines = [
        line
        for line in cli.config.read_text(encoding="utf-8").splitlines()
        if not line.startswith("visible =")
    ]
    if value is not None:
        lines.insert(lines.index("[sync]") + 1, f"visible = {value}")
    cli.config.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A rehearsal: two sofas (one the feed calls visible) synced with visible = false."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    c = Cli(tmp_path, http_sandbox)
    set_visible(c, "false")
    shown = goods(1)
    shown["visible"] = True
    c.write([goods(0), shown])
    assert c("run-once").exit_code == 0
    return c


def test_a_rehearsal_sends_every_ad_hidden(cli: Cli) -> None:
    """Every POST carried visible: false, whatever the feed said; a plan then has nothing."""
    ads = cli.sandbox.ads()
    assert [ads[(DEALER, f"sofa-{n}")]["visible"] for n in (0, 1)] == [False, False]
    posts = [e for e in cli.sandbox.journal() if e["method"] == "POST"]
    assert len(posts) == 2
    assert cli("plan", "--detailed-exitcode").exit_code == 0
    cli.sandbox.clear_journal()
    edited = goods(0)
    edited["title"] = "Soffa, nyklädd"
    cli.write([edited, goods(1)])
    assert cli("run-once").exit_code == 0
    assert cli.sandbox.ads()[(DEALER, "sofa-0")]["visible"] is False  # updates stay hidden


@pytest.mark.parametrize("live", ["true", None], ids=["visible-true", "setting-removed"])
def test_going_live_patches_visibility_on_every_ad_and_plan_shows_it(
    cli: Cli, live: str | None
) -> None:
    """After the rehearsal, `visible = true` (or no setting) PATCHes visibility on each ad."""
    set_visible(cli, live)
    cli.sandbox.clear_journal()
    plan = cli.json("plan")[0]
    changes = {e["source_id"]: e["changes"] for e in plan["entries"]}
    # sofa-0 has no ``visible``: null clears the field (api-notes), and an ad without it
    # is visible; sofa-1 gets the feed's own true.
    assert changes == {"sofa-0": {"visible": None}, "sofa-1": {"visible": True}}
    shown = cli("plan").stdout
    assert "visible: false → -" in shown
    assert "visible: false → true" in shown
    assert cli.sandbox.mutations() == []
    assert cli("run-once").exit_code == 0
    assert sorted(cli.sandbox.mutations()) == [("PATCH", "sofa-0"), ("PATCH", "sofa-1")]
    ads = cli.sandbox.ads()
    assert [ads[(DEALER, f"sofa-{n}")]["visible"] for n in (0, 1)] == [True, True]
    assert cli("plan", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("recover", ["adopt", "run-once"], ids=["adopt", "409-adoption"])
def test_going_live_after_a_lost_mirror_still_makes_every_ad_visible(
    cli: Cli, recover: str
) -> None:
    """The mirror of a rehearsal is lost and the config goes live: adopting the hidden ads
    (by `syncd adopt`, or by a run's 409 on POST) must not keep them hidden for good."""
    cli.mirror.unlink()
    set_visible(cli, None)
    assert cli(recover).exit_code == 0
    assert cli("run-once").exit_code == 0
    ads = cli.sandbox.ads()
    assert [ads[(DEALER, f"sofa-{n}")]["visible"] for n in (0, 1)] == [True, True]
    assert cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_plan_saved_live_is_refused_once_the_rehearsal_is_on(
    tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan saved before `visible = false` would create the ads visible: apply refuses it."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    c = Cli(tmp_path, http_sandbox)
    c.write([goods(0)])
    saved = tmp_path / "plan.json"
    assert c("plan", "--out", str(saved)).exit_code == 0
    set_visible(c, "false")
    result = c("apply", str(saved))
    assert result.exit_code == 8, result.output
    assert c.sandbox.mutations() == []
