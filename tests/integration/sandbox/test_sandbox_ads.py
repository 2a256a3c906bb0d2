"""The ad endpoints of the sandbox: create, read, update, delete (v3 and v4)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_post_answers_201_with_the_ad_and_a_request_id(sb) -> None:
    """POST /v4/ad answers 201, the ad object without ids yet, and X-Request-Id."""
    api = sb.client("D1")
    response = await api.post("/v4/ad", json=sb.car())
    assert response.status_code == 201
    ad = response.json()
    assert ad["source_id"] == "car-1"
    assert ad["dealer_code"] == "D1"
    assert ad["state"] == "created"
    assert ad["api_version"] == "v4"
    assert ad["blocket_ad_id"] is None
    assert "log" not in ad
    assert response.headers["X-Request-Id"]
    expected = {
        "id", "source_id", "dealer_code", "category_id", "state", "title", "body", "visible",
        "price", "image_refs", "url", "video_url", "location", "contact", "category_fields",
        "dont_publish_on_failed_images", "product_declaration", "blocket_ad_id",
        "blocket_store_id", "offer_id", "api_version", "created", "updated",
    }  # fmt: skip
    assert set(ad) == expected


async def test_get_one_ad_includes_its_log_with_the_request_id(sb) -> None:
    """GET /ad/{source_id} shows the log entries carrying the write's request id."""
    api = sb.client("D1")
    posted = await api.post("/v4/ad", json=sb.plain())
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert {e["request_id"] for e in ad["log"]} == {posted.headers["X-Request-Id"]}
    assert {e["action"] for e in ad["log"]} == {"create", "publish"}
    assert all(e["state"] == "processing" for e in ad["log"])


async def test_paths_work_with_and_without_the_pro_import_api_prefix(sb) -> None:
    """The same ad is reachable under /pro-import-api/v4 and /v4, with a trailing slash too."""
    await sb.client("D1").post("/v4/ad", json=sb.plain())
    bare = sb.client("D1", base="http://sandbox.test")
    assert (await bare.get("/v4/ad/sofa-1")).status_code == 200
    assert (await bare.get("/v4/ad/sofa-1/")).status_code == 200
    assert (await bare.get("/v3/ad/")).json()["count"] == 1


async def test_source_id_with_a_slash_is_one_path_segment(sb) -> None:
    """A source_id holding '/' is addressed with %2F."""
    api = sb.client("D1")
    assert (await api.post("/v4/ad", json=sb.plain("a/b"))).status_code == 201
    assert (await api.get("/v4/ad/a%2Fb")).json()["source_id"] == "a/b"


async def test_post_of_an_existing_source_id_is_409(sb) -> None:
    """A source_id is unique per dealer: a second POST conflicts."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    again = await api.post("/v4/ad", json=sb.plain())
    assert again.status_code == 409
    assert "source_id" in again.json()


async def test_same_source_id_is_fine_for_two_dealers(sb) -> None:
    """Uniqueness is per dealer, not global."""
    assert (await sb.client("D1").post("/v4/ad", json=sb.plain())).status_code == 201
    assert (await sb.client("D2").post("/v4/ad", json=sb.plain())).status_code == 201


async def test_patch_put_delete_of_an_unknown_source_id_are_404(sb) -> None:
    """Writes to an ad that does not exist answer 404 {"detail": "Not found."}."""
    api = sb.client("D1")
    for method in ("PATCH", "PUT", "DELETE", "GET"):
        response = await api.request(method, "/v4/ad/nope", json={"body": "x"})
        assert response.status_code == 404, method
        assert response.json() == {"detail": "Not found."}


async def test_patch_deep_merges_and_null_clears(sb) -> None:
    """PATCH keeps unsent fields, merges category_fields, and null removes a field."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car(url="https://dealer.example/car-1"))
    response = await api.patch(
        "/v4/ad/car-1",
        json={"url": None, "category_fields": {"color": "red", "model": None}},
    )
    assert response.status_code == 200
    ad = response.json()
    assert ad["url"] is None
    assert ad["body"] == "Välskött bil, servad."
    fields = ad["category_fields"]
    assert fields["color"] == "red"
    assert "model" not in fields
    assert fields["brand"] == "volvo"
    assert fields["condition"]["mileage"]["value"] == 81000


async def test_patch_cannot_move_an_ad_across_registered_vehicle_categories(sb) -> None:
    """A sofa PATCHed into cars, a car into vans or into furniture, live or being revived,
    is refused (400 under category_id), as syncd's planner assumes; between two plain
    categories the move is taken."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.post("/v4/ad", json=sb.car())
    vehicle = {k: v for k, v in sb.car().items() if k != "source_id"}
    moves = (
        ("sofa-1", {**vehicle, "title": None, "contact": None}),
        ("car-1", {"category_id": 1021}),
        ("car-1", {**sb.plain(), "source_id": "car-1", "category_fields": None}),
    )
    for source_id, body in moves:
        refused = await api.patch(f"/v4/ad/{source_id}", json=body)
        assert refused.status_code == 400, (source_id, body)
        assert "category_id" in refused.json()
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    revived = await api.patch("/v4/ad/sofa-1", json={**vehicle, "title": None, "contact": None})
    assert revived.status_code == 400
    moved = await api.patch("/v4/ad/sofa-1", json={"category_id": 2043})
    assert moved.status_code == 200
    assert moved.json()["category_id"] == 2043


async def test_put_also_deep_merges_and_replaces_lists_whole(sb) -> None:
    """PUT merges like PATCH (api-notes); a list such as price is replaced, not merged."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    price = [{"type": "list", "amount": 4000}, {"type": "reduced", "amount": 3500}]
    ad = (await api.put("/v4/ad/sofa-1", json={"price": price})).json()
    assert ad["price"] == price
    assert ad["title"] == "Soffa i skinn"


async def test_body_angle_brackets_become_dashes(sb) -> None:
    """'<' and '>' in body are replaced by '-'."""
    api = sb.client("D1")
    ad = (await api.post("/v4/ad", json=sb.plain(body="<b>Fin</b> soffa"))).json()
    assert ad["body"] == "-b-Fin-/b- soffa"


async def test_delete_answers_200_and_the_state_changes_when_done(sb) -> None:
    """DELETE answers at once; the ad reads created until the delete action is done."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    response = await api.delete("/v4/ad/sofa-1")
    assert response.status_code == 200
    assert (await api.get("/v4/ad/sofa-1")).json()["state"] == "created"
    sb.settle()
    ad = (await api.get("/v4/ad/sofa-1")).json()
    assert ad["state"] == "deleted"
    request_id = response.headers["X-Request-Id"]
    actions = [e["action"] for e in ad["log"] if e["request_id"] == request_id]
    assert sorted(actions) == ["delete", "unpublish"]


async def test_delete_of_a_deleted_ad_is_accepted_again(sb) -> None:
    """A repeated DELETE is idempotent: 200 and its actions settle."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    again = await api.delete("/v4/ad/sofa-1")
    assert again.status_code == 200
    sb.settle()
    log = (await api.get(f"/v4/ad/sofa-1/log?request_id={again.headers['X-Request-Id']}")).json()
    assert {e["state"] for e in log["results"]} == {"done"}


async def test_v3_post_creates_a_v3_ad_visible_through_v4(sb) -> None:
    """An ad created through /v3 is a v3 ad, listed by /v4 as well."""
    api = sb.client("D1")
    assert (await api.post("/v3/ad", json=sb.plain())).json()["api_version"] == "v3"
    listed = (await api.get("/v4/ad")).json()
    assert [ad["api_version"] for ad in listed["results"]] == ["v3"]


async def test_invalid_json_is_a_400(sb) -> None:
    """A body that is not JSON, or not an object, answers 400."""
    api = sb.client("D1")
    bad = await api.post(
        "/v4/ad", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert "JSON parse error" in bad.json()["detail"]
    listed = await api.post("/v4/ad", json=[1, 2])
    assert listed.status_code == 400
    assert "non_field_errors" in listed.json()


async def test_unknown_paths_and_methods(sb) -> None:
    """Unknown paths are 404; a known path with a wrong method is 405."""
    api = sb.client("D1")
    assert (await api.get("/v4/nothing-here")).status_code == 404
    assert (await api.get("/v5/ad")).status_code == 404
    assert (await api.post("/v4/ad/x")).status_code == 405


async def test_path_source_id_must_match_the_body(sb) -> None:
    """A PATCH whose body names another source_id is refused."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    response = await api.patch("/v4/ad/sofa-1", json={"source_id": "other"})
    assert response.status_code == 400
    assert "source_id" in response.json()
