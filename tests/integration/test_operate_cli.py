"""`adopt`, `show` and `history` in-process (CliRunner) against the sandbox over real HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner, Result

from syncd import cli
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox

CONFIG = """\
[database]
url = "sqlite:///{db}"
[api]
base_url = "{url}"
requests_per_second = 200
[sync]
reconcile_wait = 20
poll_interval = 0.05
[guards]
max_feed_age = 0
[[feeds]]
settle_seconds = 0
path = "{feed}"
dealer_code = "D1"
"""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module (reset before each test)."""
    with running_sandbox("--processing-delay", "0.02") as running:
        yield running


@pytest.fixture
def folder(
    tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A config pointing at the sandbox, as cwd, with its token; logging restored afterwards."""
    server.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.setenv("SYNCD_API_TOKEN", server.token("D1"))
    config = CONFIG.format(db=tmp_path / "mirror.db", url=server.url, feed=tmp_path / "feed.json")
    (tmp_path / "syncd.toml").write_text(config, encoding="utf-8")
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
    """Run the syncd command line with this folder's config."""
    return CliRunner().invoke(cli.main, [*args, "--config", "syncd.toml"])


def write(folder: Path, ads: list[dict[str, Any]]) -> None:
    """Write the feed."""
    (folder / "feed.json").write_text(json.dumps({"ads": ads}), encoding="utf-8")


def synced(folder: Path, ads: list[dict[str, Any]]) -> None:
    """Write the feed and run once, successfully."""
    write(folder, ads)
    result = syncd("run-once", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["outcome"] == "success"


def plan_counts() -> dict[str, int]:
    """The counts of `plan --json` for the one feed."""
    result = syncd("plan", "--json")
    assert result.exit_code == 0, result.output
    counts: dict[str, int] = json.loads(result.stdout)[0]["counts"]
    return counts


def lose_mirror(folder: Path) -> None:
    """Delete the mirror file (as a lost disk would)."""
    (folder / "mirror.db").unlink()


NOTHING = {"create": 0, "update": 0, "revive": 0, "delete": 0, "invalid": 0}


def test_after_the_mirror_is_deleted_adopt_makes_plan_empty_and_a_run_send_nothing(
    folder: Path, server: SandboxServer
) -> None:
    """Sync, delete the mirror, `adopt`: the plan shows no change and a run sends no write."""
    feed = [goods(0), goods(1), goods(2), car(1)]
    synced(folder, feed)
    lose_mirror(folder)
    adopted = syncd("adopt", "--json")
    assert adopted.exit_code == 0, adopted.output
    report = json.loads(adopted.stdout)[0]
    assert report["counts"]["same"] == 4, report
    assert "only knows what was written through the API" in report["note"]
    counts = plan_counts()
    assert {k: counts[k] for k in NOTHING} == NOTHING
    assert counts["unchanged"] == 4
    server.clear_journal()
    run = syncd("run-once", "--json")
    assert run.exit_code == 0, run.output
    assert server.mutations() == []


def test_adopt_records_what_differs_so_the_next_run_patches_only_that_and_deletes_extras(
    folder: Path, server: SandboxServer
) -> None:
    """An ad changed in the feed is PATCHed with only its changed field; one the feed lost
    is adopted and then deleted; `--dry-run` writes nothing first."""
    feed = [goods(0), goods(1), goods(2), goods(3)]
    synced(folder, feed)
    lose_mirror(folder)
    feed[0] = {**goods(0), "title": "Soffa, nyklädd"}
    write(folder, feed[:3])
    dry = syncd("adopt", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would adopt 4 ads" in dry.stdout
    assert "sofa-0: differs from the feed; the next run PATCHes: title" in dry.stdout
    assert "sofa-3: not in the feed" in dry.stdout
    assert "dry run: nothing was written" in dry.stdout
    assert plan_counts()["create"] == 3  # nothing was written
    adopted = syncd("adopt", "--dealer", "D1", "--json")
    assert adopted.exit_code == 0, adopted.output
    counts = json.loads(adopted.stdout)[0]["counts"]
    assert (counts["same"], counts["differs"], counts["not_in_feed"]) == (2, 1, 1)
    planned = json.loads(syncd("plan", "--json").stdout)[0]
    assert (planned["counts"]["update"], planned["counts"]["delete"]) == (1, 1)
    server.clear_journal()
    assert syncd("run-once").exit_code == 0
    assert sorted(server.mutations()) == [("DELETE", "sofa-3"), ("PATCH", "sofa-0")]
    patch = [e for e in server.journal() if e["method"] == "PATCH"]
    assert patch, server.journal()
    assert server.ads()[("D1", "sofa-0")]["title"] == "Soffa, nyklädd"


def test_adopt_of_an_unknown_dealer_is_a_usage_error(folder: Path) -> None:
    """`--dealer` naming no configured feed exits 2 and names the dealers there are."""
    write(folder, [goods(0)])
    result = syncd("adopt", "--dealer", "NOPE")
    assert result.exit_code == 2
    assert "'D1'" in result.output


def test_show_gives_row_payload_remote_ad_and_the_whole_timeline_oldest_first(
    folder: Path,
) -> None:
    """After a create and an update, `show` has both calls' log entries in time order, each
    with its request id and message, and the contact only inside the payload."""
    synced(folder, [goods(0)])
    synced(folder, [{**goods(0), "title": "Soffa, ny"}])
    result = syncd("show", "sofa-0", "--dealer", "D1", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["mirror"]["stage"] == "done"
    assert doc["payload"]["title"] == "Soffa, ny"
    assert doc["payload"]["contact"]["name"] == "Möbler AB"
    assert "contact" not in doc["remote"]["fields"]
    assert doc["remote"]["fields"]["title"] == "Soffa, ny"
    timeline = doc["timeline"]
    times = [e["created"] for e in timeline]
    assert times == sorted(times)
    actions = [e["action"] for e in timeline if e["state"] == "done"]
    assert actions[0] == "create"
    assert "update" in actions
    assert len({e["request_id"] for e in timeline}) == 2
    assert all(e["request_id"] for e in timeline)
    text = syncd("show", "sofa-0")
    assert text.exit_code == 0, text.output
    assert "timeline (" in text.stdout
    assert "contact data included" in text.stdout


def test_show_of_an_ad_only_the_api_knows_and_of_one_nobody_knows(folder: Path) -> None:
    """With the mirror lost the API's side is shown (exit 0); an unknown id exits 11."""
    synced(folder, [goods(0)])
    lose_mirror(folder)
    known = syncd("show", "sofa-0", "--json")
    assert known.exit_code == 0, known.output
    doc = json.loads(known.stdout)
    assert doc["mirror"] is None
    assert doc["remote"]["state"] == "created"
    unknown = syncd("show", "no-such-ad")
    assert unknown.exit_code == cli.ExitCode.NOT_FOUND == 11
    assert "no ad no-such-ad in the mirror or the API" in unknown.stderr
    assert unknown.stdout == ""


def test_history_lists_runs_newest_first_with_statistics_requests_and_retries(
    folder: Path, server: SandboxServer
) -> None:
    """Two runs (the second answered one 500 first): newest first, with created, updated,
    requests, retried, duration and outcome."""
    synced(folder, [goods(0), goods(1)])
    server.admin("PATCH", "faults", json={"script": ["500"]})
    synced(folder, [goods(0), {**goods(1), "title": "Soffa, ny"}, goods(2)])
    result = syncd("history", "--dealer", "D1", "--limit", "5", "--json")
    assert result.exit_code == 0, result.output
    second, first = json.loads(result.stdout)
    assert (first["created"], first["updated"], first["retried"]) == (2, 0, 0)
    assert (second["created"], second["updated"], second["unchanged"]) == (1, 1, 1)
    assert second["retried"] == 1
    assert second["requests"] > second["retried"]
    assert first["requests"] >= 2
    assert first["outcome"] == second["outcome"] == "success"
    assert first["duration"] >= 0
    assert len(json.loads(syncd("history", "--limit", "1", "--json").stdout)) == 1
    text = syncd("history")
    assert text.exit_code == 0, text.output
    assert "requests" in text.stdout
