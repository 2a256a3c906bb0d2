"""The executor: intent before send, and what it does with each kind of answer."""

from __future__ import annotations

import asyncio

import pytest

from syncd.core.models import (
    Create,
    Delete,
    Origin,
    Payload,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
    Update,
    WriteResult,
)
from syncd.errors import ApiUnavailable
from syncd.execute import Executor
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

BODY = {"category_id": 2048, "title": "T", "price": [{"type": "list", "amount": 5}]}


def _create(**kw: object) -> Create:
    args: dict[str, object] = {
        "dealer_code": "D",
        "source_id": "s1",
        "category_id": 2048,
        "body": BODY,
        "payload": BODY,
        "payload_hash": "h1",
    }
    args.update(kw)
    return Create(**args)  # type: ignore[arg-type]


async def _apply(mirror: FakeMirror, api: FakeMarketplace, *actions: object) -> dict[str, int]:
    results = await Executor(mirror, api, FixedClock()).apply(actions)  # type: ignore[arg-type]
    return results.counts


@pytest.mark.anyio
async def test_an_accepted_create_is_recorded_as_sent_with_its_payload() -> None:
    """A 201 leaves the row SENT, created, with the payload and the request id."""
    mirror, api = FakeMirror(), FakeMarketplace()
    assert await _apply(mirror, api, _create()) == {"sent": 1, "rejected": 0}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state, row.payload_hash, row.request_id) == (
        Stage.SENT,
        RemoteState.CREATED,
        "h1",
        "r1",
    )


@pytest.mark.anyio
async def test_a_create_owing_a_follow_up_records_only_what_was_posted() -> None:
    """With a reduced price split off, only the POST is sent; the PATCH is owed for later."""
    mirror, api = FakeMirror(), FakeMarketplace()
    followup = {"price": [{"type": "list", "amount": 9}, {"type": "reduced", "amount": 5}]}
    results = await Executor(mirror, api, FixedClock()).apply([_create(followup=followup)])
    assert [m for m, _, _ in api.calls] == ["POST"]
    assert results.followups == {"s1"}
    row = mirror.get("D", "s1")
    assert row is not None
    assert row.payload == BODY
    assert row.payload_hash != "h1"


@pytest.mark.anyio
async def test_409_on_patch_is_deferred_to_the_next_run() -> None:
    """PATCH answered 409 ("not created yet") drops the intent so the change is planned again."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(409, ("Ad has not been created yet",)))
    update = Update("D", "s1", 2048, {"title": "x"}, {**BODY, "title": "x"}, "h2")
    assert await _apply(mirror, api, update) == {"sent": 0, "rejected": 0, "deferred": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.payload_hash, row.remote_state) == (None, "h1", RemoteState.CREATED)


@pytest.mark.anyio
async def test_a_deferred_delete_of_an_adopted_ad_keeps_it_known_as_live() -> None:
    """A 409 on DELETE of an ad with no recorded payload still marks it created, so the
    delete is planned again instead of the ad being forgotten while live."""
    mirror, api = FakeMirror(), FakeMarketplace()
    mirror.record_intent(_create(), FixedClock().now())
    mirror.forget_intent("D", "s1", RemoteAd("s1", RemoteState.CREATED), FixedClock().now())
    api.answer("DELETE", "s1", Rejected(409, ("not created yet",)))
    assert await _apply(mirror, api, Delete("D", "s1")) == {"sent": 0, "rejected": 0, "deferred": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.payload, row.remote_state, row.stage) == (None, RemoteState.CREATED, None)


@pytest.mark.anyio
async def test_409_on_post_looks_the_ad_up_then_patches_it_whole() -> None:
    """POST answered 409 means the ad exists: it is read back and, with no content to
    compare with, PATCHed whole."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", Rejected(409, ("exists",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.CREATED, blocket_ad_id="7")
    counts = await _apply(mirror, api, _create())
    assert [m for m, _, _ in api.calls] == ["POST", "GET", "PATCH"]
    assert api.calls[2][2] == BODY
    assert counts == {"sent": 1, "rejected": 0, "adopted": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.blocket_ad_id) == (Stage.SENT, "7")


@pytest.mark.anyio
async def test_409_on_post_of_an_ad_holding_the_same_content_sends_nothing_more() -> None:
    """The ad read back after a 409 equals the feed's (canonically): no PATCH, adopted."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", Rejected(409, ("exists",)))
    same = {**BODY, "price": [{"amount": 5.0, "type": "list"}], "visible": True}
    api.remote["s1"] = RemoteAd("s1", RemoteState.CREATED, content=same)
    results = await Executor(mirror, api, FixedClock()).apply([_create()])
    assert [m for m, _, _ in api.calls] == ["POST", "GET"]
    assert results.counts == {"sent": 0, "rejected": 0, "adopted": 1}
    assert results.moved == {"create": -1, "unchanged": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.payload_hash, row.remote_state) == ("h1", RemoteState.CREATED)


@pytest.mark.anyio
async def test_409_on_post_of_an_ad_that_differs_patches_only_the_difference() -> None:
    """Only the fields the API holds differently are PATCHed after a 409."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", Rejected(409, ("exists",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.CREATED, content={**BODY, "title": "Old"})
    results = await Executor(mirror, api, FixedClock()).apply([_create()])
    assert [(m, body) for m, _, body in api.calls][1:] == [("GET", None), ("PATCH", {"title": "T"})]
    assert results.moved == {"create": -1, "update": 1}


@pytest.mark.anyio
async def test_an_unexpected_error_on_one_item_is_its_failure_not_the_runs() -> None:
    """A call that raises something unexpected is recorded for its item; the others go on."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "bad", ValueError("'..' cannot be sent as a URL path segment"))
    results = await Executor(mirror, api, FixedClock()).apply(
        [_create(source_id="bad"), _create(source_id="good")]
    )
    assert (results.counts["sent"], results.counts["failed"]) == (1, 1)
    assert results.problems[0][0] == "bad"
    assert "URL path segment" in results.problems[0][1]


@pytest.mark.anyio
async def test_409_on_post_of_an_ad_the_api_will_not_show_is_a_clear_rejection() -> None:
    """409 but nothing to read back: the source_id is burnt; the dealer is told what to do."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", Rejected(409, ("exists",)))
    counts = await _apply(mirror, api, _create(revive=True))
    assert counts == {"sent": 0, "rejected": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert row.stage is Stage.REJECTED
    assert row.message is not None
    assert "new source_id" in row.message


@pytest.mark.anyio
async def test_404_on_delete_means_already_gone() -> None:
    """DELETE answered 404 is what was wanted: the ad is recorded deleted and done."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("DELETE", "s1", Rejected(404, ("Not found.",)))
    await _apply(mirror, api, Delete("D", "s1"))
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.DELETED)


@pytest.mark.anyio
async def test_400_is_recorded_with_its_message_and_payload_kept() -> None:
    """A rejected PATCH keeps the last accepted payload and records why."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(400, ("title: too long",)))
    update = Update("D", "s1", 2048, {"title": "x"}, {**BODY, "title": "x"}, "h2")
    assert await _apply(mirror, api, update) == {"sent": 0, "rejected": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.payload_hash, row.pending_hash, row.message) == (
        Stage.REJECTED,
        "h1",
        "h2",
        "title: too long",
    )


@pytest.mark.anyio
async def test_a_patch_refused_because_the_ad_was_deleted_elsewhere_records_it_deleted() -> None:
    """A PATCH refused (400) for an ad deleted behind syncd's back (another client's
    DELETE) is read back: the row learns the ad is deleted, so the next run revives it
    (a registered vehicle is POSTed again) instead of keeping it 'rejected' for good."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(400, ("Ad has been deleted, cannot update",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.DELETED, remote_id="u1")
    update = Update("D", "s1", 2048, {"title": "x"}, {**BODY, "title": "x"}, "h2")
    assert await _apply(mirror, api, update) == {"sent": 0, "rejected": 1}
    assert [m for m, _, _ in api.calls] == ["POST", "PATCH", "GET"]
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state, row.payload_hash) == (
        Stage.ERROR,
        RemoteState.DELETED,
        "h1",
    )
    assert row.message is not None
    assert "deleted" in row.message
    assert "Ad has been deleted, cannot update" in row.message


@pytest.mark.anyio
async def test_a_delete_refused_for_an_ad_already_deleted_elsewhere_is_done() -> None:
    """A DELETE refused (400) for an ad another client deleted reads it back: deleted is
    what was wanted, so the row is DONE and deleted, not DELETEd again at every run."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("DELETE", "s1", Rejected(400, ("Ad has been deleted",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.DELETED)
    assert await _apply(mirror, api, Delete("D", "s1")) == {"sent": 0, "rejected": 0}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state) == (Stage.DONE, RemoteState.DELETED)
    assert row.message == "already deleted (Ad has been deleted)"


@pytest.mark.anyio
async def test_a_delete_refused_for_a_live_ad_stays_a_rejection() -> None:
    """A 400 on DELETE whose ad reads back live is recorded as the refusal it is."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("DELETE", "s1", Rejected(400, ("Ad is on pole position",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.CREATED)
    assert await _apply(mirror, api, Delete("D", "s1")) == {"sent": 0, "rejected": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert row.stage is Stage.REJECTED


@pytest.mark.anyio
async def test_a_patch_refused_for_a_live_ad_stays_a_rejection() -> None:
    """A 400 on PATCH whose ad reads back live is the payload's refusal, recorded as before."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(400, ("title: too long",)))
    api.remote["s1"] = RemoteAd("s1", RemoteState.CREATED)
    update = Update("D", "s1", 2048, {"title": "x"}, {**BODY, "title": "x"}, "h2")
    assert await _apply(mirror, api, update) == {"sent": 0, "rejected": 1}
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state, row.pending_hash) == (
        Stage.REJECTED,
        RemoteState.CREATED,
        "h2",
    )


@pytest.mark.anyio
async def test_an_unavailable_api_stops_the_run_and_leaves_the_intent() -> None:
    """When the API is down the error stops the run; the row stays INTENT for the next one."""
    mirror, api = FakeMirror(), FakeMarketplace()
    api.answer("POST", "s1", ApiUnavailable("down"))
    with pytest.raises(ApiUnavailable):
        await _apply(mirror, api, _create())
    row = mirror.get("D", "s1")
    assert row is not None
    assert row.stage is Stage.INTENT


@pytest.mark.anyio
async def test_404_on_patch_forgets_the_remote_ad_for_the_next_plan() -> None:
    """PATCH answered 404: nothing is POSTed now; the row forgets the remote ad and says why."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(404, ("Not found.",)))
    new = {**BODY, "title": "x"}
    counts = await _apply(mirror, api, Update("D", "s1", 2048, {"title": "x"}, new, "h2"))
    assert counts == {"sent": 0, "rejected": 1}
    assert [m for m, _, _ in api.calls] == ["POST", "PATCH"]
    row = mirror.get("D", "s1")
    assert row is not None
    assert (row.stage, row.remote_state) == (Stage.ERROR, None)
    assert row.message is not None
    assert "HTTP 404" in row.message


@pytest.mark.anyio
async def test_intents_are_written_a_batch_at_a_time_and_answers_together() -> None:
    """Ten creates, four in flight: three writes of intents (4, 4, 2) and one of answers."""
    mirror, api = FakeMirror(), FakeMarketplace()
    actions = [_create(source_id=f"s{n}", payload_hash=f"h{n}") for n in range(10)]
    results = await Executor(mirror, api, FixedClock(), max_in_flight=4).apply(actions)
    assert results.counts["sent"] == 10
    assert mirror.batches == [("intents", 4), ("intents", 4), ("intents", 2), ("answers", 10)]
    assert {ad.stage for ad in mirror.ads.values()} == {Stage.SENT}


class _WaitsForTheFirstAnswer(FakeMarketplace):
    """Answers s1 only once the mirror holds s0's answer (recorded while the round runs)."""

    def __init__(self, mirror: FakeMirror) -> None:
        super().__init__()
        self.mirror = mirror

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        if source_id == "s1":
            async with asyncio.timeout(60):
                while (row := self.mirror.get("D", "s0")) is None or row.stage is not Stage.SENT:
                    await asyncio.sleep(0.01)
        return await super().create(dealer_code, source_id, body)


@pytest.mark.anyio
async def test_an_answer_is_recorded_soon_even_while_other_calls_are_under_way() -> None:
    """A lone answer does not wait for the round to end: a timer records it."""
    mirror = FakeMirror()
    api = _WaitsForTheFirstAnswer(mirror)
    actions = [_create(source_id=f"s{n}", payload_hash=f"h{n}") for n in range(2)]
    results = await Executor(mirror, api, FixedClock(), max_in_flight=1).apply(actions)
    assert results.counts["sent"] == 2
    assert mirror.batches == [("intents", 1), ("intents", 1), ("answers", 1), ("answers", 1)]


@pytest.mark.anyio
async def test_a_patch_on_a_missing_typed_path_names_the_item_s_record() -> None:
    """An update answered "no typed path for this vehicle type" is an invalid item whose
    problem carries the update's origin (the feed line), not None."""
    mirror, api = FakeMirror(), FakeMarketplace()
    await _apply(mirror, api, _create())
    api.answer("PATCH", "s1", Rejected(404, ("no typed path",), missing_vehicle_type="boat"))
    new = {**BODY, "title": "x"}
    update = Update("D", "s1", 2048, {"title": "x"}, new, "h2", origin=Origin("f.jsonl", line=7))
    results = await Executor(mirror, api, FixedClock()).apply([update])
    assert [(p.source_id, p.record) for p in results.invalid] == [("s1", "f.jsonl:7")]
