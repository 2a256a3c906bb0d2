"""The sandbox's paid calls: exclusions only for vehicles, pole position blocks, charges listed."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def _charges(sb: Any, **query: str) -> list[dict[str, Any]]:
    response = await sb.admin().get("/_sandbox/charges", params=query)
    assert response.status_code == 200
    doc = response.json()
    assert doc["count"] == len(doc["results"])
    results: list[dict[str, Any]] = doc["results"]
    return results


async def test_a_bump_once_done_is_listed_among_the_charges(sb: Any) -> None:
    """The charge shows once the bump is carried out, with its request id and exclusions."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.car())
    sb.settle()
    response = await api.get("/v4/ad/car-1/bump?exclude_bytbil=true")
    assert response.status_code == 200
    assert await _charges(sb) == []  # processing: not yet carried out
    sb.settle()
    [charge] = await _charges(sb, dealer="D1")
    assert charge["kind"] == "bump"
    assert charge["source_id"] == "car-1"
    assert charge["request_id"] == response.headers["X-Request-Id"]
    assert (charge["exclude_bytbil"], charge["exclude_blocket"]) == (True, False)


async def test_exclusions_are_refused_outside_registered_vehicles(sb: Any) -> None:
    """A sofa cannot exclude Bytbil or Blocket: 400 naming the parameter, nothing charged."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    refused = await api.get("/v4/ad/sofa-1/bump?exclude_blocket=true")
    assert refused.status_code == 400
    assert "exclude_blocket" in refused.json()
    sb.settle()
    assert await _charges(sb) == []


async def test_a_queued_pole_position_already_blocks_a_bump_and_a_second_one(sb: Any) -> None:
    """While a pole position is queued or in force, bump and pole_position are 400."""
    api = sb.client("D1")
    await api.post("/v4/ad", json=sb.plain())
    sb.settle()
    assert (await api.get("/v4/ad/sofa-1/pole_position")).status_code == 200
    assert (await api.get("/v4/ad/sofa-1/bump")).status_code == 400
    sb.settle()
    assert (await api.get("/v4/ad/sofa-1/pole_position")).status_code == 400
    assert [c["kind"] for c in await _charges(sb)] == ["pole_position"]
    sb.settle(3 * 86400)
    assert (await api.get("/v4/ad/sofa-1/bump")).status_code == 200


async def test_unknown_and_other_dealers_ads_cannot_be_renewed(sb: Any) -> None:
    """404 for a source_id the dealer does not have."""
    await sb.client("D2").post("/v4/ad", json=sb.plain())
    sb.settle()
    assert (await sb.client("D1").get("/v4/ad/sofa-1/bump")).status_code == 404
    assert (await sb.client("D1").get("/v4/ad/nope/pole_position")).status_code == 404
