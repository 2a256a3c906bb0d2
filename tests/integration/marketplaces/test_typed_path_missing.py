"""A 404 on a typed path (``api.typed_paths``): one missing vehicle type, or a wrong base URL."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from syncd.core.models import Accepted, Rejected
from syncd.errors import ConfigError
from syncd.marketplaces.blocket import BlocketClient, TokenAuth

BOAT = {"category_id": 1061, "title": "Båt"}
CAR = {"category_id": 1020, "title": "Bil"}


def _client(seen: list[str], missing: tuple[str, ...]) -> BlocketClient:
    """A typed-paths client on an API that answers 404 for the paths in ``missing``."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pro-import-api")
        seen.append(f"{request.method} {path}")
        if path in missing:
            return httpx.Response(404, json={"detail": "Not found."})
        if request.method == "GET":
            return httpx.Response(200, json={"results": [], "next": None})
        return httpx.Response(201, json={"source_id": "x", "state": "created", "log": []})

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr("t")),
    )
    return BlocketClient(http, typed_paths=True)


@pytest.mark.anyio
async def test_a_vehicle_type_the_api_lacks_is_a_rejection_naming_the_type() -> None:
    """POST /v4/boat answered 404 while /v4/ad answers: a Rejected naming the vehicle type
    and typed_paths (not a ConfigError); /v4/ad is asked once, other types still go."""
    seen: list[str] = []
    api = _client(seen, missing=("/v4/boat",))
    first = await api.create("", "b1", BOAT)
    second = await api.create("", "b2", BOAT)
    car = await api.create("", "c1", CAR)
    for result in (first, second):
        assert isinstance(result, Rejected)
        assert (result.status, result.missing_vehicle_type) == (404, "boat")
        assert "'boat'" in result.message
        assert "api.typed_paths" in result.message
    assert isinstance(car, Accepted)
    assert seen == ["POST /v4/boat", "GET /v4/ad", "POST /v4/boat", "POST /v4/car"]


@pytest.mark.anyio
async def test_a_404_on_the_typed_path_and_on_v4_ad_is_a_wrong_base_url() -> None:
    """Every path 404s (a wrong api.base_url): the POST is a ConfigError (exit 3), as on /v4/ad."""
    seen: list[str] = []
    api = _client(seen, missing=("/v4/boat", "/v4/ad"))
    with pytest.raises(ConfigError, match=r"POST /v4/boat: the API answered 404 .*api\.base_url"):
        await api.create("", "b1", BOAT)
    assert seen == ["POST /v4/boat", "GET /v4/ad"]


@pytest.mark.anyio
async def test_a_patch_404_on_a_typed_path_of_a_live_ad_is_the_missing_type() -> None:
    """PATCH /v4/boat/b1 answered 404 while GET /v4/ad/b1 finds the ad live: the missing
    vehicle type (with the ad as read), not an ad the API does not know; when the GET
    finds nothing, the plain 404 (the ad unknown)."""
    live = {"source_id": "b1", "state": "created", "log": []}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pro-import-api")
        if path == "/v4/ad/b1":
            return httpx.Response(200, json=live)
        if path == "/v4/ad":  # the collection answers: the base URL is right
            return httpx.Response(200, json={"results": [], "next": None})
        return httpx.Response(404, json={"detail": "Not found."})

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr("t")),
    )
    api = BlocketClient(http, typed_paths=True)
    missing = await api.update("", "b1", {"title": "Ny"}, 1061)
    assert isinstance(missing, Rejected)
    assert missing.missing_vehicle_type == "boat"
    assert "PATCH /v4/boat/b1 answered 404" in missing.message
    assert missing.remote is not None
    assert missing.remote.source_id == "b1"
    unknown = await api.update("", "b2", {"title": "Ny"}, 1061)
    assert isinstance(unknown, Rejected)
    assert (unknown.status, unknown.missing_vehicle_type) == (404, None)
