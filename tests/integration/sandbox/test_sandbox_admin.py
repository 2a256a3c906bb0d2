"""The admin endpoints: journal, ads dump, reset, token, clock, health; and persistence."""

from __future__ import annotations

import httpx
import pytest

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.embedded import embedded_transport
from syncd.sandbox.settings import SandboxSettings

pytestmark = pytest.mark.anyio


async def test_journal_records_every_api_request_and_can_be_cleared(sb) -> None:
    """The journal lists method, path, query, status, time, dealer, source_id; DELETE clears."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.get("/v4/ad/sofa-1/log?limit=5")
    await sb.anonymous().get("/v4/ad")
    admin = sb.admin()
    await admin.get("/_sandbox/ads")
    journal = (await admin.get("/_sandbox/journal")).json()
    assert journal["count"] == 3
    post, log, anonymous = journal["results"]
    assert (post["method"], post["path"], post["status"]) == ("POST", "/pro-import-api/v4/ad", 201)
    assert (post["dealer"], post["source_id"]) == ("D1", "sofa-1")
    assert post["time"] == "2026-01-01T12:00:00.000000Z"
    assert post["request_id"]
    assert (log["query"], log["source_id"]) == ("limit=5", "sofa-1")
    assert (anonymous["status"], anonymous["dealer"]) == (401, None)
    only_posts = (await admin.get("/_sandbox/journal?method=post")).json()
    assert only_posts["count"] == 1
    assert (await admin.delete("/_sandbox/journal")).status_code == 204
    assert (await admin.get("/_sandbox/journal")).json()["count"] == 0


async def test_ads_dump_shows_every_dealer_and_the_whole_log(sb) -> None:
    """GET /_sandbox/ads lists all dealers' ads with every log entry."""
    await sb.client("D1").post("/v4/ad", json=sb.plain())
    await sb.client("D2").post("/v4/ad", json=sb.car())
    dump = (await sb.admin().get("/_sandbox/ads")).json()
    assert dump["count"] == 2
    assert {(a["dealer_code"], a["source_id"]) for a in dump["results"]} == {
        ("D1", "sofa-1"), ("D2", "car-1")
    }  # fmt: skip
    assert all("log" in a for a in dump["results"])


async def test_reset_forgets_ads_journal_and_faults(sb) -> None:
    """POST /_sandbox/reset empties the store and journal and restores the start faults."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    admin = sb.admin()
    await admin.put("/_sandbox/faults", json={"latency": 0.5})
    assert (await admin.post("/_sandbox/reset")).status_code == 204
    assert (await admin.get("/_sandbox/faults")).json()["latency"] == 0
    assert (await admin.get("/_sandbox/ads")).json()["count"] == 0
    assert (await admin.get("/_sandbox/journal")).json()["count"] == 0
    assert (await api.post("/v4/ad", json=sb.plain())).status_code == 201


async def test_token_clock_and_health(sb) -> None:
    """Tokens minted by /_sandbox/token work; /_sandbox/clock moves processing forward."""
    admin = sb.admin()
    token = (await admin.post("/_sandbox/token", json={"dealer_codes": ["D7"]})).json()["token"]
    api = sb.anonymous()
    api.headers["X-Auth-Token"] = token
    await api.post("/v4/ad", json=sb.plain())
    moved = (await admin.post("/_sandbox/clock", json={"advance": 30})).json()
    assert moved["offset"] == 30
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert ad["dealer_code"] == "D7"
    assert {e["state"] for e in ad["log"]} == {"done"}
    assert (await admin.post("/_sandbox/clock", json={"advance": -1})).status_code == 400
    assert (await admin.post("/_sandbox/token", json={})).status_code == 400
    health = (await admin.get("/_sandbox/health")).json()
    assert health["status"] == "ok"
    assert (await admin.get("/_sandbox/nothing")).status_code == 404
    assert (await admin.post("/_sandbox/ads")).status_code == 405


async def test_state_file_survives_an_app_restart(tmp_path, clock) -> None:
    """With a state path, ads, logs and pending actions are there after a restart."""
    settings = SandboxSettings(state_path=tmp_path / "state" / "sandbox.db", processing_delay=1)
    headers = {"X-Auth-Token": mint_token("D1")}
    body = {
        "source_id": "s1", "category_id": 2048, "title": "t", "body": "b",
        "price": [{"type": "list", "amount": 1}],
        "contact": {"name": "A", "phone": "0701234567", "email": "a@example.com"},
    }  # fmt: skip

    def client() -> httpx.AsyncClient:
        app = create_app(settings, clock=clock)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sb", headers=headers
        )

    async with client() as first:
        await first.post("/v4/ad", json=body)
        clock.advance(10)
        first_ad = (await first.get("/v4/ad/s1")).json()
        await first.post("/v4/ad", json={**body, "source_id": "s2"})
    async with client() as second:
        again = (await second.get("/v4/ad/s1")).json()
        assert again["id"] == first_ad["id"]
        assert again["blocket_ad_id"] == first_ad["blocket_ad_id"]
        assert again["log"] == first_ad["log"]
        pending = (await second.get("/v4/ad/s2")).json()
        assert {e["state"] for e in pending["log"]} == {"processing"}
        clock.advance(10)
        settled = (await second.get("/v4/ad/s2")).json()
        assert {e["state"] for e in settled["log"]} == {"done"}
        assert settled["blocket_ad_id"] == first_ad["blocket_ad_id"] + 1
        assert (await second.post("/v4/ad", json=body)).status_code == 409


async def test_embedded_transport_serves_a_sandbox_in_process(tmp_path) -> None:
    """embedded_transport (used by syncd --demo) gives a working transport and token."""
    transport, token = embedded_transport(tmp_path / "demo.db", ["DEMO"], processing_delay=0)
    headers = {"X-Auth-Token": token.get_secret_value()}
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as api:
        body = {
            "source_id": "x", "category_id": 2048, "title": "t", "body": "b",
            "price": [{"type": "list", "amount": 1}],
            "contact": {"name": "A", "phone": "0701234567", "email": "a@example.com"},
        }  # fmt: skip
        assert (await api.post("/v4/ad", json=body)).json()["dealer_code"] == "DEMO"
    assert (tmp_path / "demo.db").exists()
