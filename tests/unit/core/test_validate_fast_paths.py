"""Validation's fast paths give what its general code gives, on varied items.

The fast paths (``whole``, ``_category``, ``prices``, ``image_urls``, string fields
of ``category_fields``) take only values of the exact built-in types (``type(x) is
int``, ``is str``, ``is dict``). A subclass of those types is the same JSON value
to every check, but never takes a fast path: so an item with its values made
subclasses goes through the general code alone, and must give the same result.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.models import FeedItem, InvalidItem, Issue, Origin, RawRecord
from syncd.core.validate.category_fields import category_fields
from syncd.core.validate.feed import Limits, validate_item
from syncd.core.validate.fields import image_urls, prices
from syncd.core.validate.rules import whole


class Str(str):
    __slots__ = ()


class Int(int):
    pass


class Dict(dict[str, Any]):
    pass


class List(list[Any]):
    pass


def general(value: Any) -> Any:
    """The same JSON value, with every dict, list, str and int (not bool) a subclass."""
    if isinstance(value, dict):
        return Dict({k: general(v) for k, v in value.items()})
    if isinstance(value, list):
        return List(general(v) for v in value)
    if isinstance(value, str):
        return Str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Int(value)
    return value


TEXT = st.sampled_from(["", " ", "Volvo", "x" * 1001, "abc123", "ABC123", "v60 ", "ä"])
NUMBER = st.one_of(
    st.sampled_from([0, -1, 1, 1899, 1900, 2018, 2027, 2028, 10_000_000, 10_000_001]),
    st.sampled_from([2018.0, 2018.5, True, False, None, "2018", float("nan")]),
    st.integers(),
)
EXTENSION = st.sampled_from(
    ["jpg", "png", "gif", "bmp", "tif", "tiff", "svg", "ico", "pdf", "mp4", "mov", "webp", "heic",
     "heif", "avif", "tiffs", "\u017fvg", "jpeg", "gi"]
).flatmap(lambda e: st.sampled_from([e, e.upper(), e.capitalize()]))  # fmt: skip
BUILT_URL = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "https:/"]),
        st.sampled_from(["img.example", "x", "-bad", "u:p@h", "[::1]", "h:8080", "x.gif", "ä.se"]),
        st.sampled_from(["", "/", "/a", "/a.b", "/a b", "/.", "/a."]),
        st.sampled_from(["", "."]).flatmap(lambda d: EXTENSION.map(lambda e: d + e if d else "")),
        st.sampled_from(["", "/b", "/"]),
        st.sampled_from(["", "?x=1", "?a.gif", "?"]),
        st.sampled_from(["", "#f.gif", "#"]),
    ),
)
URL = BUILT_URL | st.sampled_from(
    [
        "https://img.example/5/1.jpg",
        "https://img.example/a.gif",
        "https://img.example/a.GIF?x=1",
        "https://img.example/",
        "https://img.example",
        "http://h/a.b/c",
        "https://user:pw@host/a.jpg",
        "ftp://host/a.jpg",
        "https://host/a b.jpg",
        "https://-bad-/a.jpg",
        "HTTPS://HOST/A.PNG#f",
        "https://x/" + "a" * 2050,
        "",
        7,
    ]
)
PRICE = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["list", "reduced", "leasing", "sale", 1]), "amount": NUMBER},
        optional={"currency": st.sampled_from(["SEK", "EUR", None]), "extra": st.just(1)},
    ),
    st.sampled_from([None, "100", [], {}]),
)
CATEGORY_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "model_year": NUMBER,
        "registration_number": TEXT,
        "brand": st.one_of(TEXT, NUMBER),
        "model": TEXT,
        "color": st.one_of(TEXT, st.lists(TEXT, max_size=2)),
        "condition": st.one_of(
            st.fixed_dictionaries({}, optional={"mileage": st.fixed_dictionaries(
                {}, optional={"value": NUMBER, "unit": TEXT})}),
            TEXT,
        ),
        "powertrain": st.fixed_dictionaries(
            {}, optional={"fuels": st.one_of(st.lists(TEXT, max_size=3), TEXT)}
        ),
        "other": st.one_of(TEXT, NUMBER, st.dictionaries(st.just("k"), TEXT)),
    },
)  # fmt: skip
ITEM = st.fixed_dictionaries(
    {"source_id": st.sampled_from(["FAA005", "a/b", " x", ""])},
    optional={
        "category_id": st.sampled_from([1020, 5022, 1020.0, 7, 99_999, 100_000, "1020", True]),
        "body": TEXT,
        "title": TEXT,
        "price": st.one_of(st.lists(PRICE, max_size=3), PRICE),
        "image_urls": st.one_of(st.lists(URL, max_size=4), URL),
        "category_fields": st.one_of(CATEGORY_FIELDS, TEXT),
        "visible": st.sampled_from([True, False, 1]),
    },
)


def _result(item: FeedItem | InvalidItem) -> tuple[Any, ...]:
    if isinstance(item, FeedItem):
        return ("valid", item.source_id, item.category_id, item.payload, item.payload_hash)
    return ("invalid", item.source_id, item.issues, item.candidates)


@settings(max_examples=600, deadline=None)
@given(ITEM, st.sampled_from([Limits(max_model_year=2027), Limits(max_images=2)]))
def test_an_item_validates_as_its_general_path_does(data: dict[str, Any], limits: Limits) -> None:
    """Every valid payload and every issue the same, whichever path a value took."""
    origin = Origin("feed.csv", line=2)
    fast = validate_item(RawRecord(origin, data), api_version=4, limits=limits)
    slow = validate_item(RawRecord(origin, general(data)), api_version=4, limits=limits)
    assert _result(fast) == _result(slow)
    if isinstance(fast, FeedItem):  # plain built-in values in the payload, as before
        assert type(fast.payload) is dict


@given(st.one_of(st.integers(), st.integers(-(2**53), 2**53).map(float)))
def test_whole_numbers_check_as_in_general(value: int | float) -> None:
    fast: list[Issue] = []
    slow: list[Issue] = []
    wrapped = Int(value) if isinstance(value, int) else value
    assert whole(value, "f", fast, 0, 10_000) == whole(wrapped, "f", slow, 0, 10_000)
    assert fast == slow


CHECKS: dict[str, Any] = {
    "category_fields": lambda v, i, lim: category_fields(v, i, lim, registered=True),
    "other category_fields": lambda v, i, lim: category_fields(v, i, lim, registered=False),
    "price": lambda v, i, lim: prices(v, i, lim, registered=True),
    "leasing elsewhere": lambda v, i, lim: prices(v, i, lim, registered=False),
    "image_urls": image_urls,
}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(CHECKS)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            CATEGORY_FIELDS
            if "category_fields" in name
            else st.lists(URL, max_size=4)
            if name == "image_urls"
            else st.lists(PRICE, min_size=1, max_size=2),
        )
    ),
    st.sampled_from([Limits(max_model_year=2027), Limits(), Limits(strict_image_extensions=True)]),
)
def test_each_field_checks_as_its_general_path_does(case: tuple[str, Any], limits: Limits) -> None:
    """Field by field, so that a rare value of a field deep in an item is tried often."""
    name, value = case
    fast: list[Issue] = []
    slow: list[Issue] = []
    assert CHECKS[name](value, fast, limits) == CHECKS[name](general(value), slow, limits)
    assert fast == slow
