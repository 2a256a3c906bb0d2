"""The asynchronous action life-cycle, driven by a stepped clock."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


def _by_action(ad: dict, request_id: str) -> dict[str, dict]:
    return {e["action"]: e for e in ad["log"] if e["request_id"] == request_id}


async def test_post_chain_settles_one_action_per_delay(sb) -> None:
    """create, handle_media and publish go processing to done, one per processing delay."""
    api = sb.client("D1")
    rid = (await api.post("/v4/ad", json=sb.car())).headers["X-Request-Id"]
    states = []
    for _ in range(4):
        ad = (await api.get("/v4/ad/car-1")).json()
        entries = _by_action(ad, rid)
        states.append(tuple(entries[a]["state"] for a in ("create", "handle_media", "publish")))
        sb.clock.advance(1)
    assert states == [
        ("processing", "processing", "processing"),
        ("done", "processing", "processing"),
        ("done", "done", "processing"),
        ("done", "done", "done"),
    ]


async def test_publish_assigns_blocket_and_bytbil_ids_for_registered_vehicles(sb) -> None:
    """A published car gets blocket_ad_id, blocket_store_id and offer_id; a sofa no offer_id."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    car = (await api.get("/v4/ad/car-1")).json()
    sofa = (await api.get("/v4/ad/sofa-1")).json()
    assert isinstance(car["blocket_ad_id"], int)
    assert isinstance(car["offer_id"], int)
    assert car["blocket_store_id"] == sofa["blocket_store_id"]
    assert sofa["blocket_ad_id"] not in (None, car["blocket_ad_id"])
    assert sofa["offer_id"] is None
    assert [r["url"] for r in car["image_refs"]] == sb.car()["image_urls"]


async def test_visible_false_is_done_but_not_shown(sb) -> None:
    """visible=false publishes nothing: done with a message, and no blocket_ad_id."""
    api = sb.client("D1")
    rid = (await api.post("/v4/ad", json=sb.plain(visible=False))).headers["X-Request-Id"]
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    publish = _by_action(ad, rid)["publish"]
    assert publish["state"] == "done"
    assert "not shown" in publish["external_message"]
    assert ad["blocket_ad_id"] is None
    assert ad["visible"] is False


async def test_broken_image_errs_handle_media_and_still_publishes(sb) -> None:
    """An unfetchable image ends handle_media in error naming it; publish is still done."""
    api = sb.client("D1")
    urls = ["https://cdn.example/ok.jpg", "https://broken.example/x.jpg",
            "https://cdn.example/broken/y.png"]  # fmt: skip
    rid = (await api.post("/v4/ad", json=sb.plain(image_urls=urls))).headers["X-Request-Id"]
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    media = _by_action(ad, rid)["handle_media"]
    assert media["state"] == "error"
    assert urls[1] in media["external_message"]
    assert urls[2] in media["external_message"]
    assert _by_action(ad, rid)["publish"]["state"] == "done"
    assert [r["url"] for r in ad["image_refs"]] == [urls[0]]


async def test_dont_publish_on_failed_images_errs_publish(sb) -> None:
    """With dont_publish_on_failed_images, publish ends in error and no ad id appears."""
    api = sb.client("D1")
    body = sb.plain(image_urls=["https://broken.example/x.jpg"], dont_publish_on_failed_images=True)
    rid = (await api.post("/v4/ad", json=body)).headers["X-Request-Id"]
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    publish = _by_action(ad, rid)["publish"]
    assert publish["state"] == "error"
    assert "not published: image errors" in publish["external_message"]
    assert ad["blocket_ad_id"] is None


async def test_patch_chain_has_handle_media_only_when_images_are_sent(sb) -> None:
    """PATCH queues update+publish, plus handle_media when image_urls is in the body."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    plain = (await api.patch("/v4/ad/sofa-1", json={"title": "Ny"})).headers["X-Request-Id"]
    media = await api.patch("/v4/ad/sofa-1", json={"image_urls": []})
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert set(_by_action(ad, plain)) == {"update", "publish"}
    assert set(_by_action(ad, media.headers["X-Request-Id"])) == {
        "update", "handle_media", "publish"
    }  # fmt: skip


async def test_calls_on_one_ad_are_processed_in_order(sb) -> None:
    """A DELETE right after a POST waits for the POST's actions to finish first."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.delete("/v4/ad/sofa-1")
    sb.clock.advance(2)
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert ad["state"] == "created"
    assert {e["action"]: e["state"] for e in ad["log"]}["unpublish"] == "processing"
    sb.clock.advance(2)
    assert (await api.get("/v4/ad/sofa-1")).json()["state"] == "deleted"


async def test_zero_delay_settles_on_the_next_read(make_sandbox) -> None:
    """With processing_delay 0 every action is done by the next request."""
    sb = make_sandbox(processing_delay=0)
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert {e["state"] for e in ad["log"]} == {"done"}


async def test_bump_renews_and_honours_exclusions(sb) -> None:
    """GET /bump queues a bump action; exclude_bytbil leaves Bytbil out for vehicles."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    sb.settle()
    response = await api.get("/v4/ad/car-1/bump?exclude_bytbil=true")
    assert response.status_code == 200
    sb.settle()
    ad = (await api.get("/v4/ad/car-1")).json()
    bump = _by_action(ad, response.headers["X-Request-Id"])["bump"]
    assert bump["state"] == "done"
    assert bump["external_message"] == "Ad renewed on Blocket"
    both = await api.get("/v3/ad/car-1/bump?exclude_bytbil=true&exclude_blocket=1")
    assert both.status_code == 400


async def test_bump_of_an_unpublished_ad_errs_and_deleted_is_refused(sb) -> None:
    """Bumping an ad never published (visible=false) ends in error; a deleted one is a 400."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain(visible=False))
    sb.settle()
    early = await api.get("/v4/ad/sofa-1/bump")
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    bump = _by_action(ad, early.headers["X-Request-Id"])["bump"]
    assert bump["state"] == "error"
    assert "not published" in bump["external_message"]
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    refused = await api.get("/v4/ad/sofa-1/bump")
    assert refused.status_code == 400
    assert isinstance(refused.json(), list)


async def test_pole_position_blocks_bumps_for_three_days(sb) -> None:
    """pole_position is set by a publish action; the ad cannot be bumped for 3 days."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    pole = await api.get("/v4/ad/sofa-1/pole_position")
    assert pole.status_code == 200
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert (
        "Pole position"
        in _by_action(ad, pole.headers["X-Request-Id"])["publish"]["external_message"]
    )
    assert (await api.get("/v4/ad/sofa-1/bump")).status_code == 400
    sb.clock.advance(3 * 86400)
    assert (await api.get("/v4/ad/sofa-1/bump")).status_code == 200


async def test_retry_requeues_processing(sb) -> None:
    """GET /v4/ad/{source_id}/retry queues update (+handle_media) and publish again."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    sb.settle()
    response = await api.get("/v4/ad/car-1/retry")
    assert response.status_code == 200
    sb.settle()
    ad = (await api.get("/v4/ad/car-1")).json()
    entries = _by_action(ad, response.headers["X-Request-Id"])
    assert set(entries) == {"update", "handle_media", "publish"}
    assert (await api.get("/v3/ad/car-1/retry")).status_code == 404
