"""Adapter (marketplaces): the whole Pro Import API client, one class of every concern.

Each concern is its own module on :class:`~syncd.marketplaces.blocket.BlocketClient`
(``catalog`` whole listings, ``lookups`` vehicle lists and validate,
``migration`` the v3 → v4 migrate call, ``renewals`` the paid calls); the
composition root builds this one class and hands it out typed by each port.
"""

from __future__ import annotations

from syncd.marketplaces.lookups import BlocketLookups
from syncd.marketplaces.migration import BlocketMigrator
from syncd.marketplaces.renewals import BlocketRenewer


class ProImportApi(BlocketMigrator, BlocketLookups, BlocketRenewer):
    """Marketplace, Catalog, Migrator, VehicleLookups and Renewer on one HTTP client."""
