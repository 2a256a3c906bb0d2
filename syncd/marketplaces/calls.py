"""Adapter (marketplaces): the HTTP plumbing every Pro Import API call goes through.

:class:`ApiCalls` sends one request through the throttle's slot, retries what is
transient (timeouts, connection errors, undecodable bodies, 429 and 5xx: exponential
backoff with jitter, bounded in attempts and total time, honouring ``Retry-After``),
reads an ad back before a retry when the request may have been applied, tells the
throttle how the API answered, and translates httpx's failures and a refused token
into syncd's errors with ``raise ... from exc``. What an answer *means* for a write,
a read or a listing is the clients' business (:mod:`syncd.marketplaces.blocket` and the
clients built on it).

The token travels only in the ``X-Auth-Token`` header set by :class:`TokenAuth`;
an error answer's messages (:func:`api_messages`) and a body's excerpt
(:func:`body_excerpt`) have it cut out before anything is recorded, printed or logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any

import httpx
import orjson
import stamina
import structlog
from pydantic import SecretStr

from syncd.core import contacts
from syncd.core.models import RemoteAd
from syncd.errors import (
    ApiAuthError,
    ApiContractError,
    ApiGarbled,
    ApiScopeError,
    ApiUnavailable,
    RateLimited,
)
from syncd.marketplaces.responses import flatten_errors
from syncd.marketplaces.throttle import Throttle
from syncd.ports import count_request, hand_over

log = structlog.get_logger("syncd.blocket")

REQUEST_ID_HEADER = "X-Request-Id"
"""Assumption: the id a write's log entries carry as ``request_id`` is echoed in this
header (the docs are silent; the sandbox follows it). Without it, reconcile falls
back to the time the call was sent."""

_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
ReadBack = Callable[[], Awaitable[RemoteAd | None]]


class TokenAuth(httpx.Auth):
    """Adds ``X-Auth-Token``; its repr never shows the token."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "TokenAuth(token=**********)"


class _Transient(Exception):
    """Internal: a retryable answer; carries Retry-After when the API gave one."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        status: int | None = None,
        *,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        # Whether the request may have been applied although no usable answer came.
        self.maybe_applied = maybe_applied


def _backoff(exc: Exception) -> bool | float:
    if isinstance(exc, _Transient):
        return exc.retry_after if exc.retry_after is not None else True
    return False


class ApiCalls:
    """The requests of one client of the Pro Import API (one token), retried and checked."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_version: int = 4,
        retry_attempts: int = 5,
        retry_timeout: float = 120.0,
        throttle: Throttle | None = None,
    ) -> None:
        self._http = http
        self._throttle = throttle or Throttle(rate=1000.0, concurrency=64)
        self._version = api_version
        self._attempts = retry_attempts
        self._retry_timeout = retry_timeout

    async def _get(
        self, path: str, *, params: Mapping[str, str], source_id: str | None = None
    ) -> httpx.Response:
        response = await self._send("GET", path, params=params, source_id=source_id)
        assert isinstance(response, httpx.Response)  # no read_back: never a RemoteAd
        return response

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        source_id: str | None = None,
        read_back: ReadBack | None = None,
    ) -> httpx.Response | RemoteAd:
        """The answer, retried while transient; with ``read_back``, a retry after an
        answer that may have followed an applied request first reads the ad back,
        and what it finds (not None) is returned instead of sending again."""
        content = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        unsure = False
        try:
            async for attempt in stamina.retry_context(
                on=_backoff,
                attempts=self._attempts,
                timeout=self._retry_timeout,
                wait_initial=0.5,
                wait_max=30.0,
            ):
                with attempt:
                    if unsure and read_back is not None:
                        found = await read_back()
                        if found is not None:
                            log.info("ad_found_by_read_back", method=method, source_id=source_id)
                            return found
                    count_request(retry=attempt.num > 1)
                    try:
                        return await self._once(
                            method,
                            path,
                            params=params,
                            content=content,
                            headers=headers,
                            source_id=source_id,
                        )
                    except _Transient as exc:
                        unsure = unsure or exc.maybe_applied
                        raise
        except _Transient as exc:
            # Chained from the httpx error behind it, if any (_Transient is internal).
            if exc.status == 429:
                raise RateLimited(str(exc), exc.retry_after) from exc.__cause__
            raise ApiUnavailable(str(exc)) from exc.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        source_id: str | None,
    ) -> httpx.Response:
        """One request and its answer: a transient failure as ``_Transient`` (retried by
        ``_send``), a permanent one, or a refused token, raised; any other answer returned."""
        what = f"{method} {path}"
        response = await self._request(
            what, method, path, params=params, content=content, headers=headers
        )
        log.debug(
            "api_call", method=method, path=path, status=response.status_code, source_id=source_id
        )
        self._check_status(what, response)
        return response

    async def _request(
        self,
        what: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """The request through the throttle's slot; httpx's failures translated."""
        try:
            async with self._throttle.slot():
                # Past the throttle's wait: a cancellation from here on may find the
                # request sent (a paid call counts as maybe charged; before: not sent).
                hand_over()
                return await self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
        except httpx.TimeoutException as exc:
            raise _Transient(f"{what}: timed out", maybe_applied=True) from exc
        except httpx.TransportError as exc:
            raise _Transient(
                f"{what}: connection failed ({type(exc).__name__})", maybe_applied=True
            ) from exc
        except httpx.DecodingError as exc:  # a body cut or mangled on the way: try again
            # The answer came back, so the request may well have been applied.
            raise _Transient(
                f"{what}: the answer could not be decoded", maybe_applied=True
            ) from exc
        except httpx.TooManyRedirects as exc:
            # Permanent, not retried: the API itself never redirects, so a loop means
            # api.base_url points at something else (a portal, an http/https loop) —
            # as an unfollowed 3xx is a contract error in _raise_unexpected.
            raise ApiContractError(
                f"{what}: too many redirects; check that api.base_url is the API's"
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise ApiContractError(f"{what}: the request failed ({type(exc).__name__})") from exc

    def _check_status(self, what: str, response: httpx.Response) -> None:
        """Tell the throttle how the API answered; raise for a transient status (retried)
        and for a refused token."""
        if response.status_code == 429:
            self._throttle.rate_limited(_retry_after(response))
        elif response.status_code < 500:
            self._throttle.succeeded()
        if response.status_code in _TRANSIENT_STATUS:
            # Assumption: a 429 was refused before any work; any 5xx may come after the
            # request was applied (a proxy's 502/504, an API that fails late).
            raise _Transient(
                f"{what}: HTTP {response.status_code}",
                _retry_after(response),
                response.status_code,
                maybe_applied=response.status_code != 429,
            )
        if response.status_code in (401, 403):
            # Assumption (seed 003 vs api-notes disagree on which is which): either code can
            # mean a bad token; 403 may also mean "not this dealer", so it is the scope kind,
            # which stops this dealer's run but not the other dealers' of a group.
            kind = ApiAuthError if response.status_code == 401 else ApiScopeError
            raise kind(
                f"{what}: the API refused the token (HTTP {response.status_code}): it is "
                f"missing, wrong, expired or lacks the scope for this dealer; check "
                f"api.token, api.token_file or $SYNCD_API_TOKEN"
            )

    def _raise_unexpected(self, response: httpx.Response, source_id: str | None) -> None:
        if 200 <= response.status_code < 300:
            return
        detail = "; ".join(api_messages(response)) or response.reason_phrase
        where = f" for source_id {source_id}" if source_id else ""
        raise ApiContractError(
            f"{response.request.method} {response.request.url.path}{where}: "
            f"unexpected HTTP {response.status_code}: {detail}",
            ids=(source_id,),
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        where = f"{response.request.method} {response.request.url.path}"
        kind = response.headers.get("content-type", "")
        # Assumption: the API answers application/json (seed 003, "JSON bodies"); a
        # missing header is tolerated, another media type is a page from something
        # in between (a proxy's error page sent with 200), not the API's answer.
        if kind and "json" not in kind.split(";", 1)[0].lower():
            raise ApiGarbled(
                f"{where}: HTTP {response.status_code} answered {kind!r}, not JSON: "
                f"{body_excerpt(response)}"
            )
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise ApiGarbled(
                f"{where}: HTTP {response.status_code} with a body that is not JSON "
                f"(cut short, or a page from a proxy): {body_excerpt(response)}"
            ) from exc


def dealer_params(dealer_code: str) -> dict[str, str]:
    """The query parameters that name the dealer a call is for (none for the token's own)."""
    # Assumption (docs/architecture.md): with a dealer-group token, item endpoints and
    # lists take the dealer as ?dealer_code=; with a dealer token it is left out.
    return {"dealer_code": dealer_code} if dealer_code else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to exponential backoff


EXCERPT_CHARS = 80
"""How much of an unreadable body an error message shows."""


def body_excerpt(response: httpx.Response, limit: int = EXCERPT_CHARS) -> str:
    """The first characters of a body, quoted, escaped and never holding the token.

    A proxy's debug page may echo the request's headers: the token is cut out of a
    window long enough to hold it whole, then the excerpt is taken, so not even a
    prefix of it can survive at the cut. ``repr`` escapes control and bidi characters,
    so the body cannot forge a line of output.
    """
    token = response.request.headers.get("X-Auth-Token", "")
    window = response.content[: limit * 4 + len(token) * 4].decode("utf-8", "replace")
    if token:
        window = window.replace(token, "[token]")
    text = window[:limit]
    return repr(text + ("…" if len(window) > limit else "")) if text else "(empty body)"


MESSAGE_CHARS = 500
"""Characters of one API error message kept (recorded on the ad, shown by status)."""
MESSAGES_KEPT = 20
"""API error messages kept from one answer."""


def api_messages(response: httpx.Response) -> tuple[str, ...]:
    """An error answer's messages (``field: reason``), each without the token and cut.

    The API (or something in between) may echo the request, token included: it is cut
    out before anything is recorded on an ad, printed or logged; and a message is kept
    to a bounded length, so one answer cannot fill the mirror or the screen.
    """
    token = response.request.headers.get("X-Auth-Token", "")
    kept = []
    for message in flatten_errors(_safe_json(response))[:MESSAGES_KEPT]:
        clean = message.replace(token, "[token]") if token else message
        # contacts.cut: an address or a number the cut would split is dropped (what is
        # left of it would no longer be masked where the message is shown).
        kept.append(contacts.cut(clean, MESSAGE_CHARS - 1))
    return tuple(kept)


def _safe_json(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return body_excerpt(response, 500)
