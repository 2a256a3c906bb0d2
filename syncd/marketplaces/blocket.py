"""Adapter (marketplaces): the Pro Import API client (Blocket, Bytbil) on httpx, a ``Marketplace``.

The adapter takes a configured ``httpx.AsyncClient`` (base URL, timeouts and
transport are the composition root's business; tests pass an ASGI or mock
transport). It speaks the API's JSON, retries what is transient, and turns
answers into syncd's values:

* 2xx on a write → :class:`Accepted`; 400/404/409 → :class:`Rejected` (values,
  the executor decides), except a 404 on the POST of a new ad → :class:`ConfigError`
  (a wrong base URL), unless only its typed path is missing (``missing_vehicle_type``),
  a 404 on a PATCH or a DELETE while ``GET /v{n}/ad`` answers 404 too → the same
  :class:`ConfigError` (not every ad of the stock taken for unknown or gone), and a 400
  asking for ``dealer_code`` on a POST that named none → :class:`CallRefusedByConfig`
  (a dealer group's token on a feed without ``dealer_code``/``dealer_codes``);
* 401/403 → :class:`ApiAuthError` (never retried);
* timeouts, connection errors, undecodable bodies, 429 and 5xx → retried with
  exponential backoff and jitter (bounded in attempts and total time, honouring
  ``Retry-After``), then :class:`ApiUnavailable` / :class:`RateLimited`;
* a redirect loop, and any other httpx error → :class:`ApiContractError`;
* a POST is never re-sent blind: after an answer that may have followed an
  applied request (a timeout, a lost connection, an undecodable body, a 5xx) the
  ad is read back (``GET /ad/{source_id}``) before the retry, and when it is there
  the POST is not sent again: the answer is a 409 carrying the ad as read (the
  executor adopts it). The same rule as an INTENT create found at the start of a run.

Every path segment is percent-encoded in one place, :func:`segment`.

The token travels only in the ``X-Auth-Token`` header set by :class:`TokenAuth`;
no message built here contains it. Every httpx exception is translated at this
boundary with ``raise ... from exc``: httpx's own messages name the URL (path and
query), never a header, so the cause is kept for the traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx
import orjson
import stamina
import structlog
from pydantic import SecretStr

from syncd.core import contacts
from syncd.core.categories import category
from syncd.core.models import Accepted, Payload, Rejected, RemoteAd, RemoteState, WriteResult
from syncd.errors import (
    ApiAuthError,
    ApiContractError,
    ApiGarbled,
    ApiScopeError,
    ApiUnavailable,
    CallRefusedByConfig,
    ConfigError,
    RateLimited,
)
from syncd.marketplaces.paths import ad_path, id_lists, segment
from syncd.marketplaces.responses import (
    flatten_errors,
    merge_by_source_id,
    parse_ad,
    parse_page,
)
from syncd.marketplaces.throttle import Throttle
from syncd.ports import count_request, hand_over

log = structlog.get_logger("syncd.blocket")

__all__ = ["BlocketClient", "TokenAuth", "ad_path", "segment"]

REQUEST_ID_HEADER = "X-Request-Id"
"""Assumption: the id a write's log entries carry as ``request_id`` is echoed in this
header (the docs are silent; the sandbox follows it). Without it, reconcile falls
back to the time the call was sent."""

_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
_FOUND_BY_READ_BACK = (
    "the ad exists: the answer to the POST was lost, and reading the ad back found it",
)


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


class BlocketClient:
    """Async client of the Pro Import API for one token (dealer or dealer group)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_version: int = 4,
        typed_paths: bool = False,
        retry_attempts: int = 5,
        retry_timeout: float = 120.0,
        throttle: Throttle | None = None,
    ) -> None:
        self._http = http
        self._throttle = throttle or Throttle(rate=1000.0, concurrency=64)
        self._version = api_version
        self._typed = typed_paths
        self._collection_seen = False  # GET /v{n}/ad answered other than 404 (see create)
        self._attempts = retry_attempts
        self._retry_timeout = retry_timeout

    # --- writes -------------------------------------------------------------

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        """POST a new ad; ``dealer_code`` goes in the body when set (dealer groups)."""
        doc: dict[str, Any] = {"source_id": source_id, **body}
        if dealer_code:
            doc["dealer_code"] = dealer_code
        vehicle_type = self._vehicle_type(body.get("category_id"))
        path = ad_path(self._version, vehicle_type=vehicle_type)

        async def read_back() -> RemoteAd | None:
            remote = await self.get(dealer_code, source_id)
            # A deleted ad is an earlier one (a vehicle re-POSTed): this POST is not there.
            return remote if remote is not None and remote.state is RemoteState.CREATED else None

        result = await self._write(
            "POST", path, dealer_code, source_id, json=doc, read_back=read_back
        )
        if isinstance(result, Rejected) and result.status == 404:
            return await self._no_collection(dealer_code, path, vehicle_type)
        asked = _asks_for_dealer(result) if not dealer_code else ""
        if asked:
            raise CallRefusedByConfig(
                f"POST {path}: the API answered 400 ({asked}): the token is a dealer "
                "group's, whose creates must name the dealer: set the feed's dealer_code "
                "(one dealer) or dealer_codes (a dealer-group file) in the config"
            )
        return result

    async def _no_collection(
        self, dealer_code: str, path: str, vehicle_type: str | None
    ) -> Rejected:
        """A 404 on a POST: the collection itself is not there (a POST names no ad in its
        path; the API's 404 is "a source_id that does not exist").

        On ``/v{n}/ad`` (or when ``/v{n}/ad`` answers 404 too) the base URL is wrong and
        every create would be answered so: recorded as this ad's refusal it would never
        be sent again until the feed changed it, even after the URL is mended, so it
        stops the run (ConfigError; its intent is read back by the next run). On a typed
        path whose API does answer ``/v{n}/ad``, only this vehicle type is missing: its
        items are invalid for this run and the rest goes on (a Rejected carrying the
        type). Assumption: one GET on ``/v{n}/ad`` tells the two apart, once per client
        (the base URL does not change); each item of the missing type still sends its
        POST, so the type is used as soon as the API adds it.
        """
        if vehicle_type is not None and await self._collection_answers(dealer_code):
            return self._type_missing(f"POST {path}", vehicle_type)
        raise self._wrong_base_url(f"POST {path}")

    def _wrong_base_url(self, call: str) -> ConfigError:
        return ConfigError(
            f"{call}: the API answered 404 (no such endpoint): check api.base_url "
            f"(syncd appends /v{self._version}/ad, ...) and api.typed_paths"
        )

    async def _unless_no_collection(self, dealer_code: str, call: str) -> None:
        """A 404 on a PATCH or a DELETE: raise ConfigError when ``/v{n}/ad`` answers 404
        too (a wrong base URL), else return (the 404 means what the API says: no such ad).

        Assumption: a wrong base URL answers 404 to every call, so without this check
        one typo would make the executor take every ad of a stock for unknown to the
        API (a PATCH: the row forgets the remote ad, and the next run POSTs it again)
        or already gone (a DELETE). The ConfigError stops the run before anything is
        recorded on the ad: its intent stays, read back by the next run, as a create's.
        The GET is made once per client once it has answered (``_collection_answers``);
        calls in flight together may each ask while it has not."""
        if not await self._collection_answers(dealer_code):
            raise self._wrong_base_url(call)

    @staticmethod
    def _type_missing(call: str, vehicle_type: str) -> Rejected:
        return Rejected(
            404,
            (
                f"the API has no typed path for vehicle type {vehicle_type!r} ({call} "
                f"answered 404): set api.typed_paths = false, or wait until the API serves it",
            ),
            missing_vehicle_type=vehicle_type,
        )

    async def _collection_answers(self, dealer_code: str) -> bool:
        """Whether ``GET /v{n}/ad`` answers other than 404 (remembered once it has)."""
        if not self._collection_seen:
            params = {"limit": "1", **dealer_params(dealer_code)}
            response = await self._get(ad_path(self._version), params=params)
            self._collection_seen = response.status_code != 404
        return self._collection_seen

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> WriteResult:
        """PATCH only the given fields (the API deep-merges; null clears a field)."""
        vehicle_type = self._vehicle_type(category_id)
        path = ad_path(self._version, source_id, vehicle_type=vehicle_type)
        result = await self._write("PATCH", path, dealer_code, source_id, json=dict(changes))
        if not (isinstance(result, Rejected) and result.status == 404):
            return result
        await self._unless_no_collection(dealer_code, f"PATCH {path}")
        if vehicle_type is not None:
            # A 404 on a typed path: the ad unknown, or the API lacking the type's path.
            # Read on /v{n}/ad, a live ad tells the second (not forgotten as unknown).
            remote = await self.get(dealer_code, source_id)
            if remote is not None and remote.state is RemoteState.CREATED:
                return replace(self._type_missing(f"PATCH {path}", vehicle_type), remote=remote)
        return result

    async def delete(self, dealer_code: str, source_id: str) -> WriteResult:
        """DELETE an ad (soft: it reads ``deleted`` once the delete action is done)."""
        path = ad_path(self._version, source_id)
        result = await self._write("DELETE", path, dealer_code, source_id)
        if isinstance(result, Rejected) and result.status == 404:
            await self._unless_no_collection(dealer_code, f"DELETE {path}")
        return result

    # --- reads --------------------------------------------------------------

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        """One ad with its latest logs, or None when the API does not know it (404)."""
        response = await self._get(
            ad_path(self._version, source_id),
            params=dealer_params(dealer_code),
            source_id=source_id,
        )
        if response.status_code == 404:
            return None
        self._raise_unexpected(response, source_id)
        return parse_ad(self._json(response))

    async def list_with_logs(self, dealer_code: str, source_ids: Sequence[str]) -> list[RemoteAd]:
        """Every listed ad with its logs, through ``GET /ad?source_id__in=...&include=log``."""
        ads: list[RemoteAd] = []
        for chunk in id_lists(source_ids):
            ads.extend(await self._list_page_by_page(dealer_code, chunk))
        return merge_by_source_id(ads)

    async def _list_page_by_page(self, dealer_code: str, source_ids: list[str]) -> list[RemoteAd]:
        params = {
            "source_id__in": ",".join(source_ids),
            "include": "log",
            "limit": str(len(source_ids)),
            **dealer_params(dealer_code),
        }
        ads: list[RemoteAd] = []
        offset = 0
        while True:
            response = await self._get(
                ad_path(self._version), params={**params, "offset": str(offset)}
            )
            self._raise_unexpected(response, None)
            page, has_next = parse_page(self._json(response))
            ads.extend(page)
            if not has_next or not page:
                return ads
            offset += len(page)

    # --- plumbing -----------------------------------------------------------

    def _vehicle_type(self, category_id: object) -> str | None:
        if not self._typed or not isinstance(category_id, int):
            return None
        cat = category(category_id)
        return cat.vehicle_type if cat is not None else None

    async def _write(
        self,
        method: str,
        path: str,
        dealer_code: str,
        source_id: str,
        *,
        json: Mapping[str, Any] | None = None,
        read_back: ReadBack | None = None,
        params: Mapping[str, str] | None = None,
    ) -> WriteResult:
        if params is None:  # a POST of a new ad names its dealer in the body
            params = dealer_params(dealer_code) if method != "POST" else {}
        response = await self._send(
            method, path, params=params, json=json, source_id=source_id, read_back=read_back
        )
        if isinstance(response, RemoteAd):
            return Rejected(status=409, messages=_FOUND_BY_READ_BACK, remote=response)
        if 200 <= response.status_code < 300:
            remote = None
            if response.content:
                doc = self._json(response)
                if not isinstance(doc, dict):
                    # An ad is an object: a string or a list is not the API's answer, and
                    # the call must not be recorded as accepted on its word.
                    raise ApiGarbled(
                        f"{method} {response.request.url.path}: HTTP {response.status_code} "
                        f"answered JSON that is not an ad: {body_excerpt(response)}"
                    )
                remote = parse_ad(doc) if "source_id" in doc else None
            return Accepted(
                status=response.status_code,
                request_id=response.headers.get(REQUEST_ID_HEADER),
                remote=remote,
            )
        if response.status_code in (400, 404, 409, 422):
            return Rejected(status=response.status_code, messages=api_messages(response))
        self._raise_unexpected(response, source_id)
        raise AssertionError("unreachable")  # pragma: no cover

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


def _asks_for_dealer(result: WriteResult) -> str:
    """The messages (masked) of a 400 about the ``dealer_code`` field on a POST that named
    no dealer; ``""`` for any other answer. The API requires it "if auth scope is
    dealer_group" (the spec's POST /ad), so the token is a group's and every create of
    this feed would be answered so.

    Assumption: it is the feed's configuration, not this ad: recorded as the ad's
    refusal, each ad would not be sent again until the feed changed it, even once the
    config is mended; so it stops the run (exit 3) with nothing recorded on the ad, as a
    404 on the POST does. Its intent is dropped (CallRefusedByConfig), not left to be
    read back: mended, the feed's dealer is another, whose runs would never read it, and
    it would show pending for ever. The token is opaque to syncd (the sandbox's JWT
    claims are not the API's promise), so the first such answer is how it is found out.
    """
    if not isinstance(result, Rejected) or result.status != 400:
        return ""
    asked = [m for m in result.messages if m.startswith("dealer_code:")]
    return contacts.mask("; ".join(asked))


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
