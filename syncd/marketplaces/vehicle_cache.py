"""Adapter (marketplaces): the vehicle values, cached in a JSON file, a ``VehicleValuesSource``.

The cache file (beside the mirror by default, ``[vehicles] cache``) holds what the
API's vehicle lookup endpoints answered, and when. A feed's check asks for what
it needs (vehicle types, and the brands whose models it names):

* a cache older than ``max_age`` (or of another API version) is fetched again,
  whole (every type and brand it covers, and those needed);
* a fresh cache missing a type or a brand's models gets just those added;
* a failed fetch keeps the old cache and logs ``vehicle_values_refresh_failed``;
  with no cache at all the check is skipped (``vehicle_values_unavailable``):
  a lookup list never fails a run.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so
a daemon and a ``run-once`` sharing the file never read half of one.
Assumption: only brands the API lists have their models fetched (the API refuses
``models?brand=`` for others), and fetched models are kept until the next refresh.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson
import structlog

from syncd.core.vehicle_values import TypeValues, VehicleValues
from syncd.errors import SyncdError, shown
from syncd.ports import Clock, VehicleLookups

log = structlog.get_logger("syncd.vehicles")

Needs = Mapping[str, frozenset[str]]


class CachedVehicleValues:
    """The vehicle values from ``path``, refreshed through ``lookups`` when stale.

    ``lookups`` None (no API token, e.g. ``syncd validate`` offline): the cache is
    used as it is, however old, with a warning when it is stale.
    """

    def __init__(
        self,
        lookups: VehicleLookups | None,
        path: Path,
        *,
        clock: Clock,
        api_version: int,
        max_age: timedelta,
    ) -> None:
        self._lookups = lookups
        self._path = path
        self._clock = clock
        self._version = api_version
        self._max_age = max_age
        self._lock = asyncio.Lock()  # one fetch at a time: parallel runs share it

    async def values_for(self, needs: Needs) -> VehicleValues | None:
        """Values covering ``needs`` as far as the API lists them (see the module)."""
        if not needs:
            return None
        async with self._lock:
            cached = self._load()
            if cached is None or self._stale(cached):
                return await self._refreshed(cached, needs)
            missing = _missing(cached, needs)
            if not missing or self._lookups is None:
                return cached
            try:
                added = await self._fetch(missing, cached)
            except SyncdError as exc:
                log.warning(
                    "vehicle_values_refresh_failed", error=shown(exc), cache=str(self._path)
                )
                return cached
            merged = replace(cached, types={**cached.types, **added.types})
            self._save(merged)
            return merged

    async def refresh(self) -> VehicleValues | None:
        """Fetch again every type and brand the cache covers (the daemon's schedule)."""
        async with self._lock:
            cached = self._load()
            if cached is None:
                return None  # nothing known yet: the first feed's check fetches what it needs
            return await self._refreshed(cached, {})

    def _stale(self, values: VehicleValues) -> bool:
        old = self._clock.now() - values.fetched_at > self._max_age
        return old or values.api_version != self._version

    async def _refreshed(self, cached: VehicleValues | None, needs: Needs) -> VehicleValues | None:
        if self._lookups is None:
            if cached is not None:
                log.warning("vehicle_values_stale", cache=str(self._path))
            else:
                log.warning("vehicle_values_unavailable", cache=str(self._path), error="no API")
            return cached
        wanted = _covered(cached) if cached is not None else {}
        for vehicle_type, brands in needs.items():
            wanted[vehicle_type] = wanted.get(vehicle_type, frozenset()) | brands
        try:
            fresh = await self._fetch(wanted, None)
        except SyncdError as exc:
            event = "vehicle_values_refresh_failed" if cached else "vehicle_values_unavailable"
            log.warning(event, error=shown(exc), cache=str(self._path))
            return cached
        self._save(fresh)
        log.info("vehicle_values_refreshed", types=len(fresh.types), cache=str(self._path))
        return fresh

    async def _fetch(self, wanted: Needs, known: VehicleValues | None) -> VehicleValues:
        """The lists of the wanted types (``known``'s own where it has them) and the
        models of the wanted brands that the type lists."""
        # Imported when the lists are fetched: it brings the API client's module (and
        # httpx, without rich), which a run served by the cache does not need (start-up
        # time, issue 12).
        from syncd.extras import HTTPX_EXTRAS, import_without  # noqa: PLC0415

        import_without("httpx", HTTPX_EXTRAS)
        from syncd.marketplaces.lookups import all_of  # noqa: PLC0415

        assert self._lookups is not None
        lookups = self._lookups
        base = known.types if known is not None else {}
        new_types = [t for t in wanted if t not in base]
        fetched = await all_of(lookups.vehicle_values(t) for t in new_types)
        types = {
            **{t: base[t] for t in wanted if t in base},
            **dict(zip(new_types, fetched, strict=True)),
        }
        pairs = [
            (t, b)
            for t, brands in wanted.items()
            for b in sorted(brands)
            if b in types[t].brands and b not in types[t].models
        ]
        models = await all_of(lookups.models(t, b) for t, b in pairs)
        by_type: dict[str, dict[str, tuple[str, ...]]] = {}
        for (t, b), found in zip(pairs, models, strict=True):
            by_type.setdefault(t, {})[b] = found
        result = {
            t: replace(v, models={**v.models, **by_type.get(t, {})}) for t, v in types.items()
        }
        fetched_at = known.fetched_at if known is not None else self._clock.now()
        return VehicleValues(fetched_at=fetched_at, api_version=self._version, types=result)

    def _load(self) -> VehicleValues | None:
        try:
            return VehicleValues.from_json(orjson.loads(self._path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.warning("vehicle_values_cache_unreadable", cache=str(self._path), error=shown(exc))
            return None

    def _save(self, values: VehicleValues) -> None:
        data = orjson.dumps(values.to_json(), option=orjson.OPT_INDENT_2)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self._path.name, dir=self._path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, self._path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # The values are still used for this run; the next one fetches them again.
            log.warning("vehicle_values_cache_unwritable", cache=str(self._path), error=shown(exc))


def _covered(values: VehicleValues) -> dict[str, frozenset[str]]:
    """The types and brands (with models) a cache holds: what a refresh fetches again."""
    return {t: frozenset(v.models) for t, v in values.types.items()}


def _missing(values: VehicleValues, needs: Needs) -> dict[str, frozenset[str]]:
    """The needed types the cache lacks, and the listed brands whose models it lacks."""
    missing: dict[str, frozenset[str]] = {}
    for vehicle_type, brands in needs.items():
        known: TypeValues | None = values.types.get(vehicle_type)
        if known is None:
            missing[vehicle_type] = brands
            continue
        lacking = frozenset(b for b in brands if b in known.brands and b not in known.models)
        if lacking:
            missing[vehicle_type] = lacking
    return missing
