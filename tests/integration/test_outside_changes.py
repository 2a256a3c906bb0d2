"""syncd against ads changed behind its back, feeds that reuse or move source_ids, and
feeds that take back a change the API refused.

The real service, client and mirror against the sandbox in this process: another
client deletes an ad, a deleted source_id comes back in another kind of category.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from syncd import bootstrap, inspect
from syncd.core.models import RemoteState, Stage
from syncd.daemon import status as status_page
from tests.integration.harness import Harness, assert_mirror_agrees, car, goods
from tests.integration.sandbox_server import InProcessSandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> InProcessSandbox:
    """A fresh in-process sandbox with fast processing."""
    return InProcessSandbox(processing_delay=0.02)


def _delete_elsewhere(sandbox: InProcessSandbox, dealer: str, source_id: str) -> None:
    """Another client of the same dealer DELETEs the ad, and the delete settles."""

    async def call() -> None:
        headers = {"X-Auth-Token": sandbox.token(dealer)}
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.url) as c:
            response = await c.delete(f"/v4/ad/{source_id}", headers=headers)
            assert response.status_code == 200
            for _ in range(500):
                got = await c.get(f"/v4/ad/{source_id}", headers=headers)
                if got.json()["state"] == "deleted":
                    return
                await asyncio.sleep(0.01)
        raise AssertionError("the delete did not settle")

    asyncio.run(call())


def test_a_vehicle_deleted_by_another_client_is_posted_again_once_the_feed_changes(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A car deleted behind syncd's back: its next PATCH is refused, syncd reads it back,
    records it deleted, and the following run POSTs it again; it ends live, not rejected."""
    h = Harness(tmp_path, database_url, sandbox)
    ad = car(1)
    h.write([ad])
    assert h.run().outcome == "success"
    _delete_elsewhere(sandbox, "D1", "car-1")
    ad["price"] = [{"type": "list", "amount": 90000}]
    h.write([ad])
    first = h.run()
    assert first.counts["rejected"] == 1
    row = h.mirror()["car-1"]
    assert (row.stage, row.remote_state) == (Stage.ERROR, RemoteState.DELETED)
    second = h.run()
    assert second.outcome == "success", second.problems
    assert second.counts["revive"] == 1
    assert sandbox.ads()[("D1", "car-1")]["price"][0]["amount"] == 90000
    assert_mirror_agrees(h, [ad])


def test_a_deleted_source_id_may_come_back_in_a_registered_category(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A sofa deleted (gone from the feed) whose source_id the feed later gives a car: the
    deleted ad is not moved, a new ad is POSTed under that source_id (as the API allows)."""
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1), goods(2)])
    assert h.run().outcome == "success"
    h.write([goods(2)])
    assert h.run().counts["delete"] == 1
    vehicle = car(1) | {"source_id": "sofa-1"}
    h.write([goods(2), vehicle])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert sandbox.ads()[("D1", "sofa-1")]["category_id"] == 1020
    assert_mirror_agrees(h, [goods(2), vehicle])


def test_a_refused_change_taken_back_by_the_feed_no_longer_shows_rejected(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A title the API refuses (over its 100 characters), then the feed back at the version
    the API holds: nothing is sent, and the row is no longer 'rejected' with the old reason
    (status would list a live, current ad as failing for good)."""
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1)])
    assert h.run().outcome == "success"
    h.write([goods(1) | {"title": "x" * 150}])
    assert h.run().counts["rejected"] == 1
    assert h.mirror()["sofa-1"].stage is Stage.REJECTED
    h.write([goods(1)])
    report = h.run()
    assert report.outcome == "success", report.problems
    row = h.mirror()["sofa-1"]
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.CREATED)
    assert row.message is not None
    assert "title" not in row.message
    assert_mirror_agrees(h, [goods(1)])


def test_a_refused_create_whose_item_left_the_feed_stops_counting_as_failing(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A POST the API refused (a 400), then the item removed from the feed: the run settles
    the row, so status, the status page's counts and list no longer count it failing; the
    run counts it gone (history), and the row keeps the API's refusal in its message."""
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1), goods(2) | {"title": "x" * 150}])
    first = h.run()
    assert first.counts["rejected"] == 1
    assert h.mirror()["sofa-2"].stage is Stage.REJECTED
    h.write([goods(1)])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert report.counts["gone"] == 1
    row = h.mirror()["sofa-2"]
    assert (row.stage, row.remote_state) == (Stage.DONE, None)
    assert row.message is not None
    assert "no live ad" in row.message
    assert "title" in row.message  # what the API said stays visible (syncd show)
    container = bootstrap.build(h.settings, token=h.token, transport=sandbox.transport())
    try:
        mirror = container.mirror
        counts = mirror.counts_by_state("D1")
        assert counts["rejected"] == counts["failed"] == 0
        assert mirror.failing("D1", 10) == []
        page = status_page.gather(container, datetime.now(UTC))
        assert page.failing == ()
        assert page.failing_total == 0
        history = inspect.history_json(mirror, "D1", 1)
        assert history[0]["gone"] == 1
        assert history[0]["outcome"] == "success"
    finally:
        asyncio.run(container.aclose())
    again = h.run()  # nothing left to settle or send: the row stays as it is
    assert again.outcome == "success"
    assert again.counts["gone"] == 1
    assert h.mirror()["sofa-2"].stage is Stage.DONE


def test_a_refused_revive_whose_item_left_the_feed_again_stops_counting_as_failing(
    tmp_path: Path, database_url: str, sandbox: InProcessSandbox
) -> None:
    """A deleted sofa back in the feed with a title the API refuses, then gone again: the
    run settles the row (deleted, no longer failing), nothing is sent for it."""
    h = Harness(tmp_path, database_url, sandbox)
    h.write([goods(1), goods(2)])
    assert h.run().outcome == "success"
    h.write([goods(1)])
    assert h.run().counts["delete"] == 1
    h.write([goods(1), goods(2) | {"title": "x" * 150}])
    assert h.run().counts["rejected"] == 1
    assert h.mirror()["sofa-2"].stage in (Stage.REJECTED, Stage.ERROR)
    sandbox.clear_journal()
    h.write([goods(1)])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert sandbox.mutations() == []
    row = h.mirror()["sofa-2"]
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.DELETED)
    assert_mirror_agrees(h, [goods(1)])
