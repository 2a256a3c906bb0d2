"""`syncd migrate-v4` and the blocked v3 ads of a run, against the sandbox over real HTTP.

The dealer synced through v3 (a moped is a simple ad there), then switched
``[api] version`` to 4: v4 refuses to PATCH its v3 mopeds until they are migrated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cli_sandbox import DEALER, Cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer

CONTACT = {"name": "Motor AB", "phone": "0701234567", "email": "a@example.com"}


def v3_moped(n: int) -> dict[str, Any]:
    """A moped as v3 takes it: a simple ad with a title and contact."""
    return {
        "source_id": f"moped-{n}",
        "category_id": 1121,
        "title": f"Moped {n}",
        "body": "Fin moped.",
        "price": [{"type": "list", "amount": 15000 + n}],
        "contact": CONTACT,
        "location": {"zipcode": "11122"},
    }


def v4_moped(n: int, body: str = "Fin moped.") -> dict[str, Any]:
    """The same moped as v4 takes it: a registered vehicle (no title or contact)."""
    return {
        "source_id": f"moped-{n}",
        "category_id": 1121,
        "body": body,
        "price": [{"type": "list", "amount": 15000 + n}],
        "location": {"zipcode": "11122"},
        "category_fields": {"model_year": 2021, "registration_number": f"MOP{n:02d}"},
    }


def use_version(cli: Cli, version: int) -> None:
    """Set ``[api] version`` in the folder's config."""
    text = cli.config.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("version ="))
    text = text.replace("[api]\n", f"[api]\nversion = {version}\n")
    cli.config.write_text(text + "\n", encoding="utf-8")


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Mopeds 1 and 2 and a sofa synced through v3; moped-9 made by another v3 client;
    then the config says v4 and the feed is in v4's shape (moped-2 lacks its vehicle
    fields); the journal cleared."""
    monkeypatch.chdir(tmp_path)
    http_sandbox.reset()
    c = Cli(tmp_path, http_sandbox, extra="[guards]\nmax_feed_age = 0\n")
    use_version(c, 3)
    c.write([v3_moped(1), v3_moped(2), goods(0)])
    assert c("run-once").exit_code == 0
    other = httpx.post(
        f"{http_sandbox.url}/v3/ad",
        json=v3_moped(9),
        headers={"X-Auth-Token": http_sandbox.token(DEALER)},
        timeout=10,
    )
    assert other.status_code == 201, other.text
    use_version(c, 4)
    no_fields = v4_moped(2)
    del no_fields["category_fields"]
    sofa = goods(0)
    sofa["title"] = "Soffa, nyklädd"
    c.write([v4_moped(1), no_fields, sofa])
    http_sandbox.clear_journal()
    return c


def test_a_run_before_migration_reports_the_blocked_ad_and_sends_no_patch(cli: Cli) -> None:
    """The v3 moped's PATCH is not sent: it is reported blocked, naming the command."""
    result = cli("run-once", "--json")
    assert result.exit_code == 6, result.stderr
    report = json.loads(result.stdout)[0]
    assert cli.sandbox.mutations() == [("PATCH", "sofa-0")]
    assert report["counts"].get("blocked") == 1, json.dumps(report)
    messages = {p["source_id"]: p["message"] for p in report["problems"]}
    assert "syncd migrate-v4 --dealer D1" in messages["moped-1"]
    ad = cli.sandbox.ads()[(DEALER, "moped-1")]
    assert (ad["api_version"], ad["title"]) == ("v3", "Moped 1")
    again = cli("run-once")  # still blocked, still nothing sent for it
    assert again.exit_code == 6
    assert ("PATCH", "moped-1") not in cli.sandbox.mutations()


def test_dry_run_lists_the_v3_ads_and_sends_nothing(cli: Cli) -> None:
    """--dry-run: moped-1 would be migrated; moped-2 is invalid, moped-9 not in the feed."""
    result = cli("migrate-v4", "--dry-run", "--json")
    assert result.exit_code == 6, result.stderr
    doc = json.loads(result.stdout)[0]
    results = {a["source_id"]: a["result"] for a in doc["ads"]}
    assert results == {"moped-1": "would_migrate", "moped-2": "invalid", "moped-9": "not_in_feed"}
    assert cli.sandbox.mutations() == []


def test_migration_converts_in_place_and_the_next_run_patches(cli: Cli) -> None:
    """The real run migrates moped-1 (same id, now v4); the next run's PATCH succeeds."""
    before = cli.sandbox.ads()[(DEALER, "moped-1")]
    result = cli("migrate-v4", "--dealer", DEALER, "--json")
    assert result.exit_code == 6, result.stderr  # moped-2 and moped-9 are not migrated
    doc = json.loads(result.stdout)[0]
    assert {a["source_id"]: a["result"] for a in doc["ads"]}["moped-1"] == "migrated"
    assert cli.sandbox.mutations() == [("POST", "moped-1")]
    after = cli.sandbox.ads()[(DEALER, "moped-1")]
    assert (after["api_version"], after["id"]) == ("v4", before["id"])
    assert after["category_fields"]["registration_number"] == "MOP01"
    cli.sandbox.clear_journal()
    feed = json.loads(cli.feed.read_text(encoding="utf-8"))["ads"]
    feed[0] = v4_moped(1, body="Fin moped, ny service.")
    cli.write(feed)
    report = json.loads(cli("run-once", "--json").stdout)[0]
    assert ("PATCH", "moped-1") in cli.sandbox.mutations()
    assert report["counts"].get("blocked", 0) == 0
    assert "moped-1" not in {p["source_id"] for p in report["problems"]}
    assert cli.sandbox.ads()[(DEALER, "moped-1")]["body"] == "Fin moped, ny service."


def test_migrate_v4_refuses_a_config_still_on_v3(cli: Cli) -> None:
    """Migrated ads are v4 ones: syncd must be on v4 first (exit 3, nothing sent)."""
    use_version(cli, 3)
    result = cli("migrate-v4")
    assert result.exit_code == 3
    assert "api.version" in result.stderr
    assert cli.sandbox.mutations() == []


def test_the_reasons_and_messages_it_prints_are_masked(cli: Cli) -> None:
    """An invalid item's reason quoting contact data is masked in the lines and in
    ``--json`` (as `syncd status` masks it); the source_ids stay whole."""
    feed = json.loads(cli.feed.read_text(encoding="utf-8"))["ads"]
    feed[0]["price"] = [{"type": "ring 070-123 45 67 or kalle@example.se", "amount": 1}]
    cli.write(feed)
    masked = "got 'ring [phone hidden] or [e-mail hidden]'"
    lines = cli("migrate-v4", "--dry-run")
    doc = json.loads(cli("migrate-v4", "--dry-run", "--json").stdout)[0]
    for shown in (lines.stdout, json.dumps(doc)):
        assert "070-123 45 67" not in shown
        assert "kalle@example.se" not in shown
    assert lines.exit_code == 6, lines.stderr
    assert "  moped-1: not migrated: the feed's item is invalid: " in lines.stdout
    assert masked in lines.stdout
    moped = next(a for a in doc["ads"] if a["source_id"] == "moped-1")
    assert moped["result"] == "invalid"
    assert masked in moped["message"]
