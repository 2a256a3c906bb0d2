"""Adapter (marketplaces): the whole Pro Import API client, one class of every concern.

Each concern is its own module on :class:`~syncd.marketplaces.blocket.BlocketClient`
(``catalog`` whole listings, ``lookups`` vehicle lists and validate,
``migration`` the v3 → v4 migrate call); the composition root builds this one
class and hands it out typed by each port.
"""

from __future__ import annotations

from syncd.marketplaces.lookups import BlocketLookups
from syncd.marketplaces.migration import BlocketMigrator


class ProImportApi(BlocketMigrator, BlocketLookups):
    """Marketplace, Catalog, Migrator and VehicleLookups on one HTTP client."""
