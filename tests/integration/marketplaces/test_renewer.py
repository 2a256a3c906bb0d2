"""The paid-call client: query flags, answers read as outcomes, and never a retry."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from syncd.core.renewal_models import RenewalKind, RenewalOutcome
from syncd.errors import ApiAuthError
from syncd.marketplaces.blocket import TokenAuth
from syncd.marketplaces.renewals import BlocketRenewer

pytestmark = pytest.mark.anyio


def renewer(answers: list[httpx.Response], seen: list[httpx.Request]) -> BlocketRenewer:
    """A client whose transport answers from ``answers`` in order, recording each request."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr("t0ken")),
    )
    return BlocketRenewer(http)


async def test_a_bump_is_one_get_with_the_flags_as_query_parameters() -> None:
    """GET /v4/ad/{id}/bump?dealer_code=D1&exclude_bytbil=true; 200 is accepted."""
    seen: list[httpx.Request] = []
    client = renewer([httpx.Response(200, json={}, headers={"X-Request-Id": "r1"})], seen)
    answer = await client.renew("D1", "car/1", RenewalKind.BUMP, exclude_bytbil=True)
    assert (answer.outcome, answer.request_id) == (RenewalOutcome.ACCEPTED, "r1")
    [request] = seen
    assert request.method == "GET"
    assert request.url.raw_path.decode() == (
        "/pro-import-api/v4/ad/car%2F1/bump?dealer_code=D1&exclude_bytbil=true"
    )


async def test_a_5xx_is_unknown_and_never_sent_again() -> None:
    """A 503 may follow a charged call: UNKNOWN, one request only."""
    seen: list[httpx.Request] = []
    client = renewer([httpx.Response(503), httpx.Response(200)], seen)
    answer = await client.renew("", "s1", RenewalKind.POLE_POSITION)
    assert answer.outcome is RenewalOutcome.UNKNOWN
    assert "not retried" in (answer.message or "")
    assert [r.url.path for r in seen] == ["/pro-import-api/v4/ad/s1/pole_position"]


async def test_refusals_and_rate_limits_cost_nothing() -> None:
    """400 with the API's words and 429 are REFUSED; 404 keeps its status."""
    seen: list[httpx.Request] = []
    client = renewer(
        [
            httpx.Response(400, json=["Ads on pole position cannot be bumped/renewed."]),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(404, json={"detail": "Not found."}),
        ],
        seen,
    )
    refused = await client.renew("", "s1", RenewalKind.BUMP)
    assert refused.outcome is RenewalOutcome.REFUSED
    assert refused.message == "Ads on pole position cannot be bumped/renewed."
    assert (await client.renew("", "s1", RenewalKind.BUMP)).outcome is RenewalOutcome.REFUSED
    missing = await client.renew("", "s2", RenewalKind.BUMP)
    assert (missing.outcome, missing.status) == (RenewalOutcome.REFUSED, 404)
    assert len(seen) == 3


async def test_a_refused_token_raises() -> None:
    """401: ApiAuthError, as for every other call."""
    client = renewer([httpx.Response(401, json={"detail": "Invalid token"})], [])
    with pytest.raises(ApiAuthError):
        await client.renew("", "s1", RenewalKind.BUMP)
