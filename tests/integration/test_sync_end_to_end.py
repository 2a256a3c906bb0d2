"""The whole core against the sandbox over real HTTP, on SQLite and on PostgreSQL.

The real client, executor, reconciler and mirror: the only thing not real is
Blocket itself, played by the sandbox running as a subprocess.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.core.models import Stage
from syncd.runs import RunReport
from syncd.service import sync
from tests.integration.harness import Harness, assert_mirror_agrees, car, goods
from tests.integration.sandbox_server import (
    InProcessSandbox,
    SandboxAdmin,
    SandboxServer,
    running_sandbox,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def http_sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, fast processing, over real HTTP."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


@pytest.fixture(scope="module")
def asgi_sandbox() -> InProcessSandbox:
    """One sandbox app in this process for the module, reached through ASGI."""
    return InProcessSandbox(processing_delay=0.02)


@pytest.fixture(params=["http", "asgi"])
def fresh(request: pytest.FixtureRequest) -> SandboxAdmin:
    """The module's sandbox (over HTTP, or in-process), emptied for this test."""
    sandbox: SandboxAdmin = request.getfixturevalue(f"{request.param}_sandbox")
    sandbox.reset()
    return sandbox


def test_first_run_creates_then_unchanged_feed_sends_nothing(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """Run 1 POSTs every ad and sees them published; run 2 sends zero mutating calls."""
    h = Harness(tmp_path, database_url, fresh)
    feed = [goods(i) for i in range(6)] + [car(i) for i in range(4)]
    h.write(feed)
    report = h.run()
    assert report.outcome == "success", report.problems
    assert report.counts["create"] == 10
    assert report.counts["done"] == 10
    assert sorted(fresh.mutations()) == sorted(("POST", a["source_id"]) for a in feed)
    assert_mirror_agrees(h, feed)

    fresh.clear_journal()
    # Same content, other key order and number formatting: still nothing to send.
    reordered = [dict(reversed(list(a.items()))) for a in reversed(feed)]
    h.feed.write_text(
        json.dumps({"ads": reordered}, indent=4).replace(": 1001", ": 1001.0"), encoding="utf-8"
    )
    report = h.run()
    assert report.counts["unchanged"] == 10
    assert fresh.mutations() == []


def test_edit_remove_and_readd_sends_exactly_k_plus_m_plus_one(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """Editing k ads, removing m and re-adding a deleted one sends exactly k + m + 1 calls."""
    h = Harness(tmp_path, database_url, fresh)
    feed = [goods(i) for i in range(8)] + [car(i) for i in range(4)]
    h.write(feed)
    assert h.run().outcome == "success"
    # Delete one sofa and one car first, so that they can come back.
    h.write([a for a in feed if a["source_id"] not in ("sofa-7", "car-3")])
    assert h.run().counts["delete"] == 2

    fresh.clear_journal()
    new = copy.deepcopy([a for a in feed if a["source_id"] != "car-3"])
    by_id = {a["source_id"]: a for a in new}
    by_id["sofa-0"]["price"] = [{"type": "list", "amount": 5}]  # k = 3 edits
    by_id["sofa-1"]["title"] = "Ny titel"
    del by_id["sofa-2"]["location"]  # a field removed
    by_id["car-0"]["body"] = "Ny text"
    new = [a for a in new if a["source_id"] not in ("sofa-3", "car-1")]  # m = 2 removals
    h.write(new)  # sofa-7 is back
    report = h.run()
    assert report.outcome == "success", report.problems
    counts = {k: report.counts[k] for k in ("update", "delete", "revive", "create")}
    assert counts == {"update": 4, "delete": 2, "revive": 1, "create": 0}
    calls = sorted(fresh.mutations())
    assert calls == sorted(
        [
            ("PATCH", "sofa-0"),
            ("PATCH", "sofa-1"),
            ("PATCH", "sofa-2"),
            ("PATCH", "car-0"),
            ("DELETE", "sofa-3"),
            ("DELETE", "car-1"),
            ("PATCH", "sofa-7"),
        ]
    )
    remote = fresh.ads()
    assert remote[("D1", "sofa-0")]["price"][0]["amount"] == 5
    assert remote[("D1", "sofa-2")]["location"] is None
    assert_mirror_agrees(h, new)


def test_a_registered_vehicle_comes_back_with_a_new_post(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """A deleted car re-added to the feed is POSTed again (PATCH cannot revive it)."""
    h = Harness(tmp_path, database_url, fresh)
    h.write([car(1)])
    h.run()
    h.write([car(2)])
    h.run()
    fresh.clear_journal()
    h.write([car(1), car(2)])
    report = h.run()
    assert report.counts["revive"] == 1
    assert fresh.mutations() == [("POST", "car-1")]
    assert_mirror_agrees(h, [car(1), car(2)])


def test_invalid_item_leaves_its_live_ad_untouched(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """An item that turns invalid is reported and its ad is neither changed nor deleted."""
    h = Harness(tmp_path, database_url, fresh)
    h.write([goods(1), goods(2)])
    h.run()
    fresh.clear_journal()
    broken = goods(2)
    broken["price"] = [{"type": "list", "amount": -5}]
    h.write([goods(1), broken])
    report = h.run()
    assert report.outcome == "partial"
    assert report.counts["invalid"] == 1
    assert any(sid == "sofa-2" and "price[0].amount" in msg for sid, msg in report.problems)
    assert fresh.mutations() == []
    assert fresh.ads()[("D1", "sofa-2")]["state"] == "created"


def test_rejected_payload_is_recorded_and_not_resent(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """A payload the API refuses (400) is recorded with its message and not re-sent unchanged."""
    h = Harness(tmp_path, database_url, fresh)
    ad = car(1)
    # Only the API knows that a Tesla runs on electricity alone (syncd checks the lists).
    ad["category_fields"] |= {"brand": "tesla", "model": "model-3"}
    ad["category_fields"]["powertrain"] = {"fuels": ["petrol"]}
    h.write([ad])
    first = h.run()
    assert first.counts["rejected"] == 1
    assert first.problems == [
        ("car-1", 'category_fields.powertrain.fuels.0: "petrol" is not a fuel of tesla vehicles.')
    ]
    row = h.mirror()["car-1"]
    assert (row.stage, row.remote_state) == (Stage.REJECTED, None)
    fresh.clear_journal()
    second = h.run()
    assert second.counts.get("still_rejected") == 1
    assert fresh.mutations() == []


def test_a_dealer_group_token_serves_several_dealers(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """One group token, one feed per dealer_code: each dealer gets its own ads, same ids too."""
    feeds = {"D1": [goods(1), goods(2)], "D2": [goods(1), car(5)]}
    for dealer, ads in feeds.items():
        (tmp_path / f"{dealer}.json").write_text(json.dumps(ads), encoding="utf-8")
    settings = config.parse(
        {
            "database": {"url": database_url},
            "api": {"base_url": fresh.url, "requests_per_second": 200.0},
            "feeds": [
                {"path": str(tmp_path / f"{d}.json"), "dealer_code": d, "settle_seconds": 0}
                for d in feeds
            ],
            "sync": {"reconcile_wait": 20.0, "poll_interval": 0.05},
            "vehicles": {"cache": str(tmp_path / "vehicles.json")},  # not the checkout's
        },
        source="test",
    )
    token = SecretStr(fresh.token("D1", "D2"))

    async def go() -> list[RunReport]:
        container = bootstrap.build(settings, token=token, transport=fresh.transport())
        try:
            return [
                await sync(container.deps(), job, container.options()) for job in container.jobs()
            ]
        finally:
            await container.aclose()

    reports = asyncio.run(go())
    assert [r.outcome for r in reports] == ["success", "success"]
    remote = fresh.ads()
    assert sorted(remote) == [("D1", "sofa-1"), ("D1", "sofa-2"), ("D2", "car-5"), ("D2", "sofa-1")]
    assert all(ad["state"] == "created" for ad in remote.values())


def test_an_empty_feed_deletes_nothing_unless_allowed(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """An empty feed trips the mass-delete guard; --allow-mass-delete lets it through."""
    h = Harness(tmp_path, database_url, fresh)
    h.write([goods(i) for i in range(5)])
    h.run()
    fresh.clear_journal()
    h.write([])
    report = h.run()
    assert report.outcome == "guarded"
    assert report.guard is not None
    assert "feed is empty" in report.guard
    assert report.counts["held_back"] == 5
    assert fresh.mutations() == []
    assert all(ad["state"] == "created" for ad in fresh.ads().values())
    report = h.run(allow_mass_delete=True)
    assert report.outcome == "success"
    assert sorted(m for m, _ in fresh.mutations()) == ["DELETE"] * 5


def test_a_new_ad_with_a_reduced_price_is_posted_then_patched(
    tmp_path: Path, database_url: str, fresh: SandboxAdmin
) -> None:
    """The API refuses `reduced` on POST: syncd POSTs without it, then PATCHes the prices."""
    h = Harness(tmp_path, database_url, fresh)
    ad = goods(1)
    ad["price"] = [{"type": "list", "amount": 900}, {"type": "reduced", "amount": 700}]
    h.write([ad])
    report = h.run()
    assert report.outcome == "success", report.problems
    assert fresh.mutations() == [("POST", "sofa-1"), ("PATCH", "sofa-1")]
    prices = {p["type"]: p["amount"] for p in fresh.ads()[("D1", "sofa-1")]["price"]}
    assert prices == {"list": 900, "reduced": 700}
    fresh.clear_journal()
    assert h.run().counts["unchanged"] == 1
    assert fresh.mutations() == []
