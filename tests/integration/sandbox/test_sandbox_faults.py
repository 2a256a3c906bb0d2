"""Faults on demand: latency, 5xx, 429, drops, timeouts, stuck and failing actions, set
mid-run."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from syncd.sandbox.cli import sandbox as sandbox_command
from syncd.sandbox.cli import settings_of
from syncd.sandbox.settings import Faults

pytestmark = pytest.mark.anyio


async def _set(sb, **faults) -> dict:
    response = await sb.admin().put("/_sandbox/faults", json=faults)
    assert response.status_code == 200, response.text
    return response.json()


async def test_faults_admin_endpoint_get_put_patch_delete(make_sandbox) -> None:
    """PUT replaces the faults, PATCH changes some keys, DELETE restores the start faults."""
    sb = make_sandbox(faults=Faults(latency=0.001))
    admin = sb.admin()
    assert (await admin.get("/_sandbox/faults")).json()["latency"] == 0.001
    put = await _set(sb, error_rate=0.5)
    assert put["latency"] == 0.0
    assert put["error_rate"] == 0.5
    patched = (await admin.patch("/_sandbox/faults", json={"seed": 7})).json()
    assert (patched["error_rate"], patched["seed"]) == (0.5, 7)
    restored = (await admin.delete("/_sandbox/faults")).json()
    assert (restored["latency"], restored["error_rate"]) == (0.001, 0.0)
    bad = await admin.put("/_sandbox/faults", json={"error_rate": 2, "nonsense": 1})
    assert bad.status_code == 400
    assert set(bad.json()) == {"error_rate", "nonsense"}


async def test_latency_is_added_to_api_answers_only(sb) -> None:
    """latency delays API answers, not admin ones."""
    await _set(sb, latency=0.2)
    started = time.perf_counter()
    await sb.client("D1").get("/v4/ad")
    assert time.perf_counter() - started >= 0.2
    # An admin answer must come sooner than the latency: a latency far longer than any
    # load could stretch an admin call tells "not delayed" from "delayed" on any machine.
    await _set(sb, latency=60.0)
    started = time.perf_counter()
    await sb.admin().get("/_sandbox/health")
    assert time.perf_counter() - started < 60.0


async def test_error_rate_answers_5xx_reproducibly(sb) -> None:
    """error_rate=0.5 with a seed gives the same 5xx sequence each time it is set."""
    api = sb.client("D1")

    async def run() -> list[int]:
        await _set(sb, error_rate=0.5, seed=42)
        return [(await api.get("/v4/ad")).status_code for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert {500, 502, 503} & set(first)
    assert 200 in first
    assert set(first) <= {200, 500, 502, 503}


async def test_error_bodies_and_statuses(sb) -> None:
    """500 is JSON; 502/503/504 look like a gateway's HTML page; the request is not applied."""
    api = sb.client("D1")
    await _set(sb, script=["500", "503"])
    first = await api.post("/v4/ad", json=sb.plain())
    assert first.status_code == 500
    assert "detail" in first.json()
    second = await api.post("/v4/ad", json=sb.plain())
    assert second.status_code == 503
    assert second.headers["content-type"].startswith("text/html")
    assert (await api.get("/v4/ad")).json()["count"] == 0


async def test_late_errors_apply_the_request_before_failing(sb) -> None:
    """With late=true the write happens, then the client gets the 5xx."""
    api = sb.client("D1")
    await _set(sb, script=["502"], late=True)
    assert (await api.post("/v4/ad", json=sb.plain())).status_code == 502
    assert (await api.post("/v4/ad", json=sb.plain())).status_code == 409


async def test_rate_limit_answers_429_with_retry_after(sb) -> None:
    """Above rate_limit requests per second: 429 with Retry-After, until time moves on."""
    api = sb.client("D1")
    await _set(sb, rate_limit=2)
    statuses = [(await api.get("/v4/ad")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = await api.get("/v4/ad")
    assert limited.headers["Retry-After"] == "1"
    assert "throttled" in limited.json()["detail"]
    sb.clock.advance(1)
    assert (await api.get("/v4/ad")).status_code == 200
    await _set(sb, rate_limit=1, retry_after=7)
    await api.get("/v4/ad")
    assert (await api.get("/v4/ad")).headers["Retry-After"] == "7"


async def test_dropped_connection_is_a_transport_error_in_process(sb) -> None:
    """A drop raises an httpx transport error through the ASGI transport; nothing applied."""
    api = sb.client("D1")
    await _set(sb, script=["drop"])
    with pytest.raises(httpx.TransportError):
        await api.post("/v4/ad", json=sb.plain())
    assert (await api.get("/v4/ad")).json()["count"] == 0
    await _set(sb, drop_rate=1.0, late=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/v4/ad", json=sb.plain())
    await _set(sb)
    assert (await api.get("/v4/ad")).json()["count"] == 1


async def test_timeout_answers_only_after_the_stall(sb) -> None:
    """A timeout stalls the answer for timeout_seconds; a client with a deadline gives up."""
    api = sb.client("D1")
    await _set(sb, timeout_rate=1.0, timeout_seconds=0.3)
    started = time.perf_counter()
    assert (await api.get("/v4/ad")).status_code == 200
    assert time.perf_counter() - started >= 0.3
    with pytest.raises(TimeoutError), anyio.fail_after(0.1):
        await api.get("/v4/ad")


async def test_methods_limit_random_and_scripted_faults(sb) -> None:
    """methods=["POST"] leaves GETs alone and fails only the POSTs."""
    api = sb.client("D1")
    await _set(sb, error_rate=1.0, methods=["POST"])
    assert (await api.get("/v4/ad")).status_code == 200
    assert (await api.post("/v4/ad", json=sb.plain())).status_code in (500, 502, 503)


async def test_stuck_actions_stay_processing_until_released(sb) -> None:
    """stuck_actions keeps publish processing (and what follows) until the fault is lifted."""
    api = sb.client("D1")
    await _set(sb, stuck_actions=["publish"], stuck_source_ids=["sofa-1"])
    await api.post("/v4/ad", json=sb.plain())
    await api.post("/v4/ad", json=sb.plain("other"))
    await api.delete("/v4/ad/sofa-1")
    sb.settle(3600)
    ad = (await api.get("/v4/ad/sofa-1")).json()
    states = {e["action"]: e["state"] for e in ad["log"]}
    assert states == {"create": "done", "publish": "processing", "unpublish": "processing",
                      "delete": "processing"}  # fmt: skip
    assert ad["state"] == "created"
    other = (await api.get("/v4/ad/other")).json()
    assert {e["state"] for e in other["log"]} == {"done"}
    await _set(sb)
    assert (await api.get("/v4/ad/sofa-1")).json()["state"] == "deleted"


async def test_broken_image_patterns_can_change_mid_run(sb) -> None:
    """A test marks a host broken through the faults; handle_media then errs for it."""
    api = sb.client("D1")
    await _set(sb, broken_image_hosts=["cdn.example"], broken_image_paths=[])
    rid = (await api.post("/v4/ad", json=sb.car())).headers["X-Request-Id"]
    sb.settle()
    log = (await api.get(f"/v4/ad/car-1/log?request_id={rid}&action=handle_media")).json()
    assert log["results"][0]["state"] == "error"
    assert "https://cdn.example/car/1.jpg" in log["results"][0]["external_message"]


async def test_faults_are_journaled(sb) -> None:
    """Each faulted request appears in the journal with its fault kind and status."""
    api = sb.client("D1")
    await _set(sb, script=["503", "429", "ok", "drop"])
    await api.get("/v4/ad")
    await api.get("/v4/ad")
    await api.get("/v4/ad")
    with pytest.raises(httpx.TransportError):
        await api.get("/v4/ad")
    journal = (await sb.admin().get("/_sandbox/journal")).json()["results"]
    assert [(e["status"], e["fault"]) for e in journal] == [
        (503, "error"), (429, "rate_limited"), (200, None), (None, "drop")
    ]  # fmt: skip


async def test_a_failing_update_ends_in_error_and_leaves_the_ad_as_it_was(sb) -> None:
    """failing_actions=update: the PATCH is accepted (200), its update action ends in error,
    nothing more of that call runs (no publish), and the ad holds its content from before."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    before = (await api.get("/v4/ad/sofa-1")).json()
    await _set(sb, failing_actions=["update"], failing_source_ids=["sofa-1"])
    answer = await api.patch("/v4/ad/sofa-1", json={"title": "Ny titel"})
    assert answer.status_code == 200
    assert answer.json()["title"] == "Ny titel"  # the answer shows the merge, as for any PATCH
    rid = answer.headers["X-Request-Id"]
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    mine = [e for e in ad["log"] if e["request_id"] == rid]
    assert [(e["action"], e["state"]) for e in mine] == [("update", "error")]
    assert "not applied" in mine[0]["external_message"]
    assert ad["title"] == before["title"]
    assert ad["state"] == "created"


async def test_failing_create_delete_and_unpublish_end_their_calls(sb) -> None:
    """create and delete (and unpublish) made to fail end in error and stop their call; the
    other ads are untouched, and lifting the fault lets the next call through."""
    api = sb.client("D1")
    await _set(sb, failing_actions=["create", "delete"], failing_source_ids=["sofa-1"])
    await api.post("/v4/ad", json=sb.plain())
    await api.post("/v4/ad", json=sb.plain("other"))
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert [(e["action"], e["state"]) for e in ad["log"]] == [("create", "error")]
    assert ad["blocket_ad_id"] is None
    other = (await api.get("/v4/ad/other")).json()
    assert {e["state"] for e in other["log"]} == {"done"}
    rid = (await api.delete("/v4/ad/sofa-1")).headers["X-Request-Id"]
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert ad["state"] == "created"
    mine = {e["action"]: e["state"] for e in ad["log"] if e["request_id"] == rid}
    assert mine == {"unpublish": "done", "delete": "error"}
    await _set(sb, failing_actions=["unpublish"])
    rid = (await api.delete("/v4/ad/other")).headers["X-Request-Id"]
    sb.settle()
    other = (await api.get("/v4/ad/other")).json()
    mine = {e["action"]: e["state"] for e in other["log"] if e["request_id"] == rid}
    assert mine == {"unpublish": "error"}  # the delete after it never runs
    assert other["state"] == "created"
    await _set(sb)
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    assert (await api.get("/v4/ad/sofa-1")).json()["state"] == "deleted"


def test_the_fault_fail_flag_sets_the_failing_actions() -> None:
    """`syncd sandbox --fault-fail update --fault-fail delete` starts with those failing."""
    flags = ["--fault-fail", "update", "--fault-fail", "delete"]
    settings = settings_of(sandbox_command.make_context("sandbox", flags).params)
    assert settings.faults.failing_actions == {"update", "delete"}
    assert settings_of(sandbox_command.make_context("sandbox", []).params).faults == Faults()
