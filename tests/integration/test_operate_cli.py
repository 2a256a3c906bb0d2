"""`adopt`, `show` and `history` in-process (CliRunner) against the sandbox over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncd.cli import ExitCode
from tests.integration.cli_sandbox import Cli
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A config pointing at the reset sandbox, its folder the cwd."""
    http_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    # The feed is written now and then: its age must not trip the stale-feed guard.
    return Cli(tmp_path, http_sandbox, extra="[guards]\nmax_feed_age = 0\n")


def plan_counts(cli: Cli) -> dict[str, int]:
    """The counts of `plan --json` for the one feed."""
    result = cli("plan", "--json")
    assert result.exit_code == 0, result.output
    counts: dict[str, int] = json.loads(result.stdout)[0]["counts"]
    return counts


def lose_mirror(cli: Cli) -> None:
    """Delete the mirror file (as a lost disk would)."""
    cli.mirror.unlink()


NOTHING = {"create": 0, "update": 0, "revive": 0, "delete": 0, "invalid": 0}


def test_after_the_mirror_is_deleted_adopt_makes_plan_empty_and_a_run_send_nothing(
    cli: Cli,
) -> None:
    """Sync, delete the mirror, `adopt`: the plan shows no change and a run sends no write."""
    feed = [goods(0), goods(1), goods(2), car(1)]
    cli.synced(feed)
    lose_mirror(cli)
    adopted = cli("adopt", "--json")
    assert adopted.exit_code == 0, adopted.output
    report = json.loads(adopted.stdout)[0]
    assert report["counts"]["same"] == 4, report
    assert "only knows what was written through the API" in report["note"]
    counts = plan_counts(cli)
    assert {k: counts[k] for k in NOTHING} == NOTHING
    assert counts["unchanged"] == 4
    cli.sandbox.clear_journal()
    run = cli("run-once", "--json")
    assert run.exit_code == 0, run.output
    assert cli.sandbox.mutations() == []


def test_adopt_records_what_differs_so_the_next_run_patches_only_that_and_deletes_extras(
    cli: Cli,
) -> None:
    """An ad changed in the feed is PATCHed with only its changed field; one the feed lost
    is adopted and then deleted; `--dry-run` writes nothing first."""
    feed = [goods(0), goods(1), goods(2), goods(3)]
    cli.synced(feed)
    lose_mirror(cli)
    feed[0] = {**goods(0), "title": "Soffa, nyklädd"}
    cli.write(feed[:3])
    dry = cli("adopt", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would adopt 4 ads" in dry.stdout
    assert "sofa-0: differs from the feed; the next run PATCHes: title" in dry.stdout
    assert "sofa-3: not in the feed" in dry.stdout
    assert "dry run: nothing was written" in dry.stdout
    assert plan_counts(cli)["create"] == 3  # nothing was written
    adopted = cli("adopt", "--dealer", "D1", "--json")
    assert adopted.exit_code == 0, adopted.output
    counts = json.loads(adopted.stdout)[0]["counts"]
    assert (counts["same"], counts["differs"], counts["not_in_feed"]) == (2, 1, 1)
    planned = json.loads(cli("plan", "--json").stdout)[0]
    assert (planned["counts"]["update"], planned["counts"]["delete"]) == (1, 1)
    cli.sandbox.clear_journal()
    assert cli("run-once").exit_code == 0
    assert sorted(cli.sandbox.mutations()) == [("DELETE", "sofa-3"), ("PATCH", "sofa-0")]
    patch = [e for e in cli.sandbox.journal() if e["method"] == "PATCH"]
    assert patch, cli.sandbox.journal()
    assert cli.sandbox.ads()[("D1", "sofa-0")]["title"] == "Soffa, nyklädd"


def test_adopt_of_an_unknown_dealer_is_a_usage_error(cli: Cli) -> None:
    """`--dealer` naming no configured feed exits 2 and names the dealers there are."""
    cli.write([goods(0)])
    result = cli("adopt", "--dealer", "NOPE")
    assert result.exit_code == 2
    assert "'D1'" in result.output


def test_show_gives_row_payload_remote_ad_and_the_whole_timeline_oldest_first(
    cli: Cli,
) -> None:
    """After a create and an update, `show` has both calls' log entries in time order, each
    with its request id and message, and the contact only inside the payload."""
    cli.synced([goods(0)])
    cli.synced([{**goods(0), "title": "Soffa, ny"}])
    result = cli("show", "sofa-0", "--dealer", "D1", "--json")
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
    text = cli("show", "sofa-0")
    assert text.exit_code == 0, text.output
    assert "timeline (" in text.stdout
    assert "contact data included" in text.stdout


def test_show_of_an_ad_only_the_api_knows_and_of_one_nobody_knows(cli: Cli) -> None:
    """With the mirror lost the API's side is shown (exit 0); an unknown id exits 11."""
    cli.synced([goods(0)])
    lose_mirror(cli)
    known = cli("show", "sofa-0", "--json")
    assert known.exit_code == 0, known.output
    doc = json.loads(known.stdout)
    assert doc["mirror"] is None
    assert doc["remote"]["state"] == "created"
    unknown = cli("show", "no-such-ad")
    assert unknown.exit_code == ExitCode.NOT_FOUND == 11
    assert "no ad no-such-ad in the mirror or the API" in unknown.stderr
    assert unknown.stdout == ""


def test_history_lists_runs_newest_first_with_statistics_requests_and_retries(cli: Cli) -> None:
    """Two runs (the second answered one 500 first): newest first, with created, updated,
    requests, retried, duration and outcome."""
    cli.synced([goods(0), goods(1)])
    cli.sandbox.admin("PATCH", "faults", json={"script": ["500"]})
    cli.synced([goods(0), {**goods(1), "title": "Soffa, ny"}, goods(2)])
    result = cli("history", "--dealer", "D1", "--limit", "5", "--json")
    assert result.exit_code == 0, result.output
    second, first = json.loads(result.stdout)
    assert (first["created"], first["updated"], first["retried"]) == (2, 0, 0)
    assert (second["created"], second["updated"], second["unchanged"]) == (1, 1, 1)
    assert second["retried"] == 1
    assert second["requests"] > second["retried"]
    assert first["requests"] >= 2
    assert first["outcome"] == second["outcome"] == "success"
    assert first["duration"] >= 0
    assert len(json.loads(cli("history", "--limit", "1", "--json").stdout)) == 1
    text = cli("history")
    assert text.exit_code == 0, text.output
    assert "requests" in text.stdout


def test_an_ad_deleted_earlier_counts_as_gone_not_unchanged_in_the_run_and_history(
    cli: Cli,
) -> None:
    """After an ad's delete, the runs that follow count it ``gone``, not ``unchanged``:
    in the run's lines and JSON, and in `history` (JSON and text)."""
    cli.synced([goods(0), goods(1)])
    cli.synced([goods(0)])  # sofa-1 deleted
    assert [m for m in cli.sandbox.mutations() if m[0] == "DELETE"] == [("DELETE", "sofa-1")]
    lines = cli("run-once")
    assert lines.exit_code == 0, lines.output
    assert "unchanged 1, " in lines.stdout
    assert "gone 1" in lines.stdout
    [report] = cli.json("run-once")
    assert (report["counts"]["unchanged"], report["counts"]["gone"]) == (1, 1)
    newest = cli.json("history", "--limit", "1")[0]
    assert (newest["unchanged"], newest["gone"]) == (1, 1)
    assert "unchanged 1, gone 1" in cli("history", "--limit", "1").stdout


@pytest.mark.parametrize("command", ["history", "status"])
def test_a_negative_limit_is_a_usage_error(cli: Cli, command: str) -> None:
    """`--limit -1` is refused as a usage error (exit 2), not passed on as SQL's LIMIT -1
    (all rows on SQLite, a database error, exit 7 "unavailable", on PostgreSQL)."""
    result = cli(command, "--limit", "-1")
    assert result.exit_code == ExitCode.USAGE, result.output


def test_a_wrong_base_url_stops_the_run_and_once_mended_the_ad_is_created(cli: Cli) -> None:
    """POST /v4/ad answered 404 (a typo in api.base_url) is a configuration error (exit 3),
    not the ad's refusal: recorded as rejected, it was never sent again after the fix."""
    good = cli.config.read_text(encoding="utf-8")
    url = cli.sandbox.url
    cli.config.write_text(good.replace(url, url.rstrip("/") + "/pro-import-ap"), encoding="utf-8")
    cli.write([goods(1)])
    result = cli("run-once")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "the API answered 404 (no such endpoint): check api.base_url" in result.stderr
    cli.config.write_text(good, encoding="utf-8")
    result = cli("run-once", "--json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)[0]["counts"]["create"] == 1
    assert list(cli.sandbox.ads()) == [("D1", "sofa-1")]
