"""Adapter (marketplaces): the v3 → v4 migration call of the Pro Import API (a ``Migrator``).

The seed: "Use this endpoint to convert an existing V3 ad for Moped, Camper,
Caravan or Trailer to a V4 ad in-place ... Requires: A complete V4 payload".
The call is asynchronous like any write: 200 with the ad object and the request
id; its outcome comes in the ad's action log. The endpoint exists only in v4, so
its path is v4 whatever ``api.version`` says.
"""

from __future__ import annotations

from syncd.core.models import Payload, WriteResult
from syncd.marketplaces.calls import dealer_params
from syncd.marketplaces.catalog import BlocketCatalog
from syncd.marketplaces.paths import ad_path


class BlocketMigrator(BlocketCatalog):
    """The Pro Import API client with the v3 → v4 migration call."""

    async def migrate(self, dealer_code: str, source_id: str, payload: Payload) -> WriteResult:
        """Migrate one v3 ad with the whole v4 payload (the dealer as ``?dealer_code=``).

        Assumption: the body is the ad body as for POST /ad, without ``source_id``
        (the path names it) and ``dealer_code`` (an item endpoint takes it in the
        query, as PATCH does). Never re-sent blind: a retry after a lost answer is
        refused as "already a v4 ad", which the use case reads back and settles.
        """
        path = ad_path(4, source_id) + "/migrate"
        return await self._write(
            "POST",
            path,
            dealer_code,
            source_id,
            json=dict(payload),
            params=dealer_params(dealer_code),
        )
