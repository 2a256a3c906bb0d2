"""The client's token check (GET /ad?limit=1) against the sandbox over ASGI."""

from __future__ import annotations

import asyncio
import traceback

import httpx
import pytest
from pydantic import SecretStr

from syncd.bootstrap import api_client
from syncd.config import ApiSettings
from syncd.errors import ApiAuthError, ApiScopeError
from syncd.marketplaces.blocket import TokenAuth
from syncd.sandbox.auth import mint_token
from tests.integration.sandbox_server import InProcessSandbox


def check(sandbox: InProcessSandbox, token: str, dealer_code: str) -> BaseException | None:
    """Run one check with this token; the error it raised, or None when the token was taken."""

    async def go() -> None:
        http = httpx.AsyncClient(
            base_url=sandbox.url, transport=sandbox.transport(), auth=TokenAuth(SecretStr(token))
        )
        try:
            await api_client(ApiSettings(), http).check_token(dealer_code)
        finally:
            await http.aclose()

    try:
        asyncio.run(go())
    except ApiAuthError as exc:
        return exc
    return None


def test_a_token_taken_for_the_dealer_passes_with_one_read_of_one_ad() -> None:
    """A group token covering D1: one GET with limit=1 and ?dealer_code=D1, nothing raised."""
    sandbox = InProcessSandbox()
    assert check(sandbox, mint_token(["D1", "D2"]), "D1") is None
    [entry] = sandbox.admin("GET", "journal").json()["results"]
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert sorted(entry["query"].split("&")) == ["dealer_code=D1", "limit=1"]


@pytest.mark.parametrize(
    ("token", "status"),
    [
        pytest.param(mint_token("D2"), 403, id="another-dealers-token"),
        pytest.param(mint_token("D1", expires_in=-60), 401, id="expired"),
        pytest.param("not-a-jwt-at-all-0123456789", 401, id="garbage"),
    ],
)
def test_a_refused_token_raises_an_auth_error_without_the_token(token: str, status: int) -> None:
    """403 for another dealer's token: ApiScopeError; 401 for an expired or a malformed
    one: ApiAuthError (both exit 5); neither message nor traceback holds the token."""
    exc = check(InProcessSandbox(), token, "D1")
    assert isinstance(exc, ApiAuthError)
    assert isinstance(exc, ApiScopeError) == (status == 403)
    assert f"HTTP {status}" in str(exc)
    text = "".join(traceback.format_exception(exc))
    assert token not in text
