"""The compiled mapping (``apply``) gives what the reference meaning of each rule gives."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.map import apply, parse_mapping
from syncd.core.map.model import Mapping, Record
from syncd.core.map.rule import put, value_of
from syncd.core.models import Issue

SPEC: dict[str, Any] = {
    "maps": {
        "fuel": {"Bensin": "petrol", "Bensin/etanol": ["petrol", "ethanol"], "*": "diesel"},
        "shape": {"a": {"x": 1}, "b": ["one", "two"]},
        "strict": {"ja": True, "nej": False},
    },
    "fields": {
        "source_id": "id",
        "title": {"source": ["t1", "t2"], "transforms": ["collapse"], "required": True},
        "body": {"template": "{t1} {t2} {n}"},
        "category_id": {
            "cases": [
                {"source": "t1", "matches": "^Transport", "value": 1021},
                {"source": "t2", "empty": True, "value": ""},
            ],
            "default": 1020,
        },
        "price[type=list].amount": {"source": "n", "transforms": ["int"]},
        "price[type=reduced]": {"source": "n2", "transforms": ["amount"]},
        "price[type=leasing].currency": {"source": "t2", "transforms": ["upper"]},
        "image_urls": {"source": "imgs", "transforms": [{"split": ", "}, {"take": 2}]},
        "visible": {"source": "flag", "transforms": [{"map": "strict"}], "default": True},
        "location": {"const": {"zipcode": "11122"}},
        "url": {"const": "https://dealer.example/"},
        "location.lkf": {"source": "n", "transforms": [{"regex_extract": "^(\\d{4})"}]},
        "contact": {"source": "s", "transforms": [{"map": "shape"}]},
        "category_fields.powertrain.fuels": {"source": "fuel", "transforms": [{"map": "fuel"}]},
        "category_fields.equipments": {"source": "n", "transforms": ["number"], "list": True},
        "category_fields.brand": {"source": "t1", "transforms": ["slug", "trim"]},
        "category_fields.color": {"source": "t2", "transforms": ["first"]},
        "category_fields.model": {"source": "t1", "transforms": [{"split": ","}]},
        "category_fields.tags": {"const": ["a", "b"]},
        "category_fields.vin": "t2",
        "category_fields.model_type": {"source": "t1", "transforms": ["slug"]},
        "category_fields.transmission": {"source": "t2", "transforms": ["phone"]},
        "category_fields.extras": {"source": "n2", "transforms": ["lower"], "list": True},
        "category_fields.body_type": {"source": "t1", "list": True},
        "category_fields.condition.mileage.value": {"source": "n", "transforms": [{"unit": "mil"}]},
        "category_fields.empty": {"const": ""},
        "category_fields.year": {"source": "n", "transforms": [{"number": ","}], "default": 0},
        "dont_publish_on_failed_images": {"source": "flag", "transforms": ["bool"]},
    },
}
MAPPING = parse_mapping(SPEC)
SOURCES = ("id", "t1", "t2", "n", "n2", "imgs", "flag", "s", "fuel")
TEXTS = st.sampled_from(
    [
        "",
        " ",
        "12",
        "1.125",
        "129 900 kr",
        "Transportbil - Skåp",
        "Volvo, V60",
        "https://x/1.jpg, https://x/2.jpg, https://x/3.jpg",
        "ja",
        "nej",
        "1",
        "a",
        "b",
        "Bensin",
        "Bensin/etanol",
        "12345 PLN",
        "ring för pris",
        "!!",
    ]
)
RECORDS = st.dictionaries(
    st.sampled_from(SOURCES), st.lists(TEXTS, max_size=3).map(tuple), max_size=len(SOURCES)
)


def reference(mapping: Mapping, record: Record) -> tuple[dict[str, Any], tuple[Issue, ...]]:
    """The mapping rule by rule, as ``rule.value_of`` and ``rule.put`` mean it (each value
    a copy, so that the mapping's own constants are never written into)."""
    payload: dict[str, Any] = {}
    issues: list[Issue] = []
    for rule in mapping.rules:
        value, issue = value_of(mapping, rule, record)
        if issue is not None:
            issues.append(issue)
        elif value is not None:
            put(payload, rule.path, copy.deepcopy(value))
    return payload, tuple(issues)


@settings(max_examples=400)
@given(RECORDS)
def test_the_compiled_rules_give_the_reference_payload_and_issues(record: Record):
    """Whatever a record holds (absent, empty, several or bad values), both agree."""
    assert apply(MAPPING, record) == reference(MAPPING, record)


def test_a_constant_object_is_not_changed_by_a_rule_writing_inside_it():
    """``location`` as a constant, then ``location.lkf`` from a column: the next record
    without that column gets the constant alone, not the previous record's lkf."""
    first, _ = apply(MAPPING, {"n": ("1234",)})
    second, _ = apply(MAPPING, {"n": ("",)})
    assert first["location"] == {"zipcode": "11122", "lkf": "1234"}
    assert second["location"] == {"zipcode": "11122"}


def test_a_value_map_entry_is_copied_into_each_payload():
    """A value map's object is the map's own: a payload holds a copy of it."""
    one, _ = apply(MAPPING, {"s": ("a",)})
    one["contact"]["x"] = 2
    two, _ = apply(MAPPING, {"s": ("a",)})
    assert two["contact"] == {"x": 1}
