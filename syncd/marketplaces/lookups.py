"""Adapter (marketplaces): the Pro Import API's non-mutating helpers, a ``VehicleLookups``.

* the vehicle lookup endpoints (brands, a brand's models, body types, fuels of a
  vehicle type), read page by page like every list (``catalog.py``);
* the validate endpoint, which checks an ad's body and saves nothing.

Both share the client's retries, throttle and error translation
(:class:`~syncd.marketplaces.blocket.BlocketClient`). Their paths are built in
:func:`vehicle_values_path` and :func:`validate_path`, the one place each is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

from syncd.core.categories import CATEGORIES, category
from syncd.core.models import Payload, WriteResult
from syncd.core.vehicle_values import TypeValues
from syncd.errors import ApiContractError
from syncd.marketplaces.catalog import BlocketCatalog, NotFoundError
from syncd.marketplaces.paths import segment

T = TypeVar("T")

ATTRIBUTES = ("brands", "body_types", "fuels")
"""The lists of a vehicle type fetched besides the models of each brand."""


def vehicle_values_path(
    version: int, vehicle_type: str, attribute: str
) -> tuple[str, dict[str, str]]:
    """The path and query of one vehicle lookup list.

    Assumption (seed and api-notes): v3 serves ``/v3/vehicle/{attribute}`` (models
    with ``?brand=``), for cars unless ``?category_id=`` names another registered
    category (the seed does not say how v3 tells the types apart); v4 serves
    ``/v4/vehicles/{vehicle_type}/{attribute}`` (``/v4/vehicles/car/models?brand=...``).
    """
    if version >= 4:
        return f"/v4/vehicles/{segment(vehicle_type)}/{segment(attribute)}", {}
    query = {} if vehicle_type == "car" else {"category_id": str(_category_of(vehicle_type))}
    return f"/v3/vehicle/{segment(attribute)}", query


def validate_path(version: int, category_id: object) -> str:
    """The path of the validate endpoint for an ad of this category.

    Assumption: v3 uses ``/v3/ad/validate`` (the seed, unconfirmed elsewhere); v4 uses
    ``/v4/{vehicle_type}/validate`` (api-notes) for a category with a vehicle type,
    and ``/v4/ad/validate`` for the others, which api-notes does not cover.
    """
    cat = category(category_id) if isinstance(category_id, int) else None
    vehicle_type = cat.vehicle_type if cat is not None else None
    if version >= 4 and vehicle_type is not None:
        return f"/v4/{segment(vehicle_type)}/validate"
    return f"/v{version}/ad/validate"


async def all_of(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Every call's answer, in order, the calls run together; the first failure is raised
    only once all have ended (none is left running, none of its errors unread)."""
    answers = await asyncio.gather(*calls, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]  # no exception among them: all are T


def _category_of(vehicle_type: str) -> int:
    return min(c.id for c in CATEGORIES.values() if c.vehicle_type == vehicle_type)


class BlocketLookups(BlocketCatalog):
    """The Pro Import API client with the vehicle lookups and the validate endpoint."""

    async def vehicle_values(self, vehicle_type: str) -> TypeValues:
        """A vehicle type's brands, body types and fuels (models are fetched per brand)."""
        brands, body_types, fuels = await all_of(
            self._slugs(vehicle_type, a, {}) for a in ATTRIBUTES
        )
        return TypeValues(brands=brands, body_types=body_types, fuels=fuels)

    async def models(self, vehicle_type: str, brand: str) -> tuple[str, ...]:
        """The model slugs of one brand (empty when the API lists none)."""
        return await self._slugs(vehicle_type, "models", {"brand": brand})

    async def validate(self, dealer_code: str, source_id: str, body: Payload) -> WriteResult:
        """Ask the API whether it would accept this ad as a create; nothing is saved.

        Accepted: it would; Rejected (400) with the API's messages: it would not.
        The body is the one a POST would carry (``dealer_code`` for dealer groups).
        """
        doc: dict[str, Any] = {"source_id": source_id, **body}
        if dealer_code:
            doc["dealer_code"] = dealer_code
        path = validate_path(self._version, body.get("category_id"))
        return await self._write("POST", path, dealer_code, source_id, json=doc)

    async def _slugs(
        self, vehicle_type: str, attribute: str, extra: dict[str, str]
    ) -> tuple[str, ...]:
        path, query = vehicle_values_path(self._version, vehicle_type, attribute)
        slugs: list[str] = []
        try:
            async for doc in self._pages(path, {**query, **extra}, None):
                rows = doc if isinstance(doc, list) else doc.get("results") or []
                slugs.extend(s for s in (_slug(r) for r in rows) if s)
        except NotFoundError:
            raise ApiContractError(f"GET {path}: the API does not serve this list (404)") from None
        return tuple(dict.fromkeys(slugs))


def _slug(row: object) -> str | None:
    # Assumption: entries are {"slug": ..., "name": ...}; a bare string is taken as the slug.
    if isinstance(row, str):
        return row
    if isinstance(row, dict) and isinstance(row.get("slug"), str):
        return str(row["slug"])
    return None
