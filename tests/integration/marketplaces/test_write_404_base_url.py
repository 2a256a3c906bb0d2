"""A 404 on a PATCH or a DELETE: an ad the API does not know, or a wrong base URL."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from syncd.core.models import Rejected
from syncd.errors import ConfigError
from syncd.marketplaces.blocket import BlocketClient, TokenAuth

NOT_FOUND = {"detail": "Not found."}


def _client(seen: list[str], *, collection: bool) -> BlocketClient:
    """A client whose every ad path answers 404; ``GET /v4/ad`` answers 200 when
    ``collection`` (the API is there, the ads are not), else 404 too (a wrong URL)."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pro-import-api")
        seen.append(f"{request.method} {path}")
        if collection and request.method == "GET" and path == "/v4/ad":
            return httpx.Response(200, json={"results": [], "next": None})
        return httpx.Response(404, json=NOT_FOUND)

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr("t")),
    )
    return BlocketClient(http)


@pytest.mark.anyio
async def test_a_patch_404_while_the_collection_404s_too_is_a_wrong_base_url() -> None:
    """PATCH /v4/ad/a1 and GET /v4/ad both 404: a ConfigError naming api.base_url (exit 3),
    not a Rejected the executor would take for an ad unknown to the API."""
    seen: list[str] = []
    api = _client(seen, collection=False)
    with pytest.raises(
        ConfigError, match=r"PATCH /v4/ad/a1: the API answered 404 .*check api\.base_url"
    ):
        await api.update("", "a1", {"title": "Ny"})
    assert seen == ["PATCH /v4/ad/a1", "GET /v4/ad"]


@pytest.mark.anyio
async def test_a_delete_404_while_the_collection_404s_too_is_a_wrong_base_url() -> None:
    """DELETE /v4/ad/a1 and GET /v4/ad both 404: a ConfigError, not "already gone"."""
    seen: list[str] = []
    api = _client(seen, collection=False)
    with pytest.raises(
        ConfigError, match=r"DELETE /v4/ad/a1: the API answered 404 .*check api\.base_url"
    ):
        await api.delete("D1", "a1")
    assert seen == ["DELETE /v4/ad/a1", "GET /v4/ad"]


@pytest.mark.anyio
async def test_a_404_while_the_collection_answers_keeps_its_meaning_asked_once() -> None:
    """With GET /v4/ad answering, a PATCH's and a DELETE's 404 stay Rejected 404 (the ad
    unknown / gone); the collection is asked once for the client, not per call."""
    seen: list[str] = []
    api = _client(seen, collection=True)
    results = [
        await api.update("", "a1", {"title": "Ny"}),
        await api.update("", "a2", {"title": "Ny"}),
        await api.delete("", "a3"),
    ]
    for result in results:
        assert isinstance(result, Rejected)
        assert result.status == 404
    assert seen == ["PATCH /v4/ad/a1", "GET /v4/ad", "PATCH /v4/ad/a2", "DELETE /v4/ad/a3"]
