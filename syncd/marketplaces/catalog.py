"""Adapter (marketplaces): whole listings and action logs of the Pro Import API (a ``Catalog``).

``GET /ad?state=...&include=log`` and ``GET /ad/{source_id}/log`` read page by page
(limit/offset, following ``next`` until it is empty). The client is the
:class:`BlocketClient` itself, so these reads share its retries, throttle and errors.
"""

from __future__ import annotations

from typing import Any

from syncd.core.models import LogEntry, RemoteAd, RemoteState
from syncd.marketplaces.blocket import BlocketClient
from syncd.marketplaces.calls import dealer_params
from syncd.marketplaces.paths import ad_path
from syncd.marketplaces.responses import merge_by_source_id, parse_log, parse_page

PAGE_SIZE = 100
"""Assumption: the API serves pages of 100 (the seed's "last 100 messages"); a smaller
page the API chooses is followed the same way."""


class BlocketCatalog(BlocketClient):
    """The Pro Import API client with the whole-listing reads ``adopt`` and ``show`` use."""

    async def list_ads(self, dealer_code: str, state: RemoteState) -> list[RemoteAd]:
        """Every ad of the dealer in ``state``, with its latest logs (one per source_id)."""
        params = {"state": state.value, "include": "log", **dealer_params(dealer_code)}
        ads: list[RemoteAd] = []
        async for doc in self._pages(ad_path(self._version), params, None):
            page, _ = parse_page(doc)
            ads.extend(page)
        return merge_by_source_id(ads)

    async def ad_log(self, dealer_code: str, source_id: str) -> list[LogEntry] | None:
        """Every log entry of one ad, oldest first; None when the API does not know it."""
        path = ad_path(self._version, source_id) + "/log"
        params = {"ordering": "created", **dealer_params(dealer_code)}
        entries: list[LogEntry] = []
        try:
            async for doc in self._pages(path, params, source_id):
                rows = doc if isinstance(doc, list) else doc.get("results", [])
                entries.extend(e for e in (parse_log(r) for r in rows) if e is not None)
        except NotFoundError:
            return None
        # Assumption (api-notes): the order is not documented; sort by time, stably.
        return sorted(entries, key=lambda e: e.created)

    async def check_token(self, dealer_code: str) -> None:
        """One authenticated read that tells whether the API takes the token for this
        dealer: ``GET /ad?limit=1`` (the cheapest read seed 000 offers that is scoped
        to the dealer). Raises ApiAuthError (ApiScopeError on 403) when refused,
        ApiUnavailable when the API cannot answer."""
        params = {"limit": "1", **dealer_params(dealer_code)}
        # Assumption: any answer but 401/403 (and the transient ones the client retries)
        # means the API took the token; a 400 or 404 is not the token's fault.
        await self._get(ad_path(self._version), params=params)

    async def _pages(self, path: str, params: dict[str, str], source_id: str | None) -> Any:
        offset = 0
        while True:
            query = {**params, "limit": str(PAGE_SIZE), "offset": str(offset)}
            response = await self._get(path, params=query, source_id=source_id)
            if response.status_code == 404:
                raise NotFoundError
            self._raise_unexpected(response, source_id)
            doc = self._json(response)
            yield doc
            rows = doc if isinstance(doc, list) else doc.get("results") or []
            if isinstance(doc, list) or not doc.get("next") or not rows:
                return
            offset += len(rows)


class NotFoundError(Exception):
    """Internal: the API answered 404 (the ad is unknown)."""
