"""`syncd audit` in-process (CliRunner) against the sandbox over real HTTP: ads deleted or
revived behind syncd's back while the feed is unchanged."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from syncd.cli import ExitCode
from tests.integration.cli_sandbox import DEALER, Cli
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer

pytestmark = pytest.mark.slow

SETTLE = 30.0
"""Seconds a call made behind syncd's back may take to settle in the sandbox (generous)."""


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A config pointing at the reset sandbox, its folder the cwd."""
    http_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    return Cli(tmp_path, http_sandbox, extra="[guards]\nmax_feed_age = 0\n")


def behind_syncds_back(sandbox: SandboxServer, method: str, source_id: str, want: str) -> None:
    """Another client of the dealer calls the API (a ``curl -X DELETE``) and the ad settles
    in state ``want``, every action of its log
    done."""
    headers = {"X-Auth-Token": sandbox.token(DEALER)}
    with httpx.Client(base_url=sandbox.url, headers=headers, timeout=10) as client:
        answer = client.request(method, f"/v4/ad/{source_id}", **_body(method))
        assert answer.status_code < 300, answer.text
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline:
            log = client.get(f"/v4/ad/{source_id}/log").json()["results"]
            settled = all(e["state"] in ("done", "error") for e in log)
            if settled and client.get(f"/v4/ad/{source_id}").json()["state"] == want:
                return
            time.sleep(0.02)
    raise AssertionError(f"{source_id} did not become {want}")


def _body(method: str) -> dict[str, object]:
    # A PATCH of a deleted sofa revives it (seed 000); its title is changed too.
    return {"json": {"title": "Soffa elsewhere"}} if method == "PATCH" else {}


def status_of(cli: Cli, source_id: str) -> dict[str, object]:
    """The `show --json` mirror row of one ad."""
    row: dict[str, object] = cli.json("show", source_id)["mirror"]
    return row


def test_an_ad_deleted_outside_is_found_shown_deleted_and_revived_by_the_next_run(
    cli: Cli,
) -> None:
    """DELETE behind syncd's back, feed unchanged: the audit records it deleted (exit 12),
    status counts it deleted, and the next run puts it back (the feed is the whole stock)."""
    cli.synced([goods(1), goods(2), car(1)])
    behind_syncds_back(cli.sandbox, "DELETE", "sofa-1", "deleted")
    assert cli.json("status")["ads"]["live"] == 3  # the mirror does not know yet
    cli.sandbox.clear_journal()
    dry = cli("audit", "--dry-run", "--json")
    assert dry.exit_code == ExitCode.DRIFT == 12, dry.output
    assert json.loads(dry.stdout)[0]["ads"] == [
        {"source_id": "sofa-1", "kind": "deleted_outside", "recorded": False}
    ]
    assert cli.json("status")["ads"]["live"] == 3
    found = cli("audit", "--json")
    assert found.exit_code == ExitCode.DRIFT, found.output
    [report] = json.loads(found.stdout)
    assert report["counts"]["deleted_outside"] == 1
    assert report["listed"] == 3
    assert cli.sandbox.mutations() == []  # the audit only reads
    counts = cli.json("status")["ads"]
    assert (counts["live"], counts["deleted"]) == (2, 1)
    assert "deleted outside syncd" in str(status_of(cli, "sofa-1")["message"])
    run = cli("run-once", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)[0]["counts"]["revive"] == 1
    assert cli.sandbox.ads()[(DEALER, "sofa-1")]["state"] == "created"
    assert cli.json("status")["ads"]["live"] == 3
    again = cli("audit")
    assert again.exit_code == 0, again.output
    assert "no drift" in again.stdout


def test_an_ad_revived_outside_is_recorded_live_and_the_next_run_deletes_it(cli: Cli) -> None:
    """An ad the feed dropped (deleted by syncd) revived by another client: the audit
    records it live, and the next run deletes it again (the feed does not list it)."""
    cli.synced([goods(1), goods(2), goods(3)])
    cli.synced([goods(1), goods(2)])
    behind_syncds_back(cli.sandbox, "PATCH", "sofa-3", "created")
    result = cli("audit", "--json")
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert json.loads(result.stdout)[0]["ads"] == [
        {"source_id": "sofa-3", "kind": "live_outside", "recorded": True}
    ]
    assert cli.json("status")["ads"]["live"] == 3
    run = cli("run-once", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)[0]["counts"]["delete"] == 1
    assert cli.sandbox.ads()[(DEALER, "sofa-3")]["state"] == "deleted"


def test_an_audit_with_nothing_changed_exits_0_and_writes_nothing(cli: Cli) -> None:
    """Mirror and API agree: no drift, exit 0, only reads sent, the note on Blocket Admin."""
    cli.synced([goods(1)])
    cli.sandbox.clear_journal()
    result = cli("audit")
    assert result.exit_code == 0, result.output
    assert "dealer D1: 1 ads listed, no drift; recorded 0" in result.stdout
    assert "Blocket Admin" in result.stdout
    assert cli.sandbox.mutations() == []
