"""A registered vehicle that left the feed (deleted) and came back (re-POSTed: a new ad,
which appears as new) is not bumped by a weekly policy in the run that re-creates it, over
the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli_sandbox import Cli
from tests.integration.harness import car, goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.integration.test_pins_renewals_cli import age_the_ads, renewal_calls

CAR_POLICY = """
[[renewal]]
name = "cars"
categories = [1020]
every_days = 7
daily_cap = 10
monthly_cap = 50
"""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, fast processing."""
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        yield sandbox


@pytest.fixture
def cli(tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Five sofas and a car, synced a month ago."""
    monkeypatch.chdir(tmp_path)
    server.reset()
    c = Cli(tmp_path, server)
    c.write([*(goods(i) for i in range(5)), car(1)])
    assert c("run-once").exit_code == 0
    age_the_ads(c)
    server.clear_journal()
    return c


def test_a_car_revived_by_a_new_create_is_not_bumped_at_once(cli: Cli) -> None:
    """car-1 leaves the feed (deleted), comes back (registered vehicle: a new POST, a new
    ad that appears as new): a weekly policy does not pay to bump it right after."""
    cli.write([goods(i) for i in range(5)])
    assert cli("run-once", "--allow-mass-delete").exit_code == 0
    with cli.config.open("a", encoding="utf-8") as f:
        f.write(CAR_POLICY)
    cli.write([*(goods(i) for i in range(5)), car(1)])
    cli.sandbox.clear_journal()
    [report] = cli.json("run-once")  # re-creates car-1 (POST), then runs the policy
    posts = [e["path"] for e in cli.sandbox.journal() if e["method"] == "POST"]
    assert posts, "car-1 was re-created by a POST"
    assert report["renewals"][0]["renewed"] == []
    assert renewal_calls(cli) == []
