"""The vehicle lists: the client's v3 and v4 paths against the sandbox, and the JSON cache
(refresh when stale, gaps filled, a failed refresh keeps the old lists, none: skipped)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from syncd.core.vehicle_values import TypeValues
from syncd.errors import ApiUnavailable
from syncd.marketplaces.lookups import BlocketLookups, validate_path, vehicle_values_path
from syncd.marketplaces.vehicle_cache import CachedVehicleValues
from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings
from tests.fakes import FakeVehicleLookups, FixedClock

CAR = TypeValues(brands=("volvo", "volkswagen"), body_types=("suv",), fuels=("diesel",))


def test_paths_follow_the_api_version() -> None:
    """v4: /v4/vehicles/{type}/{attribute} and /v4/{type}/validate; v3: /v3/vehicle/..."""
    assert vehicle_values_path(4, "car", "brands") == ("/v4/vehicles/car/brands", {})
    assert vehicle_values_path(3, "car", "fuels") == ("/v3/vehicle/fuels", {})
    assert vehicle_values_path(3, "motorcycle", "brands") == (
        "/v3/vehicle/brands",
        {"category_id": "1140"},
    )
    assert validate_path(4, 1020) == "/v4/car/validate"
    assert validate_path(4, 5022) == "/v4/ad/validate"
    assert validate_path(3, 1020) == "/v3/ad/validate"


@pytest.mark.parametrize("version", [3, 4])
def test_the_client_reads_the_sandbox_lists(version: int) -> None:
    """Brands, body types, fuels and a brand's models, page by page, on either version."""
    app = create_app(SandboxSettings())

    async def read() -> tuple[TypeValues, tuple[str, ...]]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://sandbox.test/pro-import-api",
            headers={"X-Auth-Token": mint_token(["D1"])},
        ) as http:
            client = BlocketLookups(http, api_version=version)
            return await client.vehicle_values("car"), await client.models("car", "volvo")

    values, models = asyncio.run(read())
    assert {"volvo", "volkswagen", "tesla"} <= set(values.brands)
    assert len(values.brands) > 30  # every brand, not only a first page
    assert "suv" in values.body_types
    assert "diesel" in values.fuels
    assert {"v60", "xc60"} <= set(models)


def _cache(tmp_path: Path, lookups: FakeVehicleLookups | None, clock: FixedClock):
    return CachedVehicleValues(
        lookups,
        tmp_path / "syncd.vehicles.json",
        clock=clock,
        api_version=4,
        max_age=timedelta(hours=24),
    )


def test_fetched_once_then_read_from_the_file(tmp_path: Path) -> None:
    """The first check fetches the type and the named brand's models; a second reads the file."""
    api = FakeVehicleLookups({"car": CAR}, {("car", "volvo"): ("v60",)})
    clock = FixedClock()
    needs = {"car": frozenset({"volvo", "Volkswagon"})}
    first = asyncio.run(_cache(tmp_path, api, clock).values_for(needs))
    assert first is not None
    assert first.types["car"].models == {"volvo": ("v60",)}
    assert sorted(api.calls) == [("models", "car", "volvo"), ("values", "car")]
    api.calls.clear()
    again = asyncio.run(_cache(tmp_path, api, clock).values_for(needs))
    assert again == first
    assert api.calls == []


def test_a_new_brand_is_added_and_a_stale_cache_fetched_again(tmp_path: Path) -> None:
    """A brand not yet cached costs one call; past max_age everything is fetched again."""
    api = FakeVehicleLookups({"car": CAR})
    clock = FixedClock()
    cache = _cache(tmp_path, api, clock)
    asyncio.run(cache.values_for({"car": frozenset({"volvo"})}))
    api.calls.clear()
    asyncio.run(cache.values_for({"car": frozenset({"volvo", "volkswagen"})}))
    assert api.calls == [("models", "car", "volkswagen")]
    api.calls.clear()
    clock.current += timedelta(hours=25)
    fresh = asyncio.run(cache.values_for({"car": frozenset({"volvo"})}))
    assert fresh is not None
    assert fresh.fetched_at == clock.current
    assert sorted(api.calls) == [
        ("models", "car", "volkswagen"),
        ("models", "car", "volvo"),
        ("values", "car"),
    ]


def test_a_failed_refresh_keeps_the_old_lists(tmp_path: Path) -> None:
    """The API down at refresh time: the stale lists are used, with a warning."""
    api = FakeVehicleLookups({"car": CAR})
    clock = FixedClock()
    cache = _cache(tmp_path, api, clock)
    old = asyncio.run(cache.values_for({"car": frozenset({"volvo"})}))
    clock.current += timedelta(days=3)
    api.failing = ApiUnavailable("GET /v4/vehicles/car/brands: HTTP 503")
    with capture_logs() as logs:
        kept = asyncio.run(cache.values_for({"car": frozenset({"volvo"})}))
        assert asyncio.run(cache.refresh()) == old
    assert kept == old
    assert [e["event"] for e in logs] == ["vehicle_values_refresh_failed"] * 2


def test_no_lists_and_no_api_means_no_check(tmp_path: Path) -> None:
    """Nothing cached and the API failing (or absent): None, with a warning; nothing written."""
    api = FakeVehicleLookups()
    api.failing = ApiUnavailable("down")
    with capture_logs() as logs:
        assert (
            asyncio.run(_cache(tmp_path, api, FixedClock()).values_for({"car": frozenset()}))
            is None
        )
        assert (
            asyncio.run(_cache(tmp_path, None, FixedClock()).values_for({"car": frozenset()}))
            is None
        )
    assert [e["event"] for e in logs] == ["vehicle_values_unavailable"] * 2
    assert not (tmp_path / "syncd.vehicles.json").exists()


def test_an_unreadable_cache_is_fetched_again(tmp_path: Path) -> None:
    """A cache file that is not the lists (cut, edited) is replaced by a fresh fetch."""
    (tmp_path / "syncd.vehicles.json").write_text("{not json", encoding="utf-8")
    api = FakeVehicleLookups({"car": CAR})
    with capture_logs() as logs:
        got = asyncio.run(_cache(tmp_path, api, FixedClock()).values_for({"car": frozenset()}))
    assert got is not None
    assert got.types["car"].brands == CAR.brands
    assert "vehicle_values_cache_unreadable" in [e["event"] for e in logs]
