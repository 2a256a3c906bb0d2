"""`syncd status` and `history` (tables, `--json`) mask contact data in messages, as the page does.

The CLI in-process (click's CliRunner) over a real SQLite mirror seeded with a failing
ad, a rejected ad, a finished run with invalid items and a refused renewal, each
message quoting an e-mail address and a phone number; the ids look like phone numbers
and must be shown whole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd import bootstrap, config
from syncd.core.models import (
    Accepted,
    Create,
    ItemProblem,
    Outcome,
    Rejected,
    RemoteState,
    RunOutcome,
    Stage,
)
from syncd.core.renewal_models import RenewalAnswer, RenewalKind, RenewalOutcome
from tests.integration.cli_sandbox import invoke
from tests.integration.harness import goods

DEALER = "00123456"  # an all-digit dealer code: an id, never masked
FAILING = "46701234567"  # a source_id that reads like a bare phone number
REJECTED = "0709876543"
INVALID = "4681234567"
CONTACT = (
    "kalle.anka@example.se",
    "070-123 45 67",
    "b@bil.se",
    "+46 70 999 99 99",
    "46709999999",
    "säljare@möbler.se",
    "08-123 456 78",
)
MESSAGES = {
    "failing": f"handle_media: image refused, ask {CONTACT[0]} or call {CONTACT[1]}",
    "rejected": f"contact.email: '{CONTACT[2]}' is not allowed; contact.phone: '{CONTACT[3]}'",
    "reason": f"'{CONTACT[4]}' is not a valid brand (seller {CONTACT[5]})",
    "run": f"feed note: call {CONTACT[6]}",
    "renewal": f"refused: the ad of {CONTACT[0]} is not published",
}
KEPT = "run 42 in 2018, order 150000, car-10234"  # numbers that are no phones stay


def _ad(source_id: str) -> dict[str, object]:
    return {**goods(0), "source_id": source_id}


def seed(settings: config.Settings, now: datetime) -> None:
    """The rows the module docstring lists, through the mirror and renewals adapters."""
    with bootstrap.open_records(settings) as (mirror, renewals):
        for source_id in (FAILING, REJECTED):
            ad = _ad(source_id)
            action = Create(DEALER, source_id, 2048, ad, ad, f"h-{source_id}")
            mirror.record_intent(action, now - timedelta(hours=2))
            if source_id == REJECTED:
                result = Rejected(400, (MESSAGES["rejected"], KEPT))
                mirror.record_rejected(action, result, now - timedelta(hours=1))
                continue
            mirror.record_accepted(action, Accepted(201, "r-1"), now - timedelta(hours=2))
            message = f"{MESSAGES['failing']}; {KEPT}"
            mirror.record_outcome(
                Outcome(DEALER, source_id, Stage.ERROR, RemoteState.CREATED, message=message),
                now - timedelta(minutes=30),
            )
        run_id = mirror.start_run(DEALER, None, now - timedelta(minutes=10))
        problem = ItemProblem(
            INVALID, "inventory.json[2]", "category_fields.brand", MESSAGES["reason"]
        )
        mirror.finish_run(
            run_id, RunOutcome.PARTIAL, {"invalid": 1}, MESSAGES["run"], now, invalid=[problem]
        )
        renewal = renewals.reserve(DEALER, FAILING, RenewalKind.BUMP, now)
        assert renewal is not None
        renewals.settle(renewal, RenewalAnswer(RenewalOutcome.REFUSED, 400, MESSAGES["renewal"]))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A config (SQLite mirror, one feed of the dealer's ads) and the seeded mirror."""
    feed = tmp_path / "inventory.json"
    feed.write_text(json.dumps({"ads": [_ad(FAILING), _ad(REJECTED)]}), encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "mirror.db"}"\n'
        '[api]\nbase_url = "http://api.test"\n'
        f'[[feeds]]\nsettle_seconds = 0\npath = "{feed}"\ndealer_code = "{DEALER}"\n',
        encoding="utf-8",
    )
    seed(config.load(tmp_path / "syncd.toml"), datetime.now(UTC))
    return tmp_path


def status(folder: Path, *args: str) -> str:
    """`syncd status ARGS` with the folder's config; its stdout (wide: no cell wraps)."""
    env = {"SYNCD_CONFIG": str(folder / "syncd.toml"), "COLUMNS": "500"}
    result = invoke(["status", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_no_contact_data(out: str) -> None:
    for value in CONTACT:
        assert value not in out, value
    for part in ("kalle", "example.se", "999 99", "123 45", "säljare"):
        assert part not in out, part


def test_status_json_masks_contact_data_in_every_message_but_keeps_the_ids(
    folder: Path,
) -> None:
    """`status --json`: a failing ad's and a rejected ad's message, an invalid item's
    reason (twice: with the dealer, and in its run), a run's note and a renewal's
    message are masked; dealer code, source_ids, records and other numbers are whole."""
    out = status(folder, "--json")
    assert_no_contact_data(out)
    doc = json.loads(out)
    failing = {a["source_id"]: a for a in doc["failing"]}
    assert set(failing) == {FAILING, REJECTED}
    assert failing[FAILING]["dealer_code"] == DEALER
    assert failing[FAILING]["message"] == (
        f"handle_media: image refused, ask [e-mail hidden] or call [phone hidden]; {KEPT}"
    )
    assert failing[REJECTED]["message"] == (
        f"contact.email: '[e-mail hidden]' is not allowed; contact.phone: '[phone hidden]'; {KEPT}"
    )
    [invalid] = doc["invalid"]
    assert (invalid["dealer_code"], invalid["source_id"]) == (DEALER, INVALID)
    assert invalid["record"] == "inventory.json[2]"
    reason = "'[phone hidden]' is not a valid brand (seller [e-mail hidden])"
    assert invalid["reason"] == reason
    [run] = doc["runs"]
    assert run["message"] == "feed note: call [phone hidden]"
    assert run["invalid"][0]["reason"] == reason
    assert run["invalid"][0]["source_id"] == INVALID
    [renewal] = doc["renewals"]
    assert renewal["message"] == "refused: the ad of [e-mail hidden] is not published"
    assert renewal["source_id"] == FAILING


def test_status_tables_mask_contact_data_in_every_message_but_keep_the_ids(
    folder: Path,
) -> None:
    """`status`: the failing ads, invalid items, last runs and renewals tables show the
    messages masked, and the ids whole."""
    out = status(folder)
    assert_no_contact_data(out)
    assert "ask [e-mail hidden] or call [phone hidden]" in out
    assert "contact.email: '[e-mail hidden]' is not allowed" in out
    assert "contact.phone: '[phone hidden]'" in out
    assert "'[phone hidden]' is not a valid brand (seller [e-mail hidden])" in out
    assert "feed note: call [phone hidden]" in out
    assert "refused: the ad of [e-mail hidden] is not published" in out
    assert KEPT in out
    for kept in (DEALER, FAILING, REJECTED, INVALID, "inventory.json[2]"):
        assert kept in out, kept


def history(folder: Path, *args: str) -> str:
    """`syncd history ARGS` with the folder's config; its stdout."""
    env = {"SYNCD_CONFIG": str(folder / "syncd.toml"), "COLUMNS": "500"}
    result = invoke(["history", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_history_json_masks_contact_data_in_a_runs_message_but_keeps_the_ids(
    folder: Path,
) -> None:
    """`history --json`: the run's note is masked; its dealer code is whole."""
    out = history(folder, "--json")
    assert_no_contact_data(out)
    [run] = json.loads(out)
    assert run["dealer_code"] == DEALER
    assert run["message"] == "feed note: call [phone hidden]"


def test_history_lines_mask_contact_data_in_a_runs_message_but_keep_the_ids(
    folder: Path,
) -> None:
    """`history`: the run's line shows its note masked beside the dealer code whole."""
    out = history(folder)
    assert_no_contact_data(out)
    assert f"dealer {DEALER} " in out
    assert "; feed note: call [phone hidden]" in out
