"""Vehicle values: did-you-mean matching and the check of brand, model, body type and fuels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.models import FeedMeta, InvalidItem, Origin, RawFeed, RawRecord
from syncd.core.suggest import closest, did_you_mean
from syncd.core.validate.feed import Limits, validate_feed
from syncd.core.validate.vehicles import check_vehicle_values, vehicle_needs
from syncd.core.vehicle_values import TypeValues, VehicleValues

WHEN = datetime(2025, 5, 1, tzinfo=UTC)
BRANDS = ("audi", "bmw", "kia", "land-rover", "tesla", "toyota", "volkswagen", "volvo")
VALUES = VehicleValues(
    fetched_at=WHEN,
    api_version=4,
    types={
        "car": TypeValues(
            brands=BRANDS,
            models={"volvo": ("v60", "v70", "xc60"), "volkswagen": ("golf", "passat")},
            body_types=("sedan", "station-wagon", "suv"),
            fuels=("petrol", "diesel", "electric"),
        )
    },
)


def test_a_misspelt_brand_gets_the_closest_slug() -> None:
    """'Volkswagon' is closest to 'volkswagen'."""
    assert closest("Volkswagon", BRANDS) == "volkswagen"
    assert did_you_mean("brand", "Volkswagon", BRANDS) == (
        "brand 'Volkswagon' is not valid; did you mean 'volkswagen'?"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [("VOLVO", "volvo"), ("Volvo", "volvo"), ("Land Rover", "land-rover"), ("TOYOTTA", "toyota")],
)
def test_matching_ignores_case_and_separators(given: str, expected: str) -> None:
    """Upper case, a space for the hyphen, a doubled letter: the slug is still found."""
    assert closest(given, BRANDS) == expected


def test_nothing_close_gets_no_suggestion() -> None:
    """A value like none of the choices is refused without a wild guess."""
    assert closest("Zaporozhets", BRANDS) is None
    assert did_you_mean("brand", "Zaporozhets", BRANDS) == "brand 'Zaporozhets' is not valid"


def _car(sid: str, **fields: Any) -> dict[str, Any]:
    return {
        "source_id": sid,
        "category_id": 1020,
        "body": "Välskött.",
        "price": [{"type": "list", "amount": 150000}],
        "category_fields": {"model_year": 2018, "registration_number": "ABC123", **fields},
    }


def _checked(*items: dict[str, Any], values: VehicleValues = VALUES) -> Any:
    meta = FeedMeta("feed.json", "0" * 64, 0, WHEN)
    records = tuple(RawRecord(Origin("feed.json", line=i + 1), d) for i, d in enumerate(items))
    feed = validate_feed(
        RawFeed(meta, records), dealer_code="", api_version=4, limits=Limits(max_model_year=2026)
    )
    return check_vehicle_values(feed, values, api_version=4)


def test_only_the_item_with_an_unknown_brand_is_invalid() -> None:
    """The item with 'Volkswagon' is invalid, named by field and value; the other stays valid."""
    feed = _checked(_car("a", brand="volvo", model="v70"), _car("b", brand="Volkswagon"))
    assert [i.source_id for i in feed.items] == ["a"]
    (bad,) = feed.invalid
    assert isinstance(bad, InvalidItem)
    assert (bad.source_id, str(bad.origin)) == ("b", "feed.json:2")
    (issue,) = bad.issues
    assert issue.field == "category_fields.brand"
    assert issue.value == "Volkswagon"
    assert "did you mean 'volkswagen'?" in issue.reason


def test_items_sending_nothing_are_neither_checked_nor_needed() -> None:
    """An item the caller says sends nothing (a run's skipped one) stays valid whatever
    its values, and its brand is not among what the check needs."""
    meta = FeedMeta("feed.json", "0" * 64, 0, WHEN)
    cars = (_car("a", brand="Volkswagon"), _car("b", brand="volvo", model="v70"))
    records = tuple(RawRecord(Origin("feed.json", line=i + 1), d) for i, d in enumerate(cars))
    feed = validate_feed(
        RawFeed(meta, records), dealer_code="", api_version=4, limits=Limits(max_model_year=2026)
    )

    def spared(item: Any) -> bool:
        return bool(item.source_id == "a")

    checked = check_vehicle_values(feed, VALUES, api_version=4, unchanged=spared)
    assert [i.source_id for i in checked.items] == ["a", "b"]
    assert vehicle_needs(feed, api_version=4, unchanged=spared) == {"car": frozenset({"volvo"})}
    assert [i.source_id for i in check_vehicle_values(feed, VALUES, api_version=4).items] == ["b"]


def test_model_body_type_and_fuels_are_checked() -> None:
    """A model of the brand's list, a body type and each fuel are checked with suggestions."""
    feed = _checked(
        _car(
            "c",
            brand="volvo",
            model="xc6O",
            body_type="Kombi",
            powertrain={"fuels": ["petrol", "dieselx"]},
        )
    )
    (bad,) = feed.invalid
    reasons = {i.field: i.reason for i in bad.issues}
    assert reasons["category_fields.model"] == "model 'xc6O' is not valid; did you mean 'xc60'?"
    assert reasons["category_fields.body_type"] == "body type 'Kombi' is not valid"
    assert reasons["category_fields.powertrain.fuels[1]"].endswith("did you mean 'diesel'?")
    assert "category_fields.powertrain.fuels[0]" not in reasons


def test_what_the_lists_do_not_cover_is_not_checked() -> None:
    """A brand without a model list, an uncovered vehicle type, a plain category: all pass."""
    moto = _car("m", brand="nobody") | {"category_id": 1140}
    laptop = {
        "source_id": "l",
        "category_id": 5022,
        "title": "Laptop",
        "body": "Snabb.",
        "price": [{"type": "list", "amount": 7000}],
        "image_urls": ["https://cdn.example.com/a.jpg"],
        "contact": {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"},
    }
    feed = _checked(_car("k", brand="kia", model="anything"), moto, laptop)
    assert [i.source_id for i in feed.items] == ["k", "m", "l"]
    assert feed.invalid == ()


def test_values_survive_their_json_document() -> None:
    """The cache file's document gives back the same values."""
    assert VehicleValues.from_json(VALUES.to_json()) == VALUES
