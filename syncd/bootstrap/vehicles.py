"""Composition root: the cached vehicle values, and the API's non-mutating helpers
``syncd validate`` uses without a mirror."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from syncd.bootstrap.api import api_client, build_http
from syncd.bootstrap.options import SystemClock
from syncd.config import VEHICLE_CACHE_NAME, Settings
from syncd.logs import REDACTOR
from syncd.marketplaces.vehicle_cache import CachedVehicleValues
from syncd.ports import Clock, VehicleLookups, VehicleValuesSource


def vehicle_cache_path(settings: Settings) -> Path:
    """Where the vehicle lists are cached: ``[vehicles] cache``, else beside a SQLite
    mirror (``syncd.db`` -> ``syncd.vehicles.json``), else in the working folder."""
    if settings.vehicles.cache is not None:
        return settings.vehicles.cache
    prefix = "sqlite:///"
    url = settings.database.url
    if url.startswith(prefix) and len(url) > len(prefix):
        db = Path(url[len(prefix) :].split("?", 1)[0])
        return db.with_name(db.stem + ".vehicles.json")
    return Path(VEHICLE_CACHE_NAME)


def vehicle_source(
    settings: Settings, lookups: VehicleLookups | None, clock: Clock
) -> VehicleValuesSource | None:
    """The cached vehicle values (None when ``[vehicles] check = false``)."""
    if not settings.vehicles.check:
        return None
    return CachedVehicleValues(
        lookups,
        vehicle_cache_path(settings),
        clock=clock,
        api_version=settings.api.version,
        max_age=timedelta(seconds=settings.vehicles.max_age),
    )


@dataclass
class ApiHelpers:
    """What ``syncd validate`` needs of the API without a mirror: the lookups (None
    without a token) and the vehicle values source built on them."""

    lookups: VehicleLookups | None
    vehicles: VehicleValuesSource | None


@asynccontextmanager
async def api_helpers(settings: Settings, *, need_api: bool = False) -> AsyncIterator[ApiHelpers]:
    """The API's non-mutating helpers, no mirror opened; the HTTP client closed after.

    Without a token (and not the embedded sandbox) the lookups are None and the
    vehicle values come from the cache alone; with ``need_api`` that is a ConfigError.
    """
    token = None if settings.api.embedded else settings.token()
    if token is None and not settings.api.embedded and not need_api:
        yield ApiHelpers(None, vehicle_source(settings, None, SystemClock()))
        return
    if token is not None:
        REDACTOR.add(token.get_secret_value())
    codes = sorted({c for f in settings.feeds for c in f.dealers if c})
    http = build_http(settings.api, token, codes)
    try:
        client = api_client(settings.api, http)
        yield ApiHelpers(client, vehicle_source(settings, client, SystemClock()))
    finally:
        await http.aclose()
