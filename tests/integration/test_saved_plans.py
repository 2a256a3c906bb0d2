"""Saved plans over the sandbox: `plan --out`, `apply`, and `plan --detailed-exitcode`."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from syncd.core.models import Delete, MirrorAd, RemoteState, Stage
from syncd.mirror.schema import ads, runs
from syncd.mirror.sql import SqlMirror
from tests.integration.cli_sandbox import Cli, said, synced_cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A dealer with three live sofas (sofa-0..2), the journal cleared; cwd its folder."""
    return synced_cli(tmp_path, http_sandbox, monkeypatch, [goods(i) for i in range(3)])


def edited_feed(cli: Cli) -> None:
    """sofa-0 retitled, sofa-2 gone, sofa-3 new: one PATCH, one DELETE, one POST."""
    feed = [goods(0), goods(1), goods(3)]
    feed[0]["title"] = "Soffa, nyklädd"
    cli.write(feed)


def test_apply_of_a_fresh_plan_sends_exactly_its_calls_and_records_a_run(cli: Cli) -> None:
    """A saved plan applied unchanged sends its PATCH, DELETE and POST and nothing else."""
    edited_feed(cli)
    saved = cli("plan", "--out", "plan.json", "--detailed-exitcode")
    assert saved.exit_code == 2, saved.stderr
    doc = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("syncd-plan", 1)
    assert sorted(a["op"] for a in doc["plans"][0]["actions"]) == ["create", "delete", "update"]
    assert cli.sandbox.mutations() == []
    report = cli.json("apply", "plan.json")[0]
    assert sorted(cli.sandbox.mutations()) == [
        ("DELETE", "sofa-2"),
        ("PATCH", "sofa-0"),
        ("POST", "sofa-3"),
    ]
    assert report["outcome"] == "success"
    assert cli.sandbox.ads()[("D1", "sofa-0")]["title"] == "Soffa, nyklädd"
    assert cli("plan", "--detailed-exitcode").exit_code == 0
    runs = cli.json("status")["runs"]
    assert "applied the saved plan plan.json" in runs[0]["message"]


def test_a_plan_file_is_readable_by_its_owner_only(cli: Cli) -> None:
    """It holds the ads' contact data: mode 0600 whatever the umask, also when replaced."""
    edited_feed(cli)
    old = os.umask(0o022)
    try:
        Path("plan.json").write_text("{}", encoding="utf-8")
        Path("plan.json.partial").write_text("", encoding="utf-8")
        Path("plan.json.partial").chmod(0o644)
        assert cli("plan", "--out", "plan.json").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(Path("plan.json").stat().st_mode) == 0o600
    assert json.loads(Path("plan.json").read_text(encoding="utf-8"))["format"] == "syncd-plan"
    assert not Path("plan.json.partial").exists()


def test_apply_refuses_a_plan_whose_feed_was_edited_since_and_sends_nothing(cli: Cli) -> None:
    """An edit of the feed after `plan --out` makes `apply` exit 8 naming the feed."""
    edited_feed(cli)
    assert cli("plan", "--out", "plan.json").exit_code == 0
    cli.write([goods(0), goods(1), goods(2), goods(4)])
    result = cli("apply", "plan.json")
    assert result.exit_code == 8
    assert "inventory.json changed since the plan was made" in said(result)
    assert cli.sandbox.mutations() == []


def test_apply_refuses_a_plan_whose_rows_a_run_changed_in_between(cli: Cli) -> None:
    """A run between `plan --out` and `apply` changes the rows: apply names them, sends nothing."""
    edited_feed(cli)
    assert cli("plan", "--out", "plan.json").exit_code == 0
    assert cli("run-once").exit_code == 0
    cli.sandbox.clear_journal()
    result = cli("apply", "plan.json")
    assert result.exit_code == 8
    message = said(result)
    assert "3 mirror row(s) the plan touches changed" in message
    assert "sofa-0, sofa-2, sofa-3" in message
    assert cli.sandbox.mutations() == []


def test_apply_refuses_an_edited_plan_file_and_sends_nothing(cli: Cli) -> None:
    """An update turned into a delete in the file (feed and rows unchanged): exit 8."""
    edited_feed(cli)
    assert cli("plan", "--out", "plan.json").exit_code == 0
    doc = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    actions = doc["plans"][0]["actions"]
    update = next(a for a in actions if a["op"] == "update")
    actions[actions.index(update)] = {"op": "delete", "source_id": update["source_id"]}
    Path("plan.json").write_text(json.dumps(doc), encoding="utf-8")
    result = cli("apply", "plan.json")
    assert result.exit_code == 8
    assert "was the file edited?" in said(result)
    assert cli.sandbox.mutations() == []


def test_apply_refuses_a_file_that_is_not_a_plan(cli: Cli) -> None:
    """A file that is not a saved plan is a usage error (2), naming the file."""
    Path("plan.json").write_text('{"format": "other"}', encoding="utf-8")
    result = cli("apply", "plan.json")
    assert result.exit_code == 2
    assert "plan.json: not a saved plan" in said(result)


def test_detailed_exitcode_is_0_without_changes_2_with_them_and_4_on_a_broken_feed(
    cli: Cli,
) -> None:
    """`plan --detailed-exitcode` exits 0, 2, or the error's own code."""
    assert cli("plan", "--detailed-exitcode").exit_code == 0
    assert cli("plan").exit_code == 0
    edited_feed(cli)
    assert cli("plan", "--detailed-exitcode", "--json").exit_code == 2
    assert cli("plan").exit_code == 0
    cli.feed.write_text('[{"source_id": ', encoding="utf-8")
    assert cli("plan", "--detailed-exitcode").exit_code == 4
    assert cli.sandbox.mutations() == []


def test_apply_records_the_absent_marks_of_the_plan_it_sends(cli: Cli) -> None:
    """sofa-1's item made invalid, sofa-2 gone: `apply` is a run as a sync is, so it
    records what its plan found no valid item for (the daemon's renew job, before the
    next sync, must not bump sofa-1), and says so on its run row."""
    broken = goods(1)
    del broken["title"]
    cli.write([goods(0), broken])
    assert cli("plan", "--out", "plan.json").exit_code == 0
    cli("apply", "plan.json")
    engine = create_engine(f"sqlite:///{cli.mirror}")
    try:
        with engine.connect() as conn:
            marked = conn.execute(
                select(ads.c.source_id).where(ads.c.absent_since.is_not(None))
            ).scalars()
            assert sorted(marked) == ["sofa-1", "sofa-2"]
            flags = conn.execute(select(runs.c.absent_recorded).order_by(runs.c.id)).scalars()
            assert list(flags)[-1] is True
    finally:
        engine.dispose()


def test_plan_shows_an_ad_a_crash_left_unanswered_as_waiting_and_apply_resolves_it(
    cli: Cli,
) -> None:
    """A crash left sofa-1's delete unanswered: `plan` plans no call for it, names it as
    waiting (text and JSON), and exits 2 with --detailed-exitcode (apply has work: the
    read-back); `apply` reads it back (live: nothing sent) and then nothing waits."""
    engine = create_engine(f"sqlite:///{cli.mirror}")
    try:
        SqlMirror(engine).record_intents([Delete("D1", "sofa-1")], datetime.now(UTC))
    finally:
        engine.dispose()
    text = cli("plan")
    assert text.exit_code == 0, text.stderr
    assert "1 ad(s) wait on calls a crashed run left unanswered" in " ".join(text.stdout.split())
    [doc] = cli.json("plan")
    assert (doc["unresolved_intents"], doc["entries"]) == (["sofa-1"], [])
    assert cli("plan", "--out", "plan.json", "--detailed-exitcode").exit_code == 2
    report = cli.json("apply", "plan.json")[0]
    assert report["outcome"] == "success"
    assert cli.sandbox.mutations() == []
    assert cli.json("plan")[0]["unresolved_intents"] == []
    assert cli("plan", "--detailed-exitcode").exit_code == 0


def mirror_row(cli: Cli, source_id: str) -> MirrorAd:
    """The dealer's mirror row for ``source_id``, read from the mirror file."""
    engine = create_engine(f"sqlite:///{cli.mirror}")
    try:
        row = SqlMirror(engine).get("D1", source_id)
    finally:
        engine.dispose()
    assert row is not None
    return row


def test_apply_settles_a_refused_change_the_feed_took_back_as_a_sync_does(cli: Cli) -> None:
    """sofa-1's retitle refused (a title over 100 characters), then the feed back at the
    version the API holds: `apply` sends nothing, and the row is no longer 'rejected'."""
    cli.write([goods(0), goods(1) | {"title": "x" * 150}, goods(2)])
    cli("run-once")
    assert mirror_row(cli, "sofa-1").stage is Stage.REJECTED
    cli.sandbox.clear_journal()
    cli.write([goods(i) for i in range(3)])
    assert cli("plan", "--out", "plan.json").exit_code == 0
    assert cli.json("apply", "plan.json")[0]["outcome"] == "success"
    assert cli.sandbox.mutations() == []
    row = mirror_row(cli, "sofa-1")
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.CREATED)
    assert row.message is not None
    assert "no longer in the feed" in row.message


def test_apply_stops_counting_a_refused_create_whose_item_left_the_feed(cli: Cli) -> None:
    """sofa-3's POST refused, then its item removed: `apply` settles the row (never
    created, no longer failing: status counts no failure), keeping the API's refusal."""
    cli.write([goods(0), goods(1), goods(2), goods(3) | {"title": "x" * 150}])
    cli("run-once")
    assert mirror_row(cli, "sofa-3").stage is Stage.REJECTED
    cli.sandbox.clear_journal()
    cli.write([goods(i) for i in range(3)])
    assert cli("plan", "--out", "plan.json").exit_code == 0
    assert cli.json("apply", "plan.json")[0]["outcome"] == "success"
    assert cli.sandbox.mutations() == []
    row = mirror_row(cli, "sofa-3")
    assert (row.stage, row.remote_state) == (Stage.DONE, None)
    assert row.message is not None
    assert "no live ad" in row.message
    assert "title" in row.message
    assert cli("plan", "--detailed-exitcode").exit_code == 0
