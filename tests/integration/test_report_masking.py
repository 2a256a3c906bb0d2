"""`run-once`, `plan` and `validate` (tables and `--json`) mask contact data in messages, as
status does.

The CLI in-process over the sandbox (real HTTP): a feed of a sofa whose price type quotes
an e-mail address and a phone number (an invalid item: its reason quotes the value) and
a car whose brand is a phone number (vehicle values not checked: the sandbox refuses it,
its message quoting the brand). Both source_ids read like phone numbers and are shown whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_sandbox import DEALER, Cli
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer

SOFA = "46701234567"  # source_ids that read like phone numbers: ids, never masked
CAR = "0709876543"
EMAIL, PHONE, BRAND = "kalle.anka@example.se", "070-123 45 67", "0812345678"
INVALID_REASON = (
    "price[0].type: must be one of 'list', 'reduced', 'leasing', "
    "got 'ring [phone hidden] or [e-mail hidden]'"
)
REFUSED = '"[phone hidden]" is not a valid choice.'  # the sandbox's answer, masked


def _ads() -> list[dict[str, Any]]:
    sofa = {**goods(0), "source_id": SOFA}
    sofa["price"] = [{"type": f"ring {PHONE} or {EMAIL}", "amount": 1000}]
    vehicle = {**car(1), "source_id": CAR}
    vehicle["category_fields"] = {**vehicle["category_fields"], "brand": BRAND}
    return [sofa, vehicle]


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A reset sandbox and a folder with the feed above, vehicle values not checked."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    c = Cli(tmp_path, http_sandbox, extra="[vehicles]\ncheck = false\n")
    c.env["COLUMNS"] = "500"  # wide: no table cell wraps
    c.write(_ads())
    return c


def assert_no_contact_data(out: str) -> None:
    for value in (EMAIL, PHONE, BRAND, "kalle", "example.se", "123 45"):
        assert value not in out, value


def test_run_once_json_masks_the_problems_but_keeps_the_ids(cli: Cli) -> None:
    """`run-once --json`: an invalid item's reason and the API's refusal are masked in
    `problems`; the dealer code and the source_ids are whole."""
    result = cli("run-once", "--json")
    assert result.exit_code == 6, result.stderr  # PARTIAL: one invalid, one rejected
    assert_no_contact_data(result.stdout)
    [report] = json.loads(result.stdout)
    assert report["dealer_code"] == DEALER
    problems = {p["source_id"]: p["message"] for p in report["problems"]}
    assert problems[SOFA] == INVALID_REASON
    assert REFUSED in problems[CAR]


def test_run_once_lines_mask_the_problems_but_keep_the_ids(cli: Cli) -> None:
    """`run-once`: the problem lines show the reason and the refusal masked, beside the
    source_ids whole."""
    result = cli("run-once")
    assert result.exit_code == 6, result.stderr
    assert_no_contact_data(result.stdout)
    assert f"  {SOFA}: {INVALID_REASON}" in result.stdout
    assert f"  {CAR}: " in result.stdout
    assert REFUSED in result.stdout


def test_plan_masks_an_invalid_items_reason_in_the_table_and_the_json(cli: Cli) -> None:
    """`plan --json` and the plan table show an invalid item's reason masked, its
    source_id and record whole."""
    result = cli("plan", "--json")
    assert result.exit_code == 0, result.stderr
    assert_no_contact_data(result.stdout.replace(BRAND, ""))  # the car's POST body has it
    [plan] = json.loads(result.stdout)
    [invalid] = [e for e in plan["entries"] if e["kind"] == "invalid"]
    assert invalid["source_id"] == SOFA
    assert invalid["origin"].endswith("inventory.json[0]")
    assert [i["reason"] for i in invalid["issues"]] == [INVALID_REASON.split(": ", 1)[1]]
    table = cli("plan")
    assert table.exit_code == 0, table.stderr
    assert_no_contact_data(table.stdout)
    assert INVALID_REASON in table.stdout
    assert SOFA in table.stdout


def test_validate_masks_the_values_reasons_and_the_apis_answers(cli: Cli) -> None:
    """`validate --remote --json` and its tables: the invalid sofa's value and reason, and
    the API's refusal of the car's brand, are masked; record and source_ids whole."""
    result = cli("validate", "--remote", "--json")
    assert result.exit_code == 6, result.stderr  # PARTIAL: one invalid, one refused
    assert_no_contact_data(result.stdout)
    [report] = json.loads(result.stdout)
    [problem] = report["problems"]
    assert problem["source_id"] == SOFA
    assert problem["record"].endswith("inventory.json[0]")
    assert problem["value"] == '"ring [phone hidden] or [e-mail hidden]"'  # as JSON
    assert problem["reason"] == INVALID_REASON.split(": ", 1)[1]
    [answer] = report["remote"]["answers"]
    assert (answer["source_id"], answer["answer"]) == (CAR, "refused")
    assert any(REFUSED in m for m in answer["messages"]), answer["messages"]
    tables = cli("validate", "--remote")
    assert tables.exit_code == 6, tables.stderr
    assert_no_contact_data(tables.stdout)
    assert SOFA in tables.stdout
    assert CAR in tables.stdout
    assert REFUSED in tables.stdout


def test_ids_with_invisible_characters_show_escaped_in_lines_and_status_not_in_json(
    cli: Cli,
) -> None:
    """A source_id holding NBSP or a line separator (refused, an invalid item): the run's
    lines and `status` show it escaped, on one line and apart from the id with a plain
    space; `--json` keeps the real string."""
    cli.write([{**goods(0), "source_id": "p\u00a0q"}, {**goods(1), "source_id": "x\u2028y"}])
    lines = cli("run-once")
    assert lines.exit_code == 6, lines.stderr
    assert "  p\\xa0q: source_id: " in lines.stdout
    assert "  x\\u2028y: source_id: " in lines.stdout
    assert not any(c in lines.stdout for c in "\u00a0\u2028")
    status = cli("status")
    assert status.exit_code == 0, status.stderr
    assert "p\\xa0q" in status.stdout
    assert not any(c in status.stdout for c in "\u00a0\u2028")
    doc = json.loads(cli("run-once", "--json").stdout)[0]
    assert {p["source_id"] for p in doc["problems"]} == {"p\u00a0q", "x\u2028y"}
