"""The switches for the docs' other readings: list rows per request, request ids, transitions."""

from __future__ import annotations

from datetime import datetime

import pytest

from syncd.sandbox.cli import sandbox as sandbox_command
from syncd.sandbox.cli import settings_of

pytestmark = pytest.mark.anyio


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _post_patch_delete(sb) -> tuple[object, list[str]]:
    """POST, PATCH and DELETE sofa-1 five seconds apart; answer the client and request ids."""
    api = sb.client("D1")
    ids = [(await api.post("/v4/ad", json=sb.plain())).headers["X-Request-Id"]]
    sb.clock.advance(5)
    ids.append((await api.patch("/v4/ad/sofa-1", json={"title": "Ny"})).headers["X-Request-Id"])
    sb.clock.advance(5)
    ids.append((await api.delete("/v4/ad/sofa-1")).headers["X-Request-Id"])
    sb.settle()
    return api, ids


async def test_list_entry_per_request_lists_one_row_per_call(make_sandbox) -> None:
    """With list_entry_per_request each call is a row of its own, with only its own log."""
    sb = make_sandbox(list_entry_per_request=True)
    start = sb.clock()
    api, ids = await _post_patch_delete(sb)
    page = (await api.get("/v4/ad?include=log")).json()
    assert page["count"] == 3
    rows = page["results"]
    assert [r["source_id"] for r in rows] == ["sofa-1"] * 3
    assert len({r["id"] for r in rows}) == 1
    assert [{e["request_id"] for e in r["log"]} for r in rows] == [{i} for i in ids]
    assert [sorted(e["action"] for e in r["log"]) for r in rows] == [
        ["create", "publish"],
        ["publish", "update"],
        ["delete", "unpublish"],
    ]
    assert [(_time(r["updated"]) - start).total_seconds() for r in rows] == [0, 5, 10]
    assert all(r["state"] == "deleted" and r["title"] == "Ny" for r in rows)


async def test_list_entry_per_request_filters_and_pages_rows(make_sandbox) -> None:
    """count, limit/offset, updated filters and ordering work on rows; GET one stays one."""
    sb = make_sandbox(list_entry_per_request=True)
    start = sb.clock()
    api, ids = await _post_patch_delete(sb)
    first = (await api.get("/v4/ad?limit=2")).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    assert first["next"] is not None
    rest = (await api.get(first["next"])).json()
    assert len(rest["results"]) == 1
    later = (await api.get("/v4/ad", params={"updated__gt": str(start)})).json()
    assert later["count"] == 2
    newest = (await api.get("/v4/ad?ordering=-updated&limit=1&include=log")).json()
    assert {e["request_id"] for e in newest["results"][0]["log"]} == {ids[2]}
    one = (await api.get("/v4/ad/sofa-1")).json()
    assert isinstance(one, dict)
    assert {e["request_id"] for e in one["log"]} == set(ids)


async def test_one_row_per_ad_by_default(sb) -> None:
    """Without the switch, an ad with three calls is one row with all their entries."""
    api, ids = await _post_patch_delete(sb)
    page = (await api.get("/v4/ad?include=log")).json()
    assert page["count"] == 1
    assert {e["request_id"] for e in page["results"][0]["log"]} == set(ids)


async def test_request_ids_off_hides_header_and_log_ids(make_sandbox) -> None:
    """With request_ids off, answers carry no X-Request-Id and every entry's request_id is null."""
    sb = make_sandbox(request_ids=False)
    api = sb.client("D1")
    posted = await api.post("/v4/ad", json=sb.plain())
    assert posted.status_code == 201
    assert "X-Request-Id" not in posted.headers
    refused = await api.post("/v4/ad", json=sb.plain())
    assert refused.status_code == 409
    assert "X-Request-Id" not in refused.headers
    sb.settle()
    patched = await api.patch("/v4/ad/sofa-1", json={"title": "Ny"})
    assert "X-Request-Id" not in patched.headers
    sb.settle()
    one = (await api.get("/v4/ad/sofa-1")).json()
    listed = (await api.get("/v4/ad?include=log")).json()["results"][0]
    log = (await api.get("/v4/ad/sofa-1/log")).json()["results"]
    for entries in (one["log"], listed["log"], log):
        assert len(entries) == 4
        assert all(e["request_id"] is None for e in entries)
    admin = (await sb.admin().get("/_sandbox/ads")).json()["results"][0]
    assert all(e["request_id"] for e in admin["log"])


async def test_log_transitions_log_each_transition_when_it_happens(make_sandbox) -> None:
    """With log_transitions an action appears once started, and settling adds a second entry."""
    sb = make_sandbox(log_transitions=True)
    sb.clock.advance(0.7)  # not on a whole second: the log rounds down
    api = sb.client("D1")
    urls = ["https://cdn.example/ok.jpg", "https://broken.example/x.jpg"]
    rid = (await api.post("/v4/ad", json=sb.plain(image_urls=urls))).headers["X-Request-Id"]

    async def log() -> list[tuple[str, str, int]]:
        entries = (await api.get("/v4/ad/sofa-1")).json()["log"]
        assert all(e["request_id"] == rid for e in entries)
        assert all(_time(e["created"]).microsecond == 0 for e in entries)
        ordered = entries[::-1]  # the API lists newest first, entries of one second too
        assert [e["created"] for e in ordered] == sorted(e["created"] for e in ordered)
        return [(e["action"], e["state"], _time(e["created"]).second) for e in ordered]

    assert await log() == [("create", "processing", 0)]
    sb.clock.advance(1)
    assert await log() == [
        ("create", "processing", 0),
        ("create", "done", 1),
        ("handle_media", "processing", 1),
    ]
    sb.settle()
    assert await log() == [
        ("create", "processing", 0),
        ("create", "done", 1),
        ("handle_media", "processing", 1),
        ("handle_media", "error", 2),
        ("publish", "processing", 2),
        ("publish", "done", 3),
    ]
    errors = (await api.get("/v4/ad/sofa-1/log?state=error")).json()["results"]
    assert [e["action"] for e in errors] == ["handle_media"]
    assert urls[1] in errors[0]["external_message"]


async def test_log_transitions_wait_for_the_calls_before(make_sandbox) -> None:
    """A call queued behind another shows nothing until its first action starts."""
    sb = make_sandbox(log_transitions=True)
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    rid = (await api.patch("/v4/ad/sofa-1", json={"title": "Ny"})).headers["X-Request-Id"]
    mine = [e for e in (await api.get("/v4/ad/sofa-1")).json()["log"] if e["request_id"] == rid]
    assert mine == []
    sb.clock.advance(2)
    log = (await api.get("/v4/ad?include=log")).json()["results"][0]["log"]
    mine = [(e["action"], e["state"]) for e in log if e["request_id"] == rid]
    assert mine == [("update", "processing")]


async def test_all_switches_together(make_sandbox) -> None:
    """All three switches on: rows per call, transition entries, no request ids."""
    sb = make_sandbox(list_entry_per_request=True, request_ids=False, log_transitions=True)
    api = sb.client("D1")
    assert "X-Request-Id" not in (await api.post("/v4/ad", json=sb.plain())).headers
    sb.settle()
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    rows = (await api.get("/v4/ad?include=log")).json()["results"]
    actions = [sorted({e["action"] for e in r["log"]}) for r in rows]
    assert actions == [["create", "publish"], ["delete", "unpublish"]]
    assert [len(r["log"]) for r in rows] == [4, 4]  # processing, then done, per action
    assert all(e["request_id"] is None for r in rows for e in r["log"])


def test_cli_flags_set_the_switches() -> None:
    """`syncd sandbox` flags turn each switch on (or request ids off); defaults keep today's."""
    default = settings_of(sandbox_command.make_context("sandbox", []).params)
    assert (default.list_entry_per_request, default.request_ids, default.log_transitions) == (
        False,
        True,
        False,
    )
    flags = ["--list-entry-per-request", "--no-request-ids", "--log-transitions"]
    on = settings_of(sandbox_command.make_context("sandbox", flags).params)
    assert (on.list_entry_per_request, on.request_ids, on.log_transitions) == (True, False, True)
