"""The seed's validation rules, answered as DRF-style 400 bodies."""

from __future__ import annotations

import httpx
import pytest

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.clock import ManualClock
from syncd.sandbox.settings import SandboxSettings

pytestmark = pytest.mark.anyio


async def _errors(api, path: str, body: dict, method: str = "POST") -> dict:
    response = await api.request(method, path, json=body)
    assert response.status_code == 400, response.text
    return response.json()


async def test_required_fields_per_category(sb) -> None:
    """A plain ad needs title, body, price, contact; a car needs category_fields but no title."""
    api = sb.client("D1")
    errors = await _errors(api, "/v4/ad", {"source_id": "x", "category_id": 2048})
    assert errors == {
        "body": ["This field is required."],
        "price": ["This field is required."],
        "title": ["This field is required."],
        "contact": ["This field is required."],
    }
    car = await _errors(
        api,
        "/v4/ad",
        {
            "source_id": "c",
            "category_id": 1020,
            "body": "b",
            "price": [{"type": "list", "amount": 1}],
        },
    )
    assert car == {"category_fields": ["This field is required."]}
    missing = await _errors(api, "/v4/ad", {"category_id": 2048})
    assert missing["source_id"] == ["This field is required."]


async def test_unknown_and_unsupported_categories(sb) -> None:
    """An unknown category_id is not a valid choice; 4020 is not yet supported."""
    api = sb.client("D1")
    unknown = await _errors(api, "/v4/ad", sb.plain(category_id=9999))
    assert unknown["category_id"] == ['"9999" is not a valid choice.']
    unsupported = await _errors(api, "/v4/ad", sb.plain(category_id=4020))
    assert "not yet supported" in unsupported["category_id"][0]
    wrong_type = await _errors(api, "/v4/ad", sb.plain(category_id=True))
    assert wrong_type["category_id"] == ["A valid integer is required."]


async def test_registered_vehicles_refuse_title_and_contact_in_v4(sb) -> None:
    """v4 answers 400 for title/contact on a car; v3 ignores them and generates the title."""
    api = sb.client("D1")
    contact = {"name": "A", "phone": "0701234567", "email": "a@example.com"}
    errors = await _errors(api, "/v4/ad", sb.car(title="Volvo!", contact=contact))
    assert set(errors) == {"title", "contact"}
    ad = (await api.post("/v3/ad", json=sb.car(title="Volvo!", contact=contact))).json()
    assert ad["title"] == "Volvo V70"
    assert ad["contact"] is None


async def test_registered_vehicles_refuse_lkf(sb) -> None:
    """location.lkf is not allowed for registered vehicles, but fine for other ads."""
    api = sb.client("D1")
    errors = await _errors(api, "/v4/ad", sb.car(location={"lkf": "0380"}))
    assert errors == {"location": {"lkf": ["This field is not allowed for registered vehicles."]}}
    ok = await api.post("/v4/ad", json=sb.plain(location={"lkf": "038004"}))
    assert ok.status_code == 201


async def test_reduced_price_is_refused_on_post_but_allowed_on_patch(sb) -> None:
    """A reduced price cannot be POSTed; PATCH may add it."""
    api = sb.client("D1")
    price = [{"type": "list", "amount": 5000}, {"type": "reduced", "amount": 4000}]
    errors = await _errors(api, "/v4/ad", sb.plain(price=price))
    assert errors["price"][1] == {"type": ["A reduced price is not allowed when creating an ad."]}
    await api.post("/v4/ad", json=sb.plain())
    assert (await api.patch("/v4/ad/sofa-1", json={"price": price})).status_code == 200


async def test_price_items_are_checked_one_by_one(sb) -> None:
    """Price item errors come as a list of per-item dicts; leasing is for vehicles only."""
    api = sb.client("D1")
    errors = await _errors(api, "/v4/ad", sb.plain(price=[{"type": "gift", "amount": "x"}]))
    assert errors["price"] == [
        {"type": ['"gift" is not a valid choice.'], "amount": ["A valid integer is required."]}
    ]
    leasing = await _errors(api, "/v4/ad", sb.plain(price=[{"type": "leasing", "amount": 900}]))
    assert "registered vehicles" in leasing["price"][0]
    empty = await _errors(api, "/v4/ad", sb.plain(price=[]))
    assert empty["price"] == ["This list may not be empty."]
    car = sb.car(price=[{"type": "list", "amount": 1}, {"type": "leasing", "amount": 2}])
    assert (await api.post("/v4/ad", json=car)).status_code == 201


async def test_registration_number_cannot_change(sb) -> None:
    """Changing registration_number is refused; sending the same plate is fine."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    errors = await _errors(
        api, "/v4/ad/car-1", {"category_fields": {"registration_number": "XYZ999"}}, "PATCH"
    )
    assert "cannot be changed" in errors["category_fields"]["registration_number"][0]
    same = {"category_fields": {"registration_number": "abc 123"}}
    assert (await api.patch("/v4/ad/car-1", json=same)).status_code == 200


async def test_category_fields_errors_are_nested(sb) -> None:
    """Bad vehicle fields are reported under category_fields, nested as sent."""
    api = sb.client("D1")
    fields = {
        "model_year": "2019",
        "brand": "x",
        "condition": {"mileage": {"value": -1}},
        "powertrain": {"fuels": ["coal"], "transmission": "cvt"},
        "in_traffic_date": "2019/01/01",
    }
    errors = await _errors(api, "/v4/ad", sb.car(category_fields=fields))
    nested = errors["category_fields"]
    assert nested["brand"] == ['"x" is not a valid choice.']
    assert nested["model_year"] == ["A valid integer is required."]
    assert nested["registration_number"] == ["Either registration_number or vin is required."]
    assert nested["condition"] == {"mileage": {"value": ["A valid integer is required."]}}
    assert nested["powertrain"]["fuels"] == {"0": ['"coal" is not a valid choice.']}
    assert "transmission" in nested["powertrain"]
    assert "in_traffic_date" in nested


async def test_vin_is_an_alternative_to_the_plate(sb) -> None:
    """A vehicle with a VIN and no plate is valid."""
    api = sb.client("D1")
    fields = {"model_year": 2020, "vin": "YV1SW61R021234567", "brand": "volvo"}
    assert (await api.post("/v4/ad", json=sb.car(category_fields=fields))).status_code == 201


async def test_images_at_most_38_and_jpg_or_png(sb) -> None:
    """39 image URLs are refused; a GIF or a non-URL is refused per item."""
    api = sb.client("D1")
    many = [f"https://cdn.example/{i}.jpg" for i in range(39)]
    errors = await _errors(api, "/v4/ad", sb.plain(image_urls=many))
    assert errors["image_urls"] == ["Ensure this field has no more than 38 elements."]
    mixed = ["https://cdn.example/a.jpg", "https://cdn.example/b.gif", "not a url"]
    errors = await _errors(api, "/v4/ad", sb.plain(image_urls=mixed))
    assert set(errors["image_urls"]) == {"1", "2"}
    ok = [*many[:37], "https://cdn.io/image1/"]
    assert (await api.post("/v4/ad", json=sb.plain(image_urls=ok))).status_code == 201


async def test_contact_and_location_rules(sb) -> None:
    """Phone digits 8-16, a valid email, one location alternative, lat+lon together."""
    api = sb.client("D1")
    contact = {"name": "A", "phone": "07-123", "email": "nope"}
    errors = await _errors(api, "/v4/ad", sb.plain(contact=contact))
    assert set(errors["contact"]) == {"phone", "email"}
    both = await _errors(api, "/v4/ad", sb.plain(location={"zipcode": "12133", "lkf": "0180"}))
    assert "non_field_errors" in both["location"]
    half = await _errors(api, "/v4/ad", sb.plain(location={"latitude": 59.3}))
    assert "longitude" in half["location"]
    spaced = await _errors(api, "/v4/ad", sb.plain(location={"zipcode": "121 33"}))
    assert "zipcode" in spaced["location"]
    coords = sb.plain(
        location={"latitude": "59.53", "longitude": 16.71},
        contact={"name": "A", "phone": "+46701234567", "email": "a@example.com"},
    )
    assert (await api.post("/v4/ad", json=coords)).status_code == 201


async def test_urls_types_and_nulls(sb) -> None:
    """video_url must be YouTube/Vimeo, booleans must be booleans, null on a required field."""
    api = sb.client("D1")
    errors = await _errors(
        api, "/v4/ad", sb.plain(video_url="https://example.com/v", visible="yes", url="ftp://x")
    )
    assert errors == {
        "video_url": ["Only YouTube or Vimeo URLs are allowed."],
        "visible": ["Must be a valid boolean."],
        "url": ["Enter a valid URL."],
    }
    await api.post("/v4/ad", json=sb.plain())
    nulled = await _errors(api, "/v4/ad/sofa-1", {"body": None}, "PATCH")
    assert nulled == {"body": ["This field may not be null."]}
    youtube = {"video_url": "https://www.youtube.com/watch?v=x"}
    assert (await api.patch("/v4/ad/sofa-1", json=youtube)).status_code == 200


async def test_validate_endpoints_save_nothing(sb) -> None:
    """/v3/ad/validate and /v4/car/validate answer 200 or 400 and store no ad."""
    api = sb.client("D1")
    assert (await api.post("/v3/ad/validate", json=sb.plain())).json() == {"valid": True}
    bad = await api.post("/v3/ad/validate", json={"category_id": 2048})
    assert bad.status_code == 400
    car = sb.car()
    del car["category_id"]
    assert (await api.post("/v4/car/validate", json=car)).status_code == 200
    assert (await api.post("/v4/ad/validate", json=sb.car(title="x"))).status_code == 400
    assert (await api.get("/v4/ad")).json()["count"] == 0


@pytest.mark.anyio
async def test_updates_and_deletes_wait_for_the_create() -> None:
    """While an ad's create is processing, PATCH and DELETE answer 409 (seed 003)."""
    clock = ManualClock()
    app = create_app(SandboxSettings(processing_delay=1.0), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sb",
        headers={"X-Auth-Token": mint_token("D1")},
    ) as client:
        body = {
            "source_id": "w1",
            "category_id": 2048,
            "title": "T",
            "body": "B",
            "price": [{"type": "list", "amount": 1}],
            "contact": {"name": "N", "phone": "0701234567", "email": "a@example.com"},
        }
        assert (await client.post("/v4/ad", json=body)).status_code == 201
        early = await client.patch("/v4/ad/w1", json={"title": "U"})
        assert early.status_code == 409
        assert (await client.delete("/v4/ad/w1")).status_code == 409
        clock.advance(5)
        assert (await client.patch("/v4/ad/w1", json={"title": "U"})).status_code == 200
