"""syncd's real service against the sandbox's other readings of the ambiguous docs.

The sandbox runs in-process with its switches (``list_entry_per_request``,
``request_ids`` off, ``log_transitions``) each alone and all together; syncd's
client and reconciler must reach the same mirror as under the default reading.
SQLite only: the variants are about the API, not the database.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from syncd.core.models import Stage
from syncd.sandbox.settings import SandboxSettings
from tests.integration.harness import Harness, assert_mirror_agrees, car, goods
from tests.integration.sandbox_server import InProcessSandbox

PROCESSING_DELAY = 0.02

VARIANTS: dict[str, dict[str, Any]] = {
    "all": {"list_entry_per_request": True, "request_ids": False, "log_transitions": True},
    "list_entry_per_request": {"list_entry_per_request": True},
    "no_request_ids": {"request_ids": False},
    "log_transitions": {"log_transitions": True},
}


def _sandbox(name: str, processing_delay: float = PROCESSING_DELAY) -> InProcessSandbox:
    return InProcessSandbox(
        settings=SandboxSettings(processing_delay=processing_delay, **VARIANTS[name])
    )


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> InProcessSandbox:
    """A fresh in-process sandbox with one combination of the switches."""
    return _sandbox(request.param)


def test_first_run_creates_everything_and_a_second_run_sends_nothing(
    tmp_path: Path, sqlite_url: str, variant: InProcessSandbox
) -> None:
    """Run 1 POSTs every ad and reconciles all to DONE with their ids; run 2 sends no write."""
    h = Harness(tmp_path, sqlite_url, variant)
    feed = [goods(i) for i in range(4)] + [car(i) for i in range(2)]
    h.write(feed)
    report = h.run()
    assert report.outcome == "success", report.problems
    assert (report.counts["create"], report.counts["done"]) == (6, 6)
    assert sorted(variant.mutations()) == sorted(("POST", a["source_id"]) for a in feed)
    assert_mirror_agrees(h, feed)
    assert all(row.blocket_ad_id for row in h.mirror().values())

    variant.clear_journal()
    report = h.run()
    assert report.counts["unchanged"] == 6
    assert variant.mutations() == []


def test_edits_deletes_and_revivals_converge(
    tmp_path: Path, sqlite_url: str, variant: InProcessSandbox
) -> None:
    """Edits, removals and re-added ads (PATCH revive, POST for a car) end as the feed says."""
    h = Harness(tmp_path, sqlite_url, variant)
    feed = [goods(i) for i in range(5)] + [car(i) for i in range(2)]
    h.write(feed)
    assert h.run().outcome == "success"
    h.write([a for a in feed if a["source_id"] not in ("sofa-4", "car-1")])
    report = h.run()
    assert (report.outcome, report.counts["delete"]) == ("success", 2), report.problems

    variant.clear_journal()
    new = copy.deepcopy(feed)  # sofa-4 and car-1 are back
    by_id = {a["source_id"]: a for a in new}
    by_id["sofa-0"]["price"] = [{"type": "list", "amount": 5}]
    by_id["car-0"]["body"] = "Ny text"
    new = [a for a in new if a["source_id"] != "sofa-1"]
    h.write(new)
    report = h.run()
    assert report.outcome == "success", report.problems
    assert sorted(variant.mutations()) == sorted(
        [
            ("PATCH", "sofa-0"),
            ("PATCH", "car-0"),
            ("DELETE", "sofa-1"),
            ("PATCH", "sofa-4"),
            ("POST", "car-1"),
        ]
    )
    assert variant.ads()[("D1", "sofa-0")]["price"][0]["amount"] == 5
    assert_mirror_agrees(h, new)

    variant.clear_journal()
    counts = h.run().counts
    assert (counts["unchanged"], counts["gone"]) == (len(new), 1)  # sofa-1 stays deleted
    assert variant.mutations() == []


def test_a_broken_image_ends_in_error_and_the_ad_is_published(
    tmp_path: Path, sqlite_url: str, variant: InProcessSandbox
) -> None:
    """handle_media's error is recorded as the ad's ERROR, with its message; publish still ran."""
    h = Harness(tmp_path, sqlite_url, variant)
    ad = goods(1)
    ad["image_urls"] = ["https://broken.example/sofa-1.jpg"]
    h.write([ad, goods(2)])
    report = h.run()
    assert report.counts["error"] == 1
    row = h.mirror()["sofa-1"]
    assert row.stage is Stage.ERROR
    assert row.message is not None
    assert row.message.startswith("handle_media: Could not download image(s)")
    assert "https://broken.example/sofa-1.jpg" in row.message
    remote = variant.ads()[("D1", "sofa-1")]
    assert remote["blocket_ad_id"] is not None
    assert row.blocket_ad_id == str(remote["blocket_ad_id"])
    assert h.mirror()["sofa-2"].stage is Stage.DONE


@pytest.mark.parametrize(
    "name",
    [
        "all",
        "list_entry_per_request",
        "no_request_ids",
        "log_transitions",
    ],
)
def test_an_edit_that_adds_a_broken_image_ends_in_error(
    tmp_path: Path, sqlite_url: str, name: str
) -> None:
    """A PATCH sent soon after the create settled is judged by its own log entries."""
    # 0.2 s per action: syncd's first poll surely comes before the PATCH's update is done.
    sandbox = _sandbox(name, processing_delay=0.2)
    h = Harness(tmp_path, sqlite_url, sandbox)
    h.write([goods(1)])
    assert h.run().outcome == "success"
    ad = goods(1)
    ad["image_urls"] = ["https://broken.example/sofa-1.jpg"]
    h.write([ad])
    report = h.run()
    row = h.mirror()["sofa-1"]
    assert (row.stage, report.counts["error"]) == (Stage.ERROR, 1), row.message
    assert row.message is not None
    assert row.message.startswith("handle_media: Could not download image(s)")
    assert sandbox.ads()[("D1", "sofa-1")]["blocket_ad_id"] is not None
