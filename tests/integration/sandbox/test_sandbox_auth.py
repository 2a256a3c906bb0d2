"""Tokens and dealer isolation: 401 without a token or with a bad one, 403 outside the
token's scope, 404 across dealers."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from syncd.sandbox.auth import mint_token, read_token
from syncd.sandbox.problems import ApiProblem
from syncd.sandbox.settings import DEV_SECRET

pytestmark = pytest.mark.anyio


async def test_missing_token_is_401(sb) -> None:
    """No X-Auth-Token: 401 with a detail, on every API endpoint."""
    api = sb.anonymous()
    for method, path in (("GET", "/v4/ad"), ("POST", "/v4/ad"), ("GET", "/v3/vehicle/brands")):
        response = await api.request(method, path)
        assert response.status_code == 401
        assert "detail" in response.json()


async def test_bad_tokens_are_401_and_a_scopeless_one_403(sb) -> None:
    """A token signed with another secret, garbage or expired is 401 (api-notes: "401 a
    missing or invalid X-Auth-Token"); one that verifies but names no dealer is 403."""
    other = mint_token("D1", secret="x" * 40)
    expired = mint_token("D1", expires_in=10, now=sb.clock() - timedelta(hours=1))
    scopeless = __import__("jwt").encode({"iss": "x"}, DEV_SECRET, algorithm="HS256")
    for token, status in ((other, 401), ("not-a-jwt", 401), (expired, 401), (scopeless, 403)):
        response = await sb.anonymous().get("/v4/ad", headers={"X-Auth-Token": token})
        assert response.status_code == status, token
        assert response.json()["detail"].startswith("Invalid token")


async def test_a_dealer_never_sees_or_touches_another_dealers_ads(sb) -> None:
    """D2 gets 404 for every item endpoint of D1's ad and an empty list."""
    await sb.client("D1").post("/v4/ad", json=sb.plain())
    other = sb.client("D2")
    assert (await other.get("/v4/ad")).json()["count"] == 0
    for method, path in (
        ("GET", "/v4/ad/sofa-1"),
        ("PATCH", "/v4/ad/sofa-1"),
        ("PUT", "/v4/ad/sofa-1"),
        ("DELETE", "/v4/ad/sofa-1"),
        ("GET", "/v4/ad/sofa-1/log"),
        ("GET", "/v4/ad/sofa-1/bump"),
    ):
        assert (await other.request(method, path, json={})).status_code == 404, path
    assert (await other.get("/v4/ad?dealer_code=D1")).status_code == 403
    assert (await other.get("/v4/ad/sofa-1?dealer_code=D1")).status_code == 403


async def test_dealer_token_may_name_its_own_dealer_but_no_other(sb) -> None:
    """A dealer token accepts its own dealer_code in the body, and 403s another."""
    api = sb.client("D1")
    assert (await api.post("/v4/ad", json=sb.plain(dealer_code="D1"))).status_code == 201
    assert (await api.post("/v4/ad", json=sb.plain("x", dealer_code="D9"))).status_code == 403


async def test_group_token_needs_dealer_code_on_post(sb) -> None:
    """A dealer_group token must name the dealer in the POST body, within its group."""
    group = sb.client("D1", "D2", group="G")
    missing = await group.post("/v4/ad", json=sb.plain())
    assert missing.json() == {"dealer_code": ["This field is required."]}
    assert (await group.post("/v4/ad", json=sb.plain(dealer_code="D3"))).status_code == 403
    created = await group.post("/v4/ad", json=sb.plain(dealer_code="D2"))
    assert created.json()["dealer_code"] == "D2"


async def test_group_token_sees_its_dealers_and_uses_dealer_code_query(sb) -> None:
    """A group lists all its dealers' ads; ?dealer_code= picks one when a source_id is shared."""
    await sb.client("D1").post("/v4/ad", json=sb.plain(title="Ett"))
    await sb.client("D2").post("/v4/ad", json=sb.plain(title="Två"))
    await sb.client("D3").post("/v4/ad", json=sb.plain(title="Tre"))
    group = sb.client("D1", "D2", group="G")
    assert (await group.get("/v4/ad")).json()["count"] == 2
    assert (await group.get("/v4/ad?dealer_code=D2")).json()["results"][0]["title"] == "Två"
    ambiguous = await group.get("/v4/ad/sofa-1")
    assert ambiguous.status_code == 400
    assert "dealer_code" in ambiguous.json()
    one = await group.patch("/v4/ad/sofa-1?dealer_code=D2", json={"title": "Två!"})
    assert one.json()["title"] == "Två!"
    assert (await sb.client("D1").get("/v4/ad/sofa-1")).json()["title"] == "Ett"
    await sb.client("D1").post("/v4/ad", json=sb.plain("only-d1"))
    assert (await group.get("/v4/ad/only-d1")).json()["dealer_code"] == "D1"


def test_minted_tokens_carry_the_documented_claims() -> None:
    """mint_token names one dealer_code, or a dealer_group list; read_token gives the scope."""
    single = read_token(mint_token("D1"), DEV_SECRET)
    assert single.dealer_codes == frozenset({"D1"})
    assert not single.is_group
    group = read_token(mint_token(["D2", "D1"], group="G"), DEV_SECRET)
    assert group.dealer_codes == frozenset({"D1", "D2"})
    assert group.group == "G"
    assert group.is_group
    with pytest.raises(ApiProblem) as caught:
        read_token(None, DEV_SECRET)
    assert caught.value.status == 401
    with pytest.raises(ValueError, match="dealer code"):
        mint_token([])


def test_a_token_that_verified_is_refused_once_it_expires() -> None:
    """Verified tokens are remembered, but never past their exp: then PyJWT's 401."""
    expires = int(time.time()) + 2
    token = mint_token("D1", expires_in=expires - time.time())
    assert read_token(token, DEV_SECRET).dealer_codes == {"D1"}
    assert read_token(token, DEV_SECRET).dealer_codes == {"D1"}  # the remembered answer
    while time.time() < expires:  # at most 2 s: the exp claim counts in seconds
        time.sleep(0.05)
    with pytest.raises(ApiProblem) as refused:
        read_token(token, DEV_SECRET)
    assert refused.value.status == 401
    assert "expired" in refused.value.body["detail"]
    with pytest.raises(ApiProblem):
        read_token(token, "y" * 40)  # another secret: verified anew, and refused
