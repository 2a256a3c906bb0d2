"""The payload builder: canonical JSON and hashes, PATCH diffs, revive patches, POST bodies."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.payload import (
    canonical_json,
    diff,
    full_patch,
    normalise,
    normalised_hash,
    payload_hash,
    same,
    split_reduced,
)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The API's PATCH semantics, independent of payload.py: objects merge, null clears."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- canonical JSON and hashes -------------------------------------------------------


def test_key_order_does_not_change_the_hash() -> None:
    """Two payloads that differ only in key order, at any depth, hash the same."""
    a = {"title": "Bil", "location": {"latitude": 59.5, "longitude": 16.7}, "visible": True}
    b = {"visible": True, "location": {"longitude": 16.7, "latitude": 59.5}, "title": "Bil"}
    assert payload_hash(a) == payload_hash(b)
    assert canonical_json(a) == canonical_json(b)


@pytest.mark.parametrize("text", ["7000", "7000.0", "7.0e3", "7e3", "7000.000"])
def test_number_formatting_does_not_change_the_hash(text: str) -> None:
    """An amount written 7000, 7000.0 or 7.0e3 in the feed file hashes the same."""
    parsed = orjson.loads(f'{{"price": [{{"type": "list", "amount": {text}}}]}}')
    assert payload_hash(parsed) == payload_hash({"price": [{"type": "list", "amount": 7000}]})


def test_whitespace_of_the_file_does_not_change_the_hash() -> None:
    """Indentation and spacing of the JSON text are not content."""
    pretty = orjson.loads('{\n  "title" :  "Bil",\n\t"body": "x"\n}')
    assert payload_hash(pretty) == payload_hash({"body": "x", "title": "Bil"})


def test_whitespace_inside_a_string_is_content() -> None:
    """A trailing space inside a value changes the hash (strings are not trimmed)."""
    assert payload_hash({"title": "Bil "}) != payload_hash({"title": "Bil"})


def test_a_boolean_is_not_a_number() -> None:
    """True and 1 hash differently, so a type change is never hidden."""
    assert payload_hash({"visible": True}) != payload_hash({"visible": 1})
    assert not same(True, 1)


def test_fractions_are_kept() -> None:
    """A non-integral float stays a float in the canonical form."""
    assert canonical_json({"lat": 59.53485752244251}) == b'{"lat":59.53485752244251}'


def test_huge_floats_stay_floats() -> None:
    """An integral float beyond 2**53 is not turned into an int (orjson could not write it)."""
    assert normalise(1e20) == 1e20
    assert isinstance(normalise(1e20), float)
    assert canonical_json(1e20) == orjson.dumps(1e20)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_have_no_canonical_form(bad: float) -> None:
    """NaN and infinities raise instead of silently hashing as null."""
    with pytest.raises(ValueError, match="no JSON form"):
        payload_hash({"price": [{"amount": bad}]})


def test_tuples_hash_like_lists() -> None:
    """A tuple and a list with the same items have the same canonical form."""
    assert payload_hash({"image_urls": ("a", "b")}) == payload_hash({"image_urls": ["a", "b"]})


def test_hash_is_sha256_hex_of_the_canonical_json() -> None:
    """The hash is a 64-character hex digest, equal to normalised_hash on normal payloads."""
    payload = {"category_id": 5021, "price": [{"type": "list", "amount": 7000}]}
    digest = payload_hash(payload)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert normalised_hash(payload) == digest


# --- diff ---------------------------------------------------------------------------

OLD: dict[str, Any] = {
    "category_id": 1020,
    "body": "Fin bil",
    "price": [{"type": "list", "amount": 150000, "currency": "SEK"}],
    "image_urls": ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"],
    "location": {"zipcode": "12133"},
    "category_fields": {
        "model_year": 2018,
        "registration_number": "ABC123",
        "color": "red",
        "condition": {"mileage": {"value": 12000, "unit": "km"}, "is_new_vehicle": False},
    },
}


def changed(**fields: Any) -> dict[str, Any]:
    """OLD with some top-level fields replaced (a field given as None is removed)."""
    new = {**OLD, **fields}
    return {k: v for k, v in new.items() if v is not None}


def test_no_change_diffs_to_nothing() -> None:
    """Equal payloads give an empty diff, whatever their key order."""
    assert diff(OLD, dict(reversed(list(OLD.items())))) == {}


def test_only_changed_top_level_fields_are_sent() -> None:
    """A changed body is the only key of the diff."""
    assert diff(OLD, changed(body="Mycket fin bil")) == {"body": "Mycket fin bil"}


def test_a_new_field_is_sent() -> None:
    """A field the old payload lacked is sent as is."""
    assert diff(OLD, changed(visible=False)) == {"visible": False}


def test_a_removed_field_is_sent_as_null() -> None:
    """A field that disappeared is sent as null, which clears it in a deep-merging API."""
    assert diff(OLD, changed(location=None)) == {"location": None}


def test_nested_objects_are_diffed_recursively() -> None:
    """Only the changed leaf of category_fields.condition.mileage is sent."""
    fields = {
        **OLD["category_fields"],
        "condition": {"mileage": {"value": 13000, "unit": "km"}, "is_new_vehicle": False},
    }
    expected = {"category_fields": {"condition": {"mileage": {"value": 13000}}}}
    assert diff(OLD, changed(category_fields=fields)) == expected


def test_a_removed_nested_field_is_null_inside_its_object() -> None:
    """A key dropped from category_fields is sent as null within category_fields."""
    fields = {k: v for k, v in OLD["category_fields"].items() if k != "color"}
    assert diff(OLD, changed(category_fields=fields)) == {"category_fields": {"color": None}}


def test_a_changed_list_is_sent_whole() -> None:
    """Changing one image URL sends the whole image list (the API replaces lists)."""
    images = ["https://cdn.example.com/1.jpg", "https://cdn.example.com/3.jpg"]
    assert diff(OLD, changed(image_urls=images)) == {"image_urls": images}


def test_a_reordered_list_is_a_change() -> None:
    """The order of image URLs is the order of the ad's images, so it is content."""
    images = list(reversed(OLD["image_urls"]))
    assert diff(OLD, changed(image_urls=images)) == {"image_urls": images}


def test_a_changed_price_sends_the_whole_price_list() -> None:
    """A new amount sends every price object, not a partial list."""
    prices = [{"type": "list", "amount": 140000, "currency": "SEK"}]
    assert diff(OLD, changed(price=prices)) == {"price": prices}


def test_number_formatting_is_not_a_change() -> None:
    """7000 against 7000.0 inside a list is no change."""
    old = {"price": [{"type": "list", "amount": 7000}]}
    assert diff(old, {"price": [{"type": "list", "amount": 7000.0}]}) == {}


def test_an_object_replaced_by_a_scalar_is_sent_whole() -> None:
    """When a field changes shape (object to string) the new value goes whole."""
    assert diff({"x": {"a": 1}}, {"x": "a"}) == {"x": "a"}


def test_switching_location_kind_clears_the_old_one() -> None:
    """Going from zipcode to lkf sends the lkf and a null zipcode."""
    assert diff(OLD, changed(location={"lkf": "0680"})) == {
        "location": {"lkf": "0680", "zipcode": None}
    }


# --- full_patch (revive) ---------------------------------------------------------------


def test_full_patch_without_old_payload_is_the_new_payload() -> None:
    """With the old payload unknown, the revive patch is the whole new payload."""
    assert full_patch(None, OLD) == OLD


def test_full_patch_carries_everything_and_clears_what_is_gone() -> None:
    """The revive patch holds every new field plus nulls for old-only fields, nested too."""
    new = changed(location=None, body="Ny text")
    new["category_fields"] = {"model_year": 2018, "registration_number": "ABC123"}
    patch = full_patch(OLD, new)
    assert patch["body"] == "Ny text"
    assert patch["price"] == OLD["price"]
    assert patch["location"] is None
    assert patch["category_fields"] == {
        "model_year": 2018,
        "registration_number": "ABC123",
        "color": None,
        "condition": None,
    }
    assert deep_merge(OLD, patch) == new


# --- split_reduced (POST bodies) --------------------------------------------------------


def test_a_payload_without_reduced_price_is_posted_whole() -> None:
    """No reduced price: the POST body is the payload and there is no follow-up."""
    body, followup = split_reduced(OLD)
    assert body == OLD
    assert followup is None


def test_a_reduced_price_is_split_into_a_followup_patch() -> None:
    """The POST body lacks the reduced price; the follow-up PATCH sends the whole list."""
    prices = [
        {"type": "list", "amount": 9000, "currency": "SEK"},
        {"type": "reduced", "amount": 7000, "currency": "SEK"},
    ]
    payload = changed(price=prices)
    body, followup = split_reduced(payload)
    assert body["price"] == [prices[0]]
    assert {k: v for k, v in body.items() if k != "price"} == {
        k: v for k, v in payload.items() if k != "price"
    }
    assert followup == {"price": prices}
    assert payload["price"] == prices  # the payload itself is not changed


# --- property: a diff applied by a deep-merging API yields the new payload --------------

_leaf = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.sampled_from(["a", "b", " a"]),
    st.lists(st.integers(0, 3), max_size=3),
)
_keys = st.sampled_from(["title", "body", "price", "location", "category_fields", "x"])
_json = st.recursive(_leaf, lambda inner: st.dictionaries(_keys, inner, max_size=4), max_leaves=12)
_payloads = st.dictionaries(_keys, _json, max_size=5)


@settings(max_examples=200, deadline=None)
@given(old=_payloads, new=_payloads)
def test_merging_the_diff_into_old_gives_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    """For any two null-free payloads, deep-merging diff(old, new) into old yields new."""
    assert deep_merge(old, diff(old, new)) == new
    assert deep_merge(old, full_patch(old, new)) == new
    assert (diff(old, new) == {}) == (payload_hash(old) == payload_hash(new))
