"""The declarative mapping: a neutral record to an API payload, and the config checks."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.core.map import apply, map_records, missing_sources, parse_mapping, raw_records
from syncd.core.map.model import SpecError
from syncd.core.models import Issue, Origin

CAR: dict[str, Any] = {
    "maps": {
        "fuel": {"Bensin": "petrol", "Diesel": "diesel", "Bensin/etanol": ["petrol", "ethanol"]},
        "gearbox": {"Manuell": "manual", "Automatisk": "automatic"},
    },
    "skip": [{"source": "status", "equals": ["Såld"]}],
    "fields": {
        "source_id": "regno",
        "category_id": {
            "cases": [{"source": "body", "matches": "^Transportbil", "value": 1021}],
            "default": 1020,
        },
        "body": {"template": "{make} {model} {variant}"},
        "price[type=list]": {"source": "price", "transforms": ["amount"]},
        "category_fields.registration_number": "regno",
        "category_fields.model_year": {"source": "year", "transforms": ["int"]},
        "category_fields.brand": {"source": "make", "transforms": ["slug"]},
        "category_fields.condition.mileage.value": {
            "source": "miltal",
            "transforms": [{"unit": "mil"}],
        },
        "category_fields.condition.mileage.unit": {"const": "km"},
        "category_fields.powertrain.fuels": {"source": "fuel", "transforms": [{"map": "fuel"}]},
        "category_fields.powertrain.transmission": {
            "source": "gearbox",
            "transforms": [{"map": "gearbox"}],
        },
        "image_urls": {"source": "images/image", "transforms": [{"drop": "/$"}, {"take": 38}]},
        "contact.phone": {"source": ["phone", "phone2"], "transforms": ["phone"]},
        "location.zipcode": {"source": "zip", "default": "11122", "optional": True},
    },
}

RECORD = {
    "regno": ("ABC123",),
    "body": ("Transportbil - Skåp",),
    "make": ("Volkswagen",),
    "model": ("Transporter",),
    "variant": ("",),
    "price": ("264.000",),
    "year": ("2019",),
    "miltal": ("8 700",),
    "fuel": ("Bensin/etanol",),
    "gearbox": ("manuell",),
    "images/image": ("https://x/1.jpg", "https://x/", "https://x/"),
    "phone": ("",),
    "phone2": (" 070-123 45 67",),
    "status": ("I lager",),
}


def test_a_record_maps_to_the_payload():
    """Every kind of rule (source, case, template, const, default, value map, chain) applies."""
    payload, issues = apply(parse_mapping(CAR), RECORD)
    assert issues == ()
    assert payload == {
        "source_id": "ABC123",
        "category_id": 1021,
        "body": "Volkswagen Transporter",
        "price": [{"type": "list", "amount": 264000, "currency": "SEK"}],
        "category_fields": {
            "registration_number": "ABC123",
            "model_year": 2019,
            "brand": "volkswagen",
            "condition": {"mileage": {"value": 87000, "unit": "km"}},
            "powertrain": {"fuels": ["petrol", "ethanol"], "transmission": "manual"},
        },
        "image_urls": ["https://x/1.jpg"],
        "contact": {"phone": "0701234567"},
        "location": {"zipcode": "11122"},
    }


def test_a_case_that_does_not_hold_takes_the_default():
    """A body type that is not a van leaves the category at its default."""
    payload, _ = apply(parse_mapping(CAR), {**RECORD, "body": ("Kombi",)})
    assert payload["category_id"] == 1020


def test_a_value_map_miss_is_an_issue_naming_field_and_value():
    """A fuel the value map does not know makes an issue; the other fields still map."""
    payload, issues = apply(parse_mapping(CAR), {**RECORD, "fuel": ("Vätgas",)})
    assert issues == (
        Issue(
            "category_fields.powertrain.fuels",
            "'Vätgas' is not in the value map 'fuel' (from fuel)",
            value="Vätgas",
        ),
    )
    assert "fuels" not in payload["category_fields"]["powertrain"]
    assert payload["source_id"] == "ABC123"


def test_value_maps_are_case_insensitive_with_a_fallback():
    """Keys match whatever their case, and ``*`` catches the rest."""
    spec = {
        "maps": {"t": {"JA": True, "*": False}},
        "fields": {"visible": {"source": "v", "transforms": [{"map": "t"}]}},
    }
    mapping = parse_mapping(spec)
    assert apply(mapping, {"v": ("ja",)})[0] == {"visible": True}
    assert apply(mapping, {"v": ("kanske",)})[0] == {"visible": False}


def test_a_number_that_does_not_parse_is_an_issue():
    """A price of 'Ring för pris' is an issue naming the price field and the value."""
    _, issues = apply(parse_mapping(CAR), {**RECORD, "price": ("Ring för pris",)})
    assert [(i.field, i.value) for i in issues] == [("price[type=list]", "Ring för pris")]


def test_a_required_value_missing_is_an_issue():
    """``required`` makes an empty source an issue instead of a left-out field."""
    spec = {"fields": {"title": {"source": "t", "required": True}}}
    assert apply(parse_mapping(spec), {"t": (" ",)})[1] == (
        Issue("title", "no value: t is missing or empty"),
    )


def test_two_values_for_a_one_value_field_is_an_issue():
    """A column named twice gives two values; a field taking one says so."""
    spec = {"fields": {"title": "Titel"}}
    _, issues = apply(parse_mapping(spec), {"Titel": ("a", "b")})
    assert "gives 2 values" in issues[0].reason


def test_price_entries_by_type_and_a_dealer_field():
    """Regular and sale price become list and reduced entries; a dealer id maps to dealer_code."""
    spec = {
        "maps": {"dealers": {"17": "D17"}},
        "fields": {
            "price[type=list].amount": {"source": "p", "transforms": ["int"]},
            "price[type=reduced].amount": {"source": "s", "transforms": ["int"]},
            "dealer_code": {"source": "dealer", "transforms": [{"map": "dealers"}]},
        },
    }
    mapping = parse_mapping(spec)
    payload, _ = apply(mapping, {"p": ("100",), "s": ("90",), "dealer": ("17",)})
    assert payload == {
        "price": [{"type": "list", "amount": 100}, {"type": "reduced", "amount": 90}],
        "dealer_code": "D17",
    }
    assert apply(mapping, {"p": ("100",), "s": ("",), "dealer": ("17",)})[0]["price"] == [
        {"type": "list", "amount": 100}
    ]


def test_the_filter_skips_records_and_keeps_them_visible():
    """A sold record has no payload but is still listed as read."""
    mapping = parse_mapping(CAR)
    origin = Origin("f.xml", index=0)
    mapped = map_records(mapping, [(origin, {**RECORD, "status": ("såld",)}, ())])
    assert mapped[0].payload is None
    assert raw_records(mapped) == ()


def test_reader_issues_come_first_and_make_the_item_invalid():
    """Issues a reader found (too many cells) travel with the record."""
    issue = Issue("record", "has 3 cells; the header has 2")
    mapped = map_records(parse_mapping(CAR), [(Origin("f.csv", line=2), RECORD, (issue,))])
    assert raw_records(mapped)[0].issues == (issue,)


def test_a_source_no_record_has_is_one_problem():
    """A column the mapping names that no record has is reported once, with the columns found."""
    problems = missing_sources(parse_mapping(CAR), {"regno", "make"})
    assert "price[type=list]: no record has 'price'" in problems
    assert problems[-1].startswith("the file has: make, regno")
    assert missing_sources(parse_mapping(CAR), set(RECORD)) == []


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        (
            {"fields": {"title": {"source": "t", "transforms": ["trimm"]}}},
            "fields.title.transforms[0]",
        ),
        ({"fields": {"titel": "t"}}, "fields.titel"),
        ({"fields": {"contact.fax": "t"}}, "fields.contact.fax"),
        ({"fields": {"price[type=sale].amount": "t"}}, "fields.price[type=sale].amount"),
        (
            {"fields": {"body": {"source": "t", "transforms": [{"map": "nope"}]}}},
            "fields.body.transforms[0]",
        ),
        (
            {"fields": {"body": {"source": "t", "transforms": [{"take": 0}]}}},
            "fields.body.transforms[0].take",
        ),
        (
            {"fields": {"body": {"source": "t", "transforms": [{"drop": "("}]}}},
            "fields.body.transforms[0].drop",
        ),
        ({"fields": {"body": {"source": "t", "const": "x"}}}, "fields.body"),
        ({"fields": {"body": {"sorce": "t"}}}, "fields.body.sorce"),
        ({"fields": {"body": "t"}, "extra": 1}, "extra"),
        ({"maps": {}}, "fields"),
    ],
)
def test_a_wrong_mapping_names_the_key(spec: dict[str, Any], key: str):
    """Unknown transforms, targets, value maps and keys are errors naming the key."""
    with pytest.raises(SpecError) as info:
        parse_mapping(spec)
    assert info.value.key == key
