"""The sandbox's vehicle values: realistic lists served, and unknown values refused on
create and on validate alike, as DRF ``is not a valid choice`` errors."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


def _fields(sb: Any, **over: Any) -> dict[str, Any]:
    car = sb.car()
    car["category_fields"] = {**car["category_fields"], **over}
    return car


async def _slugs(api: Any, path: str) -> list[str]:
    joiner = "&" if "?" in path else "?"
    doc = (await api.get(f"{path}{joiner}limit=1000")).json()
    return [r["slug"] for r in doc["results"]]


async def test_swedish_market_lists_are_served_in_v3_and_v4(sb) -> None:
    """Brands, a brand's models, body types and fuels, on both API versions."""
    api = sb.client("D1")
    brands = await _slugs(api, "/v3/vehicle/brands")
    assert {"volvo", "volkswagen", "bmw", "audi", "toyota", "kia", "tesla"} <= set(brands)
    assert await _slugs(api, "/v4/vehicles/car/brands") == brands
    assert {"golf", "passat", "id-4"} <= set(
        await _slugs(api, "/v3/vehicle/models?brand=volkswagen")
    )
    assert {"a4", "q5"} <= set(await _slugs(api, "/v4/vehicles/car/models?brand=audi"))
    assert "transporter" in await _slugs(api, "/v4/vehicles/transport/models?brand=volkswagen")
    assert "station-wagon" in await _slugs(api, "/v4/vehicles/car/body_types")
    assert "plugin-hybrid" in await _slugs(api, "/v3/vehicle/fuels")


@pytest.mark.parametrize("path", ["/v4/ad", "/v4/car/validate", "/v3/ad/validate"])
@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"brand": "volkswagon"}, {"brand": ['"volkswagon" is not a valid choice.']}),
        ({"model": "v71"}, {"model": ['"v71" is not a valid choice.']}),
        ({"body_type": "kombi"}, {"body_type": ['"kombi" is not a valid choice.']}),
        (
            {"powertrain": {"fuels": ["diesel", "coal"]}},
            {"powertrain": {"fuels": {"1": ['"coal" is not a valid choice.']}}},
        ),
    ],
)
async def test_unknown_values_are_refused_on_create_and_validate(
    sb, path: str, over: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Each unknown brand, model, body type or fuel is a field error under category_fields."""
    api = sb.client("D1")
    body = _fields(sb, **over)
    if path == "/v4/car/validate":
        del body["category_id"]
    response = await api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json() == {"category_fields": expected}
    assert (await api.get("/v4/ad")).json()["count"] == 0


async def test_a_tesla_runs_on_electricity_only(sb) -> None:
    """A rule of the sandbox's vehicle data that syncd does not know: a petrol Tesla is refused."""
    api = sb.client("D1")
    petrol = _fields(sb, brand="tesla", model="model-3", powertrain={"fuels": ["petrol"]})
    response = await api.post("/v4/ad/validate", json=petrol)
    assert response.json() == {
        "category_fields": {
            "powertrain": {"fuels": {"0": ['"petrol" is not a fuel of tesla vehicles.']}}
        }
    }
    electric = _fields(sb, brand="tesla", model="model-3", powertrain={"fuels": ["electric"]})
    assert (await api.post("/v4/ad/validate", json=electric)).status_code == 200
