"""Pins and renewals over the sandbox (real HTTP): pin/unpin, bump, pole-position, policies.

Each test runs the CLI in-process against one sandbox subprocess; the renewals
table in the mirror (``status --json``) and the sandbox's own list of charges
(``/_sandbox/charges``) are both checked: what syncd believes it spent, and what
the API says it charged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from syncd.cli.exits import ExitCode
from syncd.core.renewal_caps import month_start
from syncd.core.renewal_models import RenewalKind, RenewalOutcome
from syncd.mirror.renewals import SqlRenewalLog
from syncd.mirror.schema import ads
from tests.feed_server import Reply, feed_server
from tests.integration.cli_sandbox import Cli, said
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox

POLICY = """
[[renewal]]
name = "daily-sofas"
categories = [2048]
every_days = 7
daily_cap = {daily}
monthly_cap = {monthly}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, fast processing."""
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        yield sandbox


def age_the_ads(cli: Cli, days: float = 30) -> None:
    """Make the mirror's ads ``days`` old (a new ad counts as renewed when created)."""
    engine = create_engine(f"sqlite:///{cli.mirror}")
    try:
        with engine.begin() as conn:
            conn.execute(update(ads).values(created_at=datetime.now(UTC) - timedelta(days=days)))
    finally:
        engine.dispose()


def synced(tmp_path: Path, server: SandboxServer, items: list[dict[str, Any]]) -> Cli:
    """A CLI whose feed of ``items`` was synced just now (the sandbox emptied first, its
    journal cleared after)."""
    server.reset()
    c = Cli(tmp_path, server)
    c.write(items)
    assert c("run-once").exit_code == 0
    server.clear_journal()
    return c


@pytest.fixture
def new_ads(tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Five live sofas, synced and published just now."""
    monkeypatch.chdir(tmp_path)
    return synced(tmp_path, server, [goods(i) for i in range(5)])


@pytest.fixture
def cli(new_ads: Cli) -> Cli:
    """Five live sofas, synced and published a month ago (due for a weekly policy)."""
    age_the_ads(new_ads)
    return new_ads


def with_policy(cli: Cli, daily: int = 3, monthly: int = 50) -> None:
    """Add a [[renewal]] policy for the sofas to the config."""
    with cli.config.open("a", encoding="utf-8") as f:
        f.write(POLICY.format(daily=daily, monthly=monthly))


def charges(cli: Cli) -> list[dict[str, Any]]:
    """What the sandbox charged, once every queued call is carried out."""
    cli.sandbox.admin("POST", "clock", json={"advance": 60})
    results: list[dict[str, Any]] = cli.sandbox.admin("GET", "charges").json()["results"]
    return results


def renewal_calls(cli: Cli) -> list[str]:
    """The paths of the paid calls the sandbox received."""
    return [e["path"] for e in cli.sandbox.journal() if e["path"].endswith(("/bump", "_position"))]


# --- pins ------------------------------------------------------------------------------


def test_a_pinned_ad_absent_from_the_feed_is_not_deleted_until_unpinned(cli: Cli) -> None:
    """pin keeps sofa-4 through a run without it; plan and status say so; unpin lets it go."""
    out = cli.json("pin", "sofa-4")
    assert out == {
        "dealer_code": "D1",
        "source_id": "sofa-4",
        "pinned": True,
        "changed": True,
        "in_mirror": True,
    }
    assert cli.json("pin", "sofa-4")["changed"] is False
    cli.write([goods(i) for i in range(4)])
    [plan] = cli.json("plan")
    assert {
        "kind": "unchanged",
        "source_id": "sofa-4",
        "dealer_code": "D1",
        "reason": "pinned",
    } in (plan["entries"])
    [report] = cli.json("run-once")
    assert report["counts"]["pinned"] == 1
    assert cli.sandbox.mutations() == []
    assert [p["source_id"] for p in cli.json("status")["pins"]] == ["sofa-4"]
    assert cli.json("show", "sofa-4")["pinned"] is True
    assert "(pinned: never deleted" in cli("show", "sofa-4").stdout

    assert cli.json("unpin", "sofa-4")["changed"] is True
    assert cli.json("status")["pins"] == []
    assert cli("run-once").exit_code == 0
    assert cli.sandbox.mutations() == [("DELETE", "sofa-4")]


def test_pin_text_output_names_an_ad_the_mirror_does_not_have_yet(cli: Cli) -> None:
    """Pinning an unknown source_id is allowed, and the line says the pin waits for it."""
    result = cli("pin", "sofa-9")
    assert result.exit_code == 0
    assert "pinned (not in the mirror yet" in result.stdout


def test_a_dealer_no_feed_serves_is_a_usage_error_for_pin_and_bump(cli: Cli) -> None:
    """A typo in --dealer pins nothing and pays for nothing (exit 2, naming the dealers);
    unpin takes any dealer, so a pin left from a feed since removed can still go."""
    for command in ("pin", "bump"):
        result = cli(command, "sofa-1", "--dealer", "D1x")
        assert result.exit_code == 2, result.stderr
        assert "--dealer 'D1x' is not a dealer of the feeds" in result.stderr
    assert cli.json("status")["pins"] == []
    assert cli.sandbox.journal() == []
    assert cli("unpin", "sofa-1", "--dealer", "D1x").exit_code == 0


# --- bump and pole position by hand ------------------------------------------------------


def test_bump_sends_one_paid_call_and_records_it(cli: Cli) -> None:
    """bump: one GET .../bump, outcome accepted, in the mirror and among the charges."""
    out = cli.json("bump", "sofa-0")
    assert out["outcome"] == "accepted"
    assert out["kind"] == "bump"
    assert out["request_id"]
    assert renewal_calls(cli) == ["/v4/ad/sofa-0/bump"]
    assert [(c["source_id"], c["kind"]) for c in charges(cli)] == [("sofa-0", "bump")]
    [recorded] = cli.json("status")["renewals"]
    assert (recorded["source_id"], recorded["outcome"], recorded["policy"]) == (
        "sofa-0",
        "accepted",
        None,
    )


def test_pole_position_then_a_bump_is_refused_exit_6_and_costs_nothing(cli: Cli) -> None:
    """After pole-position the API refuses a bump: exit 6 with its message; one charge only."""
    assert cli.json("pole-position", "sofa-1")["outcome"] == "accepted"
    result = cli("bump", "sofa-1")
    assert result.exit_code == 6, result.stderr
    assert "pole position" in result.stdout
    assert [c["kind"] for c in charges(cli)] == ["pole_position"]
    outcomes = [r["outcome"] for r in cli.json("status")["renewals"]]
    assert outcomes == ["refused", "accepted"]


def test_an_unknown_ad_exits_11_and_exclusions_need_a_vehicle(cli: Cli) -> None:
    """bump of an unknown source_id: 11; --exclude-bytbil on a sofa: refused, exit 6."""
    assert cli("bump", "nope").exit_code == 11
    sofa = cli("bump", "sofa-2", "--exclude-bytbil")
    assert sofa.exit_code == 6
    assert "registered vehicles" in sofa.stdout
    both = cli("bump", "sofa-2", "--exclude-bytbil", "--exclude-blocket")
    assert both.exit_code == 2
    assert charges(cli) == []


@pytest.mark.parametrize(
    ("command", "path"), [("bump", "bump"), ("pole-position", "pole_position")]
)
def test_a_refusal_quoting_contact_data_is_printed_masked(
    tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch, command: str, path: str
) -> None:
    """An API whose refusal quotes a phone number and an address (a stub on a local port,
    after a sync on the sandbox): the line and ``--json`` show the message masked, the
    source_id that reads like a phone whole, and the exit code stays 6."""
    monkeypatch.chdir(tmp_path)
    source_id = "0709876543"
    cli = synced(tmp_path, server, [{**goods(0), "source_id": source_id}])
    refusal = {"errors": {"contact": ["call 070-123 45 67 or kalle@example.se first"]}}
    masked = "errors.contact: call [phone hidden] or [e-mail hidden] first"
    with feed_server() as api:
        api.routes[f"/v4/ad/{source_id}/{path}"] = Reply(
            json.dumps(refusal).encode(), status=400, content_type="application/json"
        )
        cli.config.write_text(
            cli.config.read_text(encoding="utf-8").replace(server.url, api.url("")),
            encoding="utf-8",
        )
        line = cli(command, source_id)
        doc = cli(command, source_id, "--json")
    assert (line.exit_code, doc.exit_code) == (6, 6), line.stderr
    assert line.stdout == f"{path} {source_id}: refused: {masked}\n"
    assert json.loads(doc.stdout)["message"] == masked
    assert json.loads(doc.stdout)["source_id"] == source_id
    for shown in (line.stdout, line.stderr, doc.stdout, doc.stderr):  # the log lines too
        assert "070-123 45 67" not in shown
        assert "kalle@example.se" not in shown


def test_a_car_is_bumped_without_bytbil(cli: Cli) -> None:
    """--exclude-bytbil travels as a query parameter and the sandbox honours it."""
    cli.write([*(goods(i) for i in range(5)), car(1)])
    assert cli("run-once").exit_code == 0
    assert cli.json("bump", "car-1", "--exclude-bytbil")["outcome"] == "accepted"
    [charge] = charges(cli)
    assert (charge["source_id"], charge["exclude_bytbil"]) == ("car-1", True)


# --- policies ---------------------------------------------------------------------------


def test_nothing_is_renewed_without_a_policy(cli: Cli) -> None:
    """run-once with no [[renewal]]: no paid call, no renewals key in the report."""
    [report] = cli.json("run-once")
    assert "renewals" not in report
    assert renewal_calls(cli) == []
    assert cli.json("status")["renewals"] == []


def test_a_cap_of_three_a_day_bumps_three_ads_then_none(cli: Cli) -> None:
    """Five due sofas, daily cap 3: the first run-once bumps 3, the second none (capped)."""
    with_policy(cli, daily=3)
    [first] = cli.json("run-once")
    [policy] = first["renewals"]
    assert (policy["due"], policy["counts"], policy["capped"]) == (5, {"accepted": 3}, 2)
    assert policy["renewed"] == ["sofa-0", "sofa-1", "sofa-2"]
    [second] = cli.json("run-once")
    [again] = second["renewals"]
    assert (again["due"], again["counts"], again["capped"]) == (2, {}, 2)
    assert len(renewal_calls(cli)) == 3
    assert len(charges(cli)) == 3


def test_run_once_json_gives_a_dealers_renewals_once(cli: Cli) -> None:
    """The token check answered 503 (a failed entry, exit 7), then the sync and the policy
    ran: the policy's report is on the dealer's run report only, the failed entry's
    ``renewals`` is empty (no paid call is counted twice)."""
    with_policy(cli, daily=2)
    text = cli.config.read_text(encoding="utf-8")
    once = text.replace(
        "requests_per_second = 200\n", "requests_per_second = 200\nretry_attempts = 1\n"
    )
    cli.config.write_text(once, encoding="utf-8")
    cli.sandbox.admin("PATCH", "faults", json={"script": ["503"]})
    result = cli("run-once", "--check-token", "--json")
    assert result.exit_code == ExitCode.TEMPORARY, result.output
    report, failed = json.loads(result.stdout)
    assert (report["outcome"], failed["outcome"], failed["exit"]) == (
        "success",
        "failed",
        "TEMPORARY",
    )
    [policy] = report["renewals"]
    assert policy["renewed"] == ["sofa-0", "sofa-1"]
    assert failed["renewals"] == []
    assert len(charges(cli)) == 2


def test_an_ad_on_pole_position_is_not_bumped_by_a_policy(cli: Cli) -> None:
    """sofa-0 on pole position is skipped (and named); the others are bumped."""
    cli.json("pole-position", "sofa-0")
    with_policy(cli, daily=10)
    [report] = cli.json("run-once")
    [policy] = report["renewals"]
    assert policy["on_pole_position"] == ["sofa-0"]
    assert policy["renewed"] == ["sofa-1", "sofa-2", "sofa-3", "sofa-4"]
    assert "/v4/ad/sofa-0/bump" not in renewal_calls(cli)


def test_the_monthly_cap_counts_what_was_spent_earlier_this_month(cli: Cli) -> None:
    """Two bumps recorded earlier this month, monthly cap 4: two more, then none."""
    engine = create_engine(f"sqlite:///{cli.folder / 'syncd.db'}")
    try:
        log = SqlRenewalLog(engine)
        start = month_start(datetime.now(UTC))
        for source_id in ("old-1", "old-2"):
            rid = log.reserve("D1", source_id, RenewalKind.BUMP, start, policy="daily-sofas")
            assert rid is not None
    finally:
        engine.dispose()
    with_policy(cli, daily=10, monthly=4)
    [first] = cli.json("run-once")
    assert first["renewals"][0]["renewed"] == ["sofa-0", "sofa-1"]
    [second] = cli.json("run-once")
    assert second["renewals"][0]["counts"] == {}
    assert len(charges(cli)) == 2
    outcomes = {r["outcome"] for r in cli.json("status")["renewals"]}
    assert outcomes == {RenewalOutcome.ACCEPTED.value, RenewalOutcome.RESERVED.value}


def test_ads_just_created_are_not_bumped_until_every_days_after(new_ads: Cli) -> None:
    """Sofas created by the last run already appear as new: a weekly policy finds none
    due (no paid call); once they are 8 days old, all five are."""
    with_policy(new_ads, daily=10)
    [first] = new_ads.json("run-once")
    assert (first["renewals"][0]["due"], first["renewals"][0]["counts"]) == (0, {})
    assert renewal_calls(new_ads) == []
    age_the_ads(new_ads, days=8)
    [later] = new_ads.json("run-once")
    assert later["renewals"][0]["renewed"] == [f"sofa-{i}" for i in range(5)]


def test_ads_a_guard_keeps_from_deletion_are_not_bumped(cli: Cli) -> None:
    """The feed loses four of five sofas: the mass-delete guard holds their deletes back
    (exit 8), and the policy run after that sync bumps only the sofa still in the feed;
    once the feed has them again, they are bumped too."""
    with_policy(cli, daily=10)
    cli.write([goods(0)])
    result = cli("run-once", "--json")
    assert result.exit_code == 8, result.stderr
    [report] = json.loads(result.stdout)
    assert report["guard"]
    assert report["renewals"][0]["renewed"] == ["sofa-0"]
    assert renewal_calls(cli) == ["/v4/ad/sofa-0/bump"]
    assert cli.sandbox.mutations() == []
    cli.write([goods(i) for i in range(5)])
    [back] = cli.json("run-once")
    assert back["renewals"][0]["renewed"] == [f"sofa-{i}" for i in range(1, 5)]


def test_a_policy_without_caps_is_a_config_error(cli: Cli) -> None:
    """Caps are mandatory: exit 3 naming the missing key."""
    with cli.config.open("a", encoding="utf-8") as f:
        f.write('\n[[renewal]]\nname = "x"\ncategories = [2048]\nevery_days = 7\n')
    result = cli("run-once")
    assert result.exit_code == 3
    assert "renewal.0.daily_cap: Field required" in said(result)
    assert "renewal.0.monthly_cap: Field required" in said(result)


def test_a_saved_plan_that_deletes_an_ad_pinned_since_is_refused(cli: Cli) -> None:
    """plan --out with a DELETE, then pin that ad: apply sends nothing and exits 8."""
    cli.write([goods(i) for i in range(4)])
    saved = cli.folder / "plan.json"
    assert cli("plan", "--out", str(saved)).exit_code == 0
    cli.json("pin", "sofa-4")
    result = cli("apply", str(saved))
    assert result.exit_code == 8, result.stderr
    assert "nothing was sent" in said(result)
    assert cli.sandbox.mutations() == []


CAR_POLICY = """
[[renewal]]
name = "cars"
categories = [1020]
every_days = 7
daily_cap = 10
monthly_cap = 50
"""


@pytest.fixture
def with_a_car(tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Five sofas and a car, synced a month ago."""
    monkeypatch.chdir(tmp_path)
    c = synced(tmp_path, server, [*(goods(i) for i in range(5)), car(1)])
    age_the_ads(c)
    return c


def test_a_car_revived_by_a_new_create_is_not_bumped_at_once(with_a_car: Cli) -> None:
    """car-1 leaves the feed (deleted), comes back (registered vehicle: a new POST, a new
    ad that appears as new): a weekly policy does not pay to bump it right after."""
    with_a_car.write([goods(i) for i in range(5)])
    assert with_a_car("run-once", "--allow-mass-delete").exit_code == 0
    with with_a_car.config.open("a", encoding="utf-8") as f:
        f.write(CAR_POLICY)
    with_a_car.write([*(goods(i) for i in range(5)), car(1)])
    with_a_car.sandbox.clear_journal()
    [report] = with_a_car.json("run-once")  # re-creates car-1 (POST), then runs the policy
    posts = [e["path"] for e in with_a_car.sandbox.journal() if e["method"] == "POST"]
    assert posts, "car-1 was re-created by a POST"
    assert report["renewals"][0]["renewed"] == []
    assert renewal_calls(with_a_car) == []


def test_a_pinned_ad_absent_and_an_ad_whose_item_is_invalid_are_not_bumped(cli: Cli) -> None:
    """sofa-4 pinned and gone from the feed, sofa-3's item invalid (no title: neither
    updated nor deleted): a policy bumps only the three the feed still sells as valid;
    once sofa-3's item is valid again, it is bumped too."""
    cli.json("pin", "sofa-4")
    broken = goods(3)
    del broken["title"]
    cli.write([goods(0), goods(1), goods(2), broken])
    with_policy(cli, daily=10)
    partial = cli("run-once", "--json")  # exit 6: an item invalid
    assert partial.exit_code == ExitCode.PARTIAL
    [report] = json.loads(partial.stdout)
    assert report["counts"]["pinned"] == 1
    assert report["counts"]["invalid"] == 1
    assert report["renewals"][0]["renewed"] == ["sofa-0", "sofa-1", "sofa-2"]
    cli.write([goods(i) for i in range(4)])
    [fixed] = cli.json("run-once")
    assert fixed["renewals"][0]["renewed"] == ["sofa-3"]
    assert {c.rsplit("/", 2)[1] for c in renewal_calls(cli)} == {f"sofa-{i}" for i in range(4)}
