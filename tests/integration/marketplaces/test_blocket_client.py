"""The Pro Import API client against answers pinned with httpx.MockTransport."""

from __future__ import annotations

import json
import traceback
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import stamina
from pydantic import SecretStr

from syncd.core.models import Accepted, LogState, Rejected, RemoteState
from syncd.errors import (
    ApiAuthError,
    ApiContractError,
    ApiGarbled,
    ApiUnavailable,
    RateLimited,
    SyncdError,
    TemporaryError,
)
from syncd.marketplaces.blocket import BlocketClient, TokenAuth, ad_path

TOKEN = "secret-token-value-123"
Handler = Callable[[httpx.Request], httpx.Response]

AD = {
    "id": "u1",
    "source_id": "s1",
    "state": "created",
    "blocket_ad_id": None,
    "log": [
        {
            "request_id": "r1",
            "created": "2026-11-25T12:00:01Z",
            "action": "create",
            "state": "processing",
            "external_message": None,
        }
    ],
}


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    """Retries happen without sleeping, three attempts at most."""
    with stamina.set_testing(True, attempts=3):
        yield


def client(handler: Handler, **kwargs: object) -> BlocketClient:
    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr(TOKEN)),
    )
    return BlocketClient(http, **kwargs)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_create_posts_the_body_with_token_and_dealer() -> None:
    """POST goes to /v4/ad with X-Auth-Token, source_id and dealer_code in the body."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=AD, headers={"X-Request-Id": "r1"})

    result = await client(handler).create("D1", "s1", {"category_id": 2048, "title": "T"})
    assert isinstance(result, Accepted)
    assert result.request_id == "r1"
    assert result.remote is not None
    assert result.remote.state is RemoteState.CREATED
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", "/pro-import-api/v4/ad")
    assert request.headers["X-Auth-Token"] == TOKEN
    assert json.loads(request.content) == {
        "source_id": "s1",
        "category_id": 2048,
        "title": "T",
        "dealer_code": "D1",
    }


@pytest.mark.anyio
async def test_validation_errors_become_a_rejection_with_dotted_fields() -> None:
    """A DRF-style 400 body is flattened to field: reason lines, nested fields dotted."""
    body = {
        "title": ["This field is required."],
        "category_fields": {"brand": ['"x" is not a valid choice.']},
    }
    result = await client(lambda r: httpx.Response(400, json=body)).update("", "s1", {"a": 1})
    assert isinstance(result, Rejected)
    assert result.messages == (
        "title: This field is required.",
        'category_fields.brand: "x" is not a valid choice.',
    )


@pytest.mark.anyio
@pytest.mark.parametrize("status", [401, 403])
async def test_auth_errors_stop_and_never_show_the_token(status: int) -> None:
    """401/403 raise ApiAuthError whose text says what to check, without the token."""
    with pytest.raises(ApiAuthError) as info:
        await client(lambda r: httpx.Response(status, json={"detail": "Invalid token"})).delete(
            "", "s1"
        )
    assert "api.token" in str(info.value)
    assert TOKEN not in str(info.value)
    assert info.value.__cause__ is None


@pytest.mark.anyio
async def test_transient_errors_are_retried() -> None:
    """A 503 followed by success is retried transparently."""
    answers = iter([httpx.Response(503), httpx.Response(200, json=AD)])
    result = await client(lambda r: next(answers)).delete("", "s1")
    assert isinstance(result, Accepted)


@pytest.mark.anyio
async def test_persistent_429_raises_rate_limited_with_retry_after() -> None:
    """When 429 persists past the retries, RateLimited carries the Retry-After."""
    handler = lambda r: httpx.Response(429, headers={"Retry-After": "0"})  # noqa: E731
    with pytest.raises(RateLimited) as info:
        await client(handler).get("", "s1")
    assert info.value.retry_after == 0.0


@pytest.mark.anyio
async def test_timeouts_become_api_unavailable() -> None:
    """A timeout on every attempt raises ApiUnavailable, not an httpx exception."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ApiUnavailable, match="timed out"):
        await client(handler).get("", "s1")


@pytest.mark.anyio
async def test_get_of_unknown_ad_is_none() -> None:
    """404 on GET /ad/{source_id} means the API does not know the ad."""
    assert (
        await client(lambda r: httpx.Response(404, json={"detail": "Not found."})).get("", "s1")
        is None
    )


@pytest.mark.anyio
async def test_list_with_logs_pages_and_reads_both_spellings() -> None:
    """The list is read page by page; `logs`/`message` are accepted like `log`."""
    old_style = {
        "source_id": "s2",
        "state": "deleted",
        "logs": [
            {"created": "2026-11-25 12:00:00", "action": "delete", "state": "done", "message": "ok"}
        ],
    }
    pages = {
        "0": {"count": 2, "next": "n", "previous": None, "results": [AD]},
        "1": {"count": 2, "next": None, "previous": "p", "results": [old_style]},
    }
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json=pages[request.url.params["offset"]])

    ads = await client(handler).list_with_logs("D1", ["s1", "s2"])
    assert [a.source_id for a in ads] == ["s1", "s2"]
    assert ads[1].logs[0].state is LogState.DONE
    assert ads[1].logs[0].message == "ok"
    assert seen[0]["source_id__in"] == "s1,s2"
    assert seen[0]["include"] == "log"
    assert seen[0]["dealer_code"] == "D1"


def test_paths_follow_the_version_and_the_typed_switch() -> None:
    """Paths are /v{n}/ad, or /v4/{vehicle_type} with typed paths; ids are escaped."""
    assert ad_path(3, "a b/c") == "/v3/ad/a%20b%2Fc"
    assert ad_path(4, "x", vehicle_type="car") == "/v4/car/x"
    assert ad_path(3, vehicle_type="car") == "/v3/ad"


def test_every_path_segment_is_percent_encoded_or_refused() -> None:
    """URL syntax in an id is encoded once (``%`` too); dot segments cannot be sent."""
    assert ad_path(4, "g?200=1") == "/v4/ad/g%3F200%3D1"
    assert ad_path(4, "g#200", vehicle_type="car") == "/v4/car/g%23200"
    assert ad_path(4, "50%2F") == "/v4/ad/50%252F"
    assert ad_path(4, "åb") == "/v4/ad/%C3%A5b"
    for bad in ("", ".", ".."):
        with pytest.raises(ValueError, match="URL path segment"):
            ad_path(4, bad)


def test_token_auth_repr_hides_the_token() -> None:
    """The auth object's repr never shows the token."""
    assert TOKEN not in repr(TokenAuth(SecretStr(TOKEN)))


@pytest.mark.anyio
async def test_one_entry_per_request_is_merged_into_one_ad() -> None:
    """A list with an entry per POST/PATCH of one source_id gives one ad with all logs."""
    older = {**AD, "updated": "2026-11-25T12:00:01Z", "blocket_ad_id": "77"}
    newer = {
        "source_id": "s1",
        "state": "created",
        "updated": "2026-11-25T12:05:00Z",
        "log": [
            {
                "request_id": "r2",
                "created": "2026-11-25T12:05:00Z",
                "action": "update",
                "state": "done",
            }
        ],
    }
    page = {"count": 2, "next": None, "previous": None, "results": [older, newer]}
    ads = await client(lambda r: httpx.Response(200, json=page)).list_with_logs("", ["s1"])
    assert len(ads) == 1
    assert ads[0].blocket_ad_id == "77"
    assert [e.request_id for e in ads[0].logs] == ["r1", "r2"]


class _LazyBody(httpx.AsyncByteStream):
    """A body the client reads (and decodes) itself, as from the network."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


def _no_token_anywhere(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert TOKEN not in text


@pytest.mark.anyio
async def test_an_undecodable_body_is_api_unavailable_with_its_cause() -> None:
    """A gzip body that does not inflate is retried, then ApiUnavailable chained from httpx."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=_LazyBody(b"not gzip")
        )

    with pytest.raises(ApiUnavailable, match="could not be decoded") as info:
        await client(handler).get("", "s1")
    assert calls == 3
    assert isinstance(info.value.__cause__, httpx.DecodingError)
    _no_token_anywhere(info.value)


@pytest.mark.anyio
async def test_a_redirect_loop_is_a_contract_error_with_its_cause() -> None:
    """A client that follows redirects into a loop gets ApiContractError, not retried."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(302, headers={"Location": str(request.url)})

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr(TOKEN)),
        follow_redirects=True,
        max_redirects=2,
    )
    with pytest.raises(ApiContractError, match="redirect") as info:
        await BlocketClient(http).get("", "s1")
    assert calls == 3  # the first request and two redirects, once: no retry
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)
    _no_token_anywhere(info.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("bad framing"),
        httpx.UnsupportedProtocol("gopher"),
        httpx.DecodingError("bad gzip"),
        httpx.TooManyRedirects("loop"),
        httpx.RequestError("other"),
        httpx.InvalidURL("bad url"),
        httpx.StreamClosed(),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_no_httpx_error_escapes_the_client(error: Exception) -> None:
    """Every httpx exception becomes a SyncdError chained from it, its text without the token."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(SyncdError) as info:
        await client(handler).delete("D1", "s1")
    assert info.value.__cause__ is error
    assert TOKEN not in str(info.value)
    _no_token_anywhere(info.value)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "body", "said"),
    [
        ({"Content-Type": "text/html"}, b"<html><h1>502 Bad Gateway</h1></html>", "text/html"),
        ({"Content-Type": "application/json"}, b'{"id": "u1", "source_id": "s', "not JSON"),
        ({}, b"<html>captive portal</html>", "not JSON"),
    ],
    ids=["html-page", "cut-json", "no-content-type"],
)
async def test_an_answer_that_is_not_the_apis_json_is_temporary(
    headers: dict[str, str], body: bytes, said: str
) -> None:
    """A 200 with an HTML page, a cut JSON body or no JSON at all is ApiGarbled (exit 7)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    with pytest.raises(ApiGarbled, match=said) as info:
        await client(handler).get("", "s1")
    assert isinstance(info.value, TemporaryError)
    assert "HTTP 200" in str(info.value)
    assert repr(body.decode()[:20])[1:-1] in str(info.value)  # the first bytes, quoted
    _no_token_anywhere(info.value)


@pytest.mark.anyio
async def test_a_page_that_echoes_the_token_never_shows_it() -> None:
    """A proxy page quoting the request's headers is shown without the token, even cut."""
    for pad in range(0, 90, 7):  # the token at every place around the excerpt's cut
        page = f"<pre>{'x' * pad}X-Auth-Token: {TOKEN}\u202e\n</pre>".encode()

        def handler(request: httpx.Request, page: bytes = page) -> httpx.Response:
            return httpx.Response(200, headers={"Content-Type": "text/html"}, content=page)

        with pytest.raises(ApiGarbled) as info:
            await client(handler).get("", "s1")
        message = str(info.value)
        assert TOKEN[:8] not in message
        assert "\u202e" not in message
        assert "\n" not in message
        _no_token_anywhere(info.value)
