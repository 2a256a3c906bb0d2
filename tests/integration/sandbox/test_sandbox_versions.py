"""The v3/v4 compatibility table, migrate, revive rules, typed paths and vehicle values."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

V4_MOPED_FIELDS = {"model_year": 2021, "registration_number": "MOP12", "brand": "piaggio"}


async def test_v4_patch_auto_converts_a_compatible_v3_ad(sb) -> None:
    """PATCH through v4 on a v3 car converts it to v4, keeping its ids."""
    api = sb.client("D1")
    created = (await api.post("/v3/ad", json=sb.car())).json()
    sb.settle()
    before = (await api.get("/v3/ad/car-1")).json()
    after = (await api.patch("/v4/ad/car-1", json={"body": "Nu v4"})).json()
    assert after["api_version"] == "v4"
    assert after["id"] == created["id"]
    assert after["blocket_ad_id"] == before["blocket_ad_id"]


@pytest.mark.parametrize("category_id", [1121, 1102, 1101, 1045])
async def test_v4_put_patch_on_v3_v4_only_categories_is_blocked(sb, category_id: int) -> None:
    """Moped, Camper, Caravan, Trailer v3 ads cannot be PUT/PATCHed through v4."""
    api = sb.client("D1")
    await api.post("/v3/ad", json=sb.moped(category_id=category_id))
    for method in ("PUT", "PATCH"):
        response = await api.request(method, "/v4/ad/moped-1", json={"body": "x"})
        assert response.status_code == 400
        assert "migrate" in response.json()[0]
    assert (await api.get("/v4/ad/moped-1")).status_code == 200
    assert (await api.patch("/v3/ad/moped-1", json={"body": "v3 ok"})).status_code == 200
    assert (await api.delete("/v4/ad/moped-1")).status_code == 200


async def test_v4_post_creates_a_registered_moped(sb) -> None:
    """Through v4 a moped is a registered vehicle: no title, category_fields required."""
    api = sb.client("D1")
    refused = await api.post("/v4/ad", json=sb.moped())
    assert set(refused.json()) >= {"title", "contact", "category_fields"}
    body = sb.car("moped-1", category_id=1121, category_fields=V4_MOPED_FIELDS)
    ad = (await api.post("/v4/ad", json=body)).json()
    assert ad["api_version"] == "v4"
    assert ad["title"] == "Piaggio"


async def test_migrate_converts_in_place_keeping_ids_and_history(sb) -> None:
    """POST /v4/ad/{source_id}/migrate keeps id, blocket_ad_id and the log; needs a v4 body."""
    api = sb.client("D1")
    await api.post("/v3/ad", json=sb.moped())
    sb.settle()
    before = (await api.get("/v3/ad/moped-1")).json()
    incomplete = await api.post("/v4/ad/moped-1/migrate", json={"body": "x"})
    assert incomplete.status_code == 400
    body = sb.car("moped-1", category_id=1121, category_fields=V4_MOPED_FIELDS)
    body.pop("source_id")
    migrated = await api.post("/v4/ad/moped-1/migrate", json=body)
    assert migrated.status_code == 200
    sb.settle()
    after = (await api.get("/v4/ad/moped-1")).json()
    assert after["api_version"] == "v4"
    assert after["id"] == before["id"]
    assert after["blocket_ad_id"] == before["blocket_ad_id"]
    assert isinstance(after["offer_id"], int)
    assert {e["request_id"] for e in before["log"]} < {e["request_id"] for e in after["log"]}
    assert (await api.patch("/v4/ad/moped-1", json={"body": "ok"})).status_code == 200
    again = await api.post("/v4/ad/moped-1/migrate", json=body)
    assert again.status_code == 400
    assert (await api.post("/v3/ad/moped-1/migrate", json=body)).status_code == 404


async def test_revive_by_patch_only_outside_registered_categories(sb) -> None:
    """A deleted sofa is revived by PATCH; a deleted car answers the documented 400."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.post("/v4/ad", json=sb.car())
    await api.delete("/v4/ad/sofa-1")
    await api.delete("/v4/ad/car-1")
    sb.settle()
    revived = await api.patch("/v4/ad/sofa-1", json={"title": "Tillbaka"})
    assert revived.status_code == 200
    assert revived.json()["state"] == "created"
    sb.settle()
    assert (await api.get("/v4/ad/sofa-1")).json()["state"] == "created"
    refused = await api.put("/v4/ad/car-1", json={"body": "x"})
    assert refused.status_code == 400
    assert refused.json() == ["Ad has been deleted, cannot update"]


async def test_post_recreates_a_deleted_registered_vehicle(sb) -> None:
    """POST of a deleted car's source_id creates a new ad with a new id."""
    api = sb.client("D1")
    old = (await api.post("/v4/ad", json=sb.car())).json()
    await api.delete("/v4/ad/car-1")
    sb.settle()
    new = await api.post("/v4/ad", json=sb.car())
    assert new.status_code == 201
    assert new.json()["id"] != old["id"]
    assert new.json()["state"] == "created"


async def test_strict_source_ids_forbid_reuse_and_revive(make_sandbox) -> None:
    """With strict_source_ids, a deleted ad's source_id is refused by POST and PATCH."""
    sb = make_sandbox(strict_source_ids=True)
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    await api.delete("/v4/ad/sofa-1")
    sb.settle()
    again = await api.post("/v4/ad", json=sb.plain())
    assert again.status_code == 409
    assert "never be reused" in again.json()["source_id"][0]
    revive = await api.patch("/v4/ad/sofa-1", json={"title": "x"})
    assert revive.status_code == 400
    assert "strict" in revive.json()[0]


async def test_typed_v4_paths_map_to_the_same_ads(sb) -> None:
    """POST /v4/car creates what /v4/ad shows; PATCH/GET/DELETE /v4/car/{id} work on it."""
    api = sb.client("D1")
    body = sb.car()
    del body["category_id"]
    created = await api.post("/v4/car", json=body)
    assert created.status_code == 201
    assert created.json()["category_id"] == 1020
    assert (await api.patch("/v4/car/car-1", json={"body": "typed"})).status_code == 200
    assert (await api.get("/v4/ad/car-1")).json()["body"] == "typed"
    assert (await api.get("/v4/car")).json()["count"] == 1
    assert (await api.get("/v4/car/car-1/log")).json()["count"] >= 4
    await api.post("/v4/ad", json=sb.plain())
    assert (await api.get("/v4/car/sofa-1")).status_code == 404
    wrong = await api.post("/v4/car", json=sb.plain("x"))
    assert "category_id" in wrong.json()
    assert (await api.post("/v3/car", json=body)).status_code == 404
    assert (await api.delete("/v4/car/car-1")).status_code == 200


async def test_v3_vehicle_value_endpoints(sb) -> None:
    """/v3/vehicle/brands|models|body_types|fuels list values in the page envelope."""
    api = sb.client("D1")
    brands = (await api.get("/v3/vehicle/brands?limit=1000")).json()
    assert {"slug": "volvo", "name": "Volvo"} in brands["results"]
    models = (await api.get("/v3/vehicle/models?brand=volvo")).json()
    assert "v70" in [m["slug"] for m in models["results"]]
    assert (await api.get("/v3/vehicle/models")).status_code == 400
    assert (await api.get("/v3/vehicle/models?brand=nope")).status_code == 400
    assert (await api.get("/v3/vehicle/body_types")).json()["count"] > 3
    assert "diesel" in [f["slug"] for f in (await api.get("/v3/vehicle/fuels")).json()["results"]]
    mc = (await api.get("/v3/vehicle/brands?category_id=1140&limit=100")).json()
    assert "ducati" in [b["slug"] for b in mc["results"]]
    assert (await api.get("/v3/vehicle/colors")).status_code == 404


async def test_v4_vehicle_value_endpoints(sb) -> None:
    """/v4/vehicles/{type}/attributes and /v4/vehicles/{type}/{attribute}."""
    api = sb.client("D1")
    attributes = (await api.get("/v4/vehicles/car/attributes")).json()
    assert "brands" in [a["name"] for a in attributes["results"]]
    models = (await api.get("/v4/vehicles/car/models?brand=tesla")).json()
    assert [m["slug"] for m in models["results"]] == ["model-3", "model-s", "model-x", "model-y"]
    fuels = (await api.get("/v4/vehicles/motorcycle/fuels")).json()
    assert fuels["count"] > 0
    assert (await api.get("/v4/vehicles/car/wings")).status_code == 404
    assert (await api.get("/v4/vehicles/spaceship/brands")).status_code == 404
