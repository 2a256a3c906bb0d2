"""After a crash, ``apply`` of a saved plan resolves the intents it left, as a sync does.

The "crash" is test_crash_writes.py's: the intents of the creates and updates a changed
feed needs are recorded, some calls reach the sandbox (real HTTP, the real client), no
answer is recorded. The dealer then uses only ``plan --out`` and ``apply``: the plan
plans no second call for the ads waiting on a lost answer; ``apply`` reads each back
first (a write that arrived is adopted, never sent again), sends exactly the saved
calls, and names the ads whose write never arrived, which the next plan then holds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from syncd import bootstrap, leftovers, saved_plans
from syncd.core.models import RemoteState as RS
from syncd.core.models import Stage
from syncd.core.saved_plan import SavedPlan
from syncd.reading import load_feed
from syncd.runs import RunReport
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import SandboxServer
from tests.integration.test_crash_writes import LIVE, NEW, changed, crash, items_of

LATER = goods(200)  # new in the feed after the crash: the saved plan's one call


@pytest.fixture
def harness(tmp_path: Path, database_url: str, http_sandbox: SandboxServer) -> Harness:
    http_sandbox.reset()
    return Harness(tmp_path, database_url, http_sandbox)


def plan_out(h: Harness, path: Path) -> tuple[SavedPlan, list[str]]:
    """``syncd plan --out``: the saved plan, written and read back, and the ads it shows
    as waiting on a crashed run's lost answers."""

    async def go() -> tuple[SavedPlan, list[str]]:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            feed = await load_feed(container.jobs()[0], h.settings.api.version)
            _, saved = saved_plans.make(feed, container.mirror, container.options())
            saved_plans.write(path, [saved], h.settings.api.version, container.clock.now())
            return saved, leftovers.waiting(container.mirror, h.dealer_code)
        finally:
            await container.aclose()

    saved, waiting = asyncio.run(go())
    [read] = saved_plans.read(path, h.settings.api.version)
    assert read.actions == saved.actions
    return read, waiting


def apply(h: Harness, saved: SavedPlan, path: Path) -> RunReport:
    """``syncd apply FILE`` for the harness's dealer."""

    async def go() -> RunReport:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            job, options = container.jobs()[0], container.options()
            return await saved_plans.apply(container.deps(), job, options, saved, path)
        finally:
            await container.aclose()

    return asyncio.run(go())


def ops(saved: SavedPlan) -> list[tuple[str, str]]:
    """The saved plan's calls as (method, source_id)."""
    method = {"create": "POST", "update": "PATCH", "revive": "PATCH", "delete": "DELETE"}
    return sorted((method[str(a.op)], a.source_id) for a in saved.actions)


def test_apply_resolves_a_crashed_runs_intents_and_sends_no_write_twice(
    harness: Harness, tmp_path: Path
) -> None:
    """The plan waits on the crashed ads; apply adopts the writes that arrived, sends only
    its own call, names the ads still owed a call; the next plan holds exactly those
    (one PATCH or POST each), and the plan after that has nothing to do."""
    h, path = harness, tmp_path / "plan.json"
    h.write([goods(i) for i in range(LIVE)])
    assert h.run().outcome == "success"
    h.write([changed(i) for i in range(LIVE)] + [goods(100 + i) for i in range(NEW)])
    arrived = {f"sofa-{i}" for i in range(0, LIVE, 2)} | {
        f"sofa-{100 + i}" for i in range(0, NEW, 2)
    }
    crash(h, arrived)
    crashed = sorted(items_of(h))
    h.write([changed(i) for i in range(LIVE)] + [goods(100 + i) for i in range(NEW)] + [LATER])
    h.sandbox.clear_journal()

    saved, waiting = plan_out(h, path)
    assert ops(saved) == [("POST", "sofa-200")]  # no second call for a crashed one
    assert sorted(waiting) == crashed

    report = apply(h, saved, path)

    assert report.outcome == "success", report.problems
    assert h.sandbox.mutations() == [("POST", "sofa-200")]
    owed = sorted(
        [f"sofa-{i}" for i in range(1, LIVE, 2)] + [f"sofa-{100 + i}" for i in range(1, NEW, 2)]
    )
    [warning] = [w for w in report.warnings if "crashed run" in w]
    assert f"{len(owed)} ad(s)" in warning
    assert all(sid in warning for sid in owed)
    rows = h.mirror()
    assert [sid for sid, row in rows.items() if row.stage is Stage.INTENT] == []
    items = items_of(h)
    for sid in arrived:  # adopted: the feed's payload, nothing sent again
        assert rows[sid].payload_hash == items[sid].payload_hash, sid

    h.sandbox.clear_journal()
    saved, waiting = plan_out(h, path)
    assert waiting == []
    expected = [("PATCH", f"sofa-{i}") for i in range(1, LIVE, 2)]
    expected += [("POST", f"sofa-{100 + i}") for i in range(1, NEW, 2)]
    assert ops(saved) == sorted(expected)
    assert apply(h, saved, path).outcome == "success"
    assert sorted(h.sandbox.mutations()) == sorted(expected)
    rows = h.mirror()
    for sid, item in items.items():  # every ad live, holding the feed's payload
        assert rows[sid].remote_state is RS.CREATED, sid
        assert rows[sid].payload_hash == item.payload_hash, sid
    saved, waiting = plan_out(h, path)
    assert (saved.actions, waiting) == ((), [])
