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

Every path segment is percent-encoded in one place, :func:`segment`. The requests
themselves (the throttle, the retries, the status checks, httpx's errors translated)
go through :class:`~syncd.marketplaces.calls.ApiCalls`, this client's base.

The token travels only in the ``X-Auth-Token`` header set by :class:`TokenAuth`;
no message built here contains it. Every httpx exception is translated at this
boundary with ``raise ... from exc``: httpx's own messages name the URL (path and
query), never a header, so the cause is kept for the traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx
import structlog

from syncd.core import contacts
from syncd.core.categories import category
from syncd.core.models import Accepted, Payload, Rejected, RemoteAd, RemoteState, WriteResult
from syncd.errors import (
    ApiGarbled,
    CallRefusedByConfig,
    ConfigError,
)
from syncd.marketplaces.calls import (
    REQUEST_ID_HEADER,
    ApiCalls,
    ReadBack,
    TokenAuth,
    api_messages,
    body_excerpt,
    dealer_params,
)
from syncd.marketplaces.paths import ad_path, id_lists, segment
from syncd.marketplaces.responses import (
    merge_by_source_id,
    parse_ad,
    parse_page,
)
from syncd.marketplaces.throttle import Throttle

log = structlog.get_logger("syncd.blocket")

__all__ = ["BlocketClient", "TokenAuth", "ad_path", "segment"]

_FOUND_BY_READ_BACK = (
    "the ad exists: the answer to the POST was lost, and reading the ad back found it",
)


class BlocketClient(ApiCalls):
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
        super().__init__(
            http,
            api_version=api_version,
            retry_attempts=retry_attempts,
            retry_timeout=retry_timeout,
            throttle=throttle,
        )
        self._typed = typed_paths
        self._collection_seen = False  # GET /v{n}/ad answered other than 404 (see create)

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
