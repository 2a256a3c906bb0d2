"""After a crash, a write whose answer was lost is not sent again when it arrived.

The "crash": the intents of a run's creates and updates are recorded, some of the
calls reach the sandbox (subprocess, real HTTP) through the real client, and none
of their answers is recorded, as a SIGKILL between send and answer leaves them.
The next run reads every intent back; a write that arrived is adopted from what
the API holds (nothing sent), one that did not is sent once: the writes are the
minimal ones, and the run after that sends nothing at all.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd import bootstrap
from syncd.core.models import Create, FeedItem, Payload, Stage, Update, WriteResult
from syncd.core.models import RemoteState as RS
from syncd.marketplaces.blocket import BlocketClient
from syncd.reading import load_feed
from syncd.sandbox.settings import SandboxSettings
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import InProcessSandbox, SandboxServer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIVE = 6  # synced first: the feed then changes the title of each
NEW = 6  # new in the changed feed


def changed(n: int) -> dict[str, object]:
    return {**goods(n), "title": f"Ny soffa {n}"}


def items_of(h: Harness) -> dict[str, FeedItem]:
    """The harness's feed as syncd validates it (the payloads a run would send)."""

    async def go() -> dict[str, FeedItem]:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            feed = await load_feed(container.jobs()[0], h.settings.api.version)
            return {item.source_id: item for item in feed.items}
        finally:
            await container.aclose()

    return asyncio.run(go())


def crash(h: Harness, arrived: set[str]) -> None:
    """Record the intents of every create and update the changed feed needs, send those
    in ``arrived`` to the sandbox, and record no answer."""
    items = items_of(h)
    actions: list[Create | Update] = []
    for sid, item in sorted(items.items()):
        if int(sid.removeprefix("sofa-")) < LIVE:
            changes = {"title": item.payload["title"]}
            actions.append(
                Update(
                    h.dealer_code, sid, item.category_id, changes, item.payload, item.payload_hash
                )
            )
        else:
            actions.append(
                Create(
                    h.dealer_code,
                    sid,
                    item.category_id,
                    body=item.payload,
                    payload=item.payload,
                    payload_hash=item.payload_hash,
                )
            )

    async def go() -> None:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            container.mirror.record_intents(actions, NOW)
            for action in actions:
                if action.source_id not in arrived:
                    continue
                if isinstance(action, Create):
                    await container.marketplace.create(h.dealer_code, action.source_id, action.body)
                else:
                    await container.marketplace.update(
                        h.dealer_code, action.source_id, action.changes, action.category_id
                    )
        finally:
            await container.aclose()

    asyncio.run(go())


@pytest.fixture
def harness(tmp_path: Path, database_url: str, http_sandbox: SandboxServer) -> Harness:
    http_sandbox.reset()
    return Harness(tmp_path, database_url, http_sandbox)


def test_a_crashed_runs_writes_that_arrived_are_not_sent_again(harness: Harness) -> None:
    h = harness
    h.write([goods(i) for i in range(LIVE)])
    assert h.run().outcome == "success"
    h.write([changed(i) for i in range(LIVE)] + [goods(100 + i) for i in range(NEW)])
    # Even ones arrived before the crash, odd ones did not.
    arrived = {f"sofa-{i}" for i in range(0, LIVE, 2)} | {
        f"sofa-{100 + i}" for i in range(0, NEW, 2)
    }
    crash(h, arrived)
    h.sandbox.clear_journal()

    report = h.run()

    assert report.outcome == "success", report.problems
    missing_updates = [("PATCH", f"sofa-{i}") for i in range(1, LIVE, 2)]
    missing_creates = [("POST", f"sofa-{100 + i}") for i in range(1, NEW, 2)]
    assert sorted(h.sandbox.mutations()) == sorted(missing_updates + missing_creates)
    items = items_of(h)
    rows = h.mirror()
    for sid, item in items.items():  # every ad live, holding the feed's payload
        assert rows[sid].remote_state is RS.CREATED, sid
        assert rows[sid].payload_hash == item.payload_hash, sid
        assert rows[sid].stage in (Stage.DONE, Stage.SENT), sid
    remote = {sid: ad for (d, sid), ad in h.sandbox.ads().items() if d == h.dealer_code}
    assert {sid for sid, ad in remote.items() if ad["state"] == "created"} == set(items)

    h.sandbox.clear_journal()
    assert h.run().outcome == "success"
    assert h.sandbox.mutations() == []


def test_a_crashed_create_the_api_holds_otherwise_is_patched_only_where_it_differs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create arrived, then the feed changed the price before the next run: that run
    PATCHes the price alone, not the whole ad (the client's calls are recorded)."""
    h = harness
    h.write([goods(100)])
    crash(h, {"sofa-100"})
    h.write([{**goods(100), "price": [{"type": "list", "amount": 4242}]}])
    h.sandbox.clear_journal()
    sent: list[tuple[str, dict[str, object]]] = []
    update = BlocketClient.update

    async def recorded(
        self: BlocketClient,
        dealer_code: str,
        source_id: str,
        changes: Payload,
        category_id: int | None = None,
    ) -> WriteResult:
        sent.append((source_id, dict(changes)))
        return await update(self, dealer_code, source_id, changes, category_id)

    monkeypatch.setattr(BlocketClient, "update", recorded)

    assert h.run().outcome == "success"

    assert h.sandbox.mutations() == [("PATCH", "sofa-100")]
    assert [(sid, sorted(changes)) for sid, changes in sent] == [("sofa-100", ["price"])]
    assert sent[0][1]["price"] == items_of(h)["sofa-100"].payload["price"]


@pytest.mark.parametrize("arrives", [False, True])
def test_a_crashed_update_that_clears_a_field_clears_it(harness: Harness, arrives: bool) -> None:
    """The feed drops a field (its video): the update's diff clears it (null). A crash
    loses its answer; whether or not it arrived, the next run leaves the API without
    the field (the mirror's old payload says the API held it; the feed's fields alone
    do not)."""
    h = harness
    h.write([{**goods(1), "video_url": "https://www.youtube.com/watch?v=sofa1"}])
    assert h.run().outcome == "success"
    assert h.sandbox.ads()[(h.dealer_code, "sofa-1")]["video_url"]
    h.write([goods(1)])
    item = items_of(h)["sofa-1"]
    changes = {"video_url": None}
    action = Update(
        h.dealer_code, "sofa-1", item.category_id, changes, item.payload, item.payload_hash
    )

    async def go() -> None:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            container.mirror.record_intents([action], NOW)
            if arrives:
                await container.marketplace.update(
                    h.dealer_code, "sofa-1", changes, item.category_id
                )
        finally:
            await container.aclose()

    asyncio.run(go())
    h.sandbox.clear_journal()

    assert h.run().outcome == "success"
    assert h.sandbox.mutations() == ([] if arrives else [("PATCH", "sofa-1")])
    h.sandbox.clear_journal()
    assert h.run().outcome == "success"
    assert h.sandbox.mutations() == []
    remote = h.sandbox.ads()[(h.dealer_code, "sofa-1")]
    assert remote.get("video_url") is None, remote


def test_a_crashed_update_that_arrived_and_is_processing_stays_in_flight(
    tmp_path: Path, database_url: str
) -> None:
    """The arrived update is still processing when the next run adopts it: the ad stays
    in flight (followed until its publish settles), not DONE from the logs of its
    earlier create (whose publish is done): an error of the update would go unseen."""
    # The seed's log: an action's entries appear once it has started (log_transitions).
    settings = SandboxSettings(processing_delay=600, log_transitions=True)
    sandbox = InProcessSandbox(settings=settings)
    h = Harness(tmp_path, database_url, sandbox)
    h.settings = h.settings.model_copy(
        update={"sync": h.settings.sync.model_copy(update={"reconcile_wait": 0.0})}
    )
    h.write([goods(1)])
    h.run()
    sandbox.admin("POST", "clock", json={"advance": 3600})
    h.run()
    assert h.mirror()["sofa-1"].stage is Stage.DONE
    h.write([changed(1)])
    item = items_of(h)["sofa-1"]
    changes = {"title": item.payload["title"]}
    action = Update(
        h.dealer_code, "sofa-1", item.category_id, changes, item.payload, item.payload_hash
    )

    async def go() -> None:
        container = bootstrap.build(h.settings, token=h.token, transport=sandbox.transport())
        try:
            container.mirror.record_intents([action], container.clock.now())
            await container.marketplace.update(h.dealer_code, "sofa-1", changes, item.category_id)
        finally:
            await container.aclose()

    asyncio.run(go())

    h.run()
    row = h.mirror()["sofa-1"]
    assert (row.stage, row.payload_hash) == (Stage.SENT, item.payload_hash)
    sandbox.admin("POST", "clock", json={"advance": 3600})
    h.run()
    assert h.mirror()["sofa-1"].stage is Stage.DONE
