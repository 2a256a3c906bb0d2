"""syncd against updates whose action ends in error: the API never applied the change.

The real service, client and mirror against the sandbox (in this process over ASGI; the
first test over real HTTP too), with its ``failing_actions`` fault: the PATCH is
accepted, its ``update`` action ends in error, and the ad keeps what it held before the
call.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.core.models import RemoteState, Stage
from tests.integration.harness import Harness, assert_mirror_agrees, goods
from tests.integration.sandbox_server import (
    InProcessSandbox,
    SandboxAdmin,
    SandboxServer,
    running_sandbox,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> InProcessSandbox:
    """A fresh in-process sandbox with fast processing."""
    return InProcessSandbox(processing_delay=0.02)


@pytest.fixture(scope="module")
def http_sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, fast processing, over real HTTP."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


@pytest.fixture(params=["http", "asgi"])
def either(request: pytest.FixtureRequest) -> SandboxAdmin:
    """The module's sandbox over HTTP (emptied, its faults reset), or a fresh one in-process."""
    if request.param == "asgi":
        return InProcessSandbox(processing_delay=0.02)
    sandbox: SandboxAdmin = request.getfixturevalue("http_sandbox")
    sandbox.reset()
    return sandbox


def _fail_updates(sandbox: SandboxAdmin, *source_ids: str) -> None:
    faults = {"failing_actions": ["update"], "failing_source_ids": list(source_ids)}
    sandbox.admin("PATCH", "faults", json=faults)


def _patches(sandbox: SandboxAdmin) -> list[tuple[str, str | None]]:
    return [m for m in sandbox.mutations() if m[0] == "PATCH"]


def test_a_failed_update_leaves_the_mirror_at_what_the_api_holds(
    tmp_path: Path, database_url: str, either: SandboxAdmin
) -> None:
    """A PATCH whose update ends in error: the row fails with the API's message, its
    accepted payload stays the one the API holds, the same feed sends nothing again (rule
    6), and the next change of the feed PATCHes the failed field too."""
    h = Harness(tmp_path, database_url, either)
    h.write([goods(1)])
    assert h.run().outcome == "success"
    before = h.mirror()["sofa-1"]
    _fail_updates(either, "sofa-1")
    retitled = goods(1) | {"title": "Ny titel"}
    h.write([retitled])
    failed = h.run()
    assert failed.counts["error"] == 1
    row = h.mirror()["sofa-1"]
    assert (row.stage, row.remote_state) == (Stage.ERROR, RemoteState.CREATED)
    assert row.message is not None
    assert "not applied" in row.message
    assert either.ads()[("D1", "sofa-1")]["title"] == "Soffa 1"
    assert row.payload == before.payload  # what the API holds, not what it refused
    assert row.payload_hash == before.payload_hash
    either.clear_journal()
    again = h.run()  # the same feed: the failed call is not re-sent every run
    assert again.counts["update"] == 0
    assert _patches(either) == []
    assert h.mirror()["sofa-1"].stage is Stage.ERROR
    either.admin("DELETE", "faults")
    repriced = retitled | {"price": [{"type": "list", "amount": 2000}]}
    h.write([repriced])
    fixed = h.run()
    assert fixed.outcome == "success", fixed.problems
    held = either.ads()[("D1", "sofa-1")]
    assert (held["title"], held["price"][0]["amount"]) == ("Ny titel", 2000)
    assert_mirror_agrees(h, [repriced])


def test_a_failed_update_the_feed_takes_back_is_settled(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A failed update, then the feed back at the version the API holds: nothing is sent
    and the row no longer fails (it would list a live, current ad as failing for good)."""
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1)])
    assert h.run().outcome == "success"
    _fail_updates(sandbox, "sofa-1")
    h.write([goods(1) | {"title": "Ny titel"}])
    assert h.run().counts["error"] == 1
    sandbox.clear_journal()
    h.write([goods(1)])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert _patches(sandbox) == []
    assert_mirror_agrees(h, [goods(1)])


def test_a_create_that_ended_in_error_and_left_the_feed_is_deleted_and_stops_failing(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A POST accepted whose create action ends in error (the record kept, never
    published), then the item removed from the feed: the run deletes the record, and
    the row is no longer failing."""
    h = Harness(tmp_path, database_url, sandbox)
    sandbox.admin("PATCH", "faults", json={"failing_actions": ["create"]})
    h.write([goods(1), goods(2)])
    assert h.run().counts["error"] == 2
    assert h.mirror()["sofa-2"].stage is Stage.ERROR
    sandbox.admin("DELETE", "faults")
    h.write([goods(1) | {"title": "Soffa 1 igen"}])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert report.counts["delete"] == 1
    row = h.mirror()["sofa-2"]
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.DELETED)
    assert sandbox.ads()[("D1", "sofa-2")]["state"] == "deleted"
