"""Validation of feed items: every rule of the seed and api-notes, per category."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from syncd.core.categories import CATEGORIES, Category, Kind
from syncd.core.models import FeedItem, FeedMeta, InvalidItem, Issue, Origin, RawFeed, RawRecord
from syncd.core.payload import payload_hash
from syncd.core.validate.feed import Limits, validate_feed, validate_item

DEALER = "D1"
FEED_WRITTEN = datetime(2025, 5, 1, tzinfo=UTC)
LIMITS = Limits(max_model_year=2026)


def plain(**fields: Any) -> dict[str, Any]:
    """A valid ad in a plain category (Laptops), with some fields replaced or removed."""
    item = {
        "source_id": "laptop-1",
        "category_id": 5022,
        "title": "Laptop",
        "body": "Snabb och tyst.",
        "price": [{"type": "list", "amount": 7000}],
        "image_urls": ["https://cdn.example.com/a.jpg"],
        "contact": {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"},
    }
    return _apply(item, fields)


def car(**fields: Any) -> dict[str, Any]:
    """A valid ad of a registered vehicle (Cars), with some fields replaced or removed."""
    item = {
        "source_id": "car-1",
        "category_id": 1020,
        "body": "Välskött.",
        "price": [{"type": "list", "amount": 150000}],
        "category_fields": {"model_year": 2018, "registration_number": "ABC123"},
    }
    return _apply(item, fields)


_GONE = object()


def _apply(item: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    for key, value in fields.items():
        if value is _GONE:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def check(data: Any, *, api_version: int = 4, limits: Limits = LIMITS) -> FeedItem | InvalidItem:
    """Validate one raw item as the 4th record of feed.json."""
    record = RawRecord(Origin("feed.json", line=4), data)
    return validate_item(record, api_version=api_version, dealer_code=DEALER, limits=limits)


def issues(data: Any, **kwargs: Any) -> list[Issue]:
    """The issues of one raw item (empty when it is valid)."""
    result = check(data, **kwargs)
    return list(result.issues) if isinstance(result, InvalidItem) else []


def feed(*items: Any) -> RawFeed:
    """A feed of raw items, at lines 1, 2, ..."""
    meta = FeedMeta("feed.json", "0" * 64, 0, FEED_WRITTEN)
    records = tuple(RawRecord(Origin("feed.json", line=i + 1), d) for i, d in enumerate(items))
    return RawFeed(meta, records)


def urls(n: int) -> list[str]:
    """n distinct image URLs."""
    return [f"https://cdn.example.com/{i}.jpg" for i in range(n)]


PRICE = {"type": "list", "amount": 7000}
CONTACT = {"name": "Anna", "phone": "0701234567", "email": "anna@example.com"}
CAR_FIELDS = {"model_year": 2018, "registration_number": "ABC123"}

# (id, raw item, field, reason): each row is one bad input and the one issue it must give.
BAD: list[tuple[str, Any, str, str]] = [
    ("not an object", ["laptop"], "item", "must be a JSON object (an ad), got array"),
    ("source_id missing", plain(source_id=_GONE), "source_id", "is required"),
    ("source_id number", plain(source_id=12), "source_id", "must be a string, got number"),
    ("source_id blank", plain(source_id="  "), "source_id", "must not be empty"),
    (
        "source_id slash",
        plain(source_id="a/b"),
        "source_id",
        "must not contain '/' or ',', got 'a/b'",
    ),
    (
        "source_id spaces",
        plain(source_id=" a"),
        "source_id",
        "must not start or end with whitespace, got ' a'",
    ),
    (
        "source_id long",
        plain(source_id="x" * 101),
        "source_id",
        "is 101 characters long; at most 100",
    ),
    ("category missing", plain(category_id=_GONE), "category_id", "is required"),
    (
        "category string",
        plain(category_id="5022"),
        "category_id",
        "must be a whole number, got string",
    ),
    (
        "category bool",
        plain(category_id=True),
        "category_id",
        "must be a whole number, got boolean",
    ),
    (
        "category unknown",
        plain(category_id=9999),
        "category_id",
        "9999 is not a category of the Pro Import API",
    ),
    (
        "category unsupported",
        plain(category_id=4020),
        "category_id",
        "4020 (Personal > Children's Clothing & Shoes) is not yet supported by the API",
    ),
    ("title missing", plain(title=_GONE), "title", "is required"),
    ("title null", plain(title=None), "title", "is required"),
    ("title blank", plain(title=" \t"), "title", "must not be empty"),
    ("title number", plain(title=5), "title", "must be a string, got number"),
    ("title long", plain(title="x" * 201), "title", "is 201 characters long; at most 200"),
    ("body missing", plain(body=_GONE), "body", "is required"),
    (
        "body of megabytes",
        plain(body="x" * 1_000_000),
        "body",
        "is 1000000 characters long; at most 10000",
    ),
    ("price missing", plain(price=_GONE), "price", "is required"),
    ("price object", plain(price=PRICE), "price", "must be an array of price objects, got object"),
    ("price empty", plain(price=[]), "price", "must hold at least one price"),
    ("price not object", plain(price=[7000]), "price[0]", "must be an object, got number"),
    (
        "amount negative",
        plain(price=[{"type": "list", "amount": -1}]),
        "price[0].amount",
        "must not be negative, got -1",
    ),
    (
        "amount NaN",
        plain(price=[{"type": "list", "amount": math.nan}]),
        "price[0].amount",
        "must be a finite number, got nan",
    ),
    (
        "amount inf",
        plain(price=[{"type": "list", "amount": math.inf}]),
        "price[0].amount",
        "must be a finite number, got inf",
    ),
    (
        "amount bool",
        plain(price=[{"type": "list", "amount": True}]),
        "price[0].amount",
        "must be a whole number, got boolean",
    ),
    (
        "amount string",
        plain(price=[{"type": "list", "amount": "7000"}]),
        "price[0].amount",
        "must be a whole number, got string",
    ),
    (
        "amount fraction",
        plain(price=[{"type": "list", "amount": 7000.5}]),
        "price[0].amount",
        "must be a whole number, got 7000.5",
    ),
    (
        "amount absurd",
        plain(price=[{"type": "list", "amount": 10**11}]),
        "price[0].amount",
        "must be at most 10000000000, got 100000000000",
    ),
    ("amount missing", plain(price=[{"type": "list"}]), "price[0].amount", "is required"),
    (
        "price type",
        plain(price=[{"type": "sale", "amount": 1}]),
        "price[0].type",
        "must be one of 'list', 'reduced', 'leasing', got 'sale'",
    ),
    (
        "leasing plain",
        plain(price=[{"type": "leasing", "amount": 1}]),
        "price[0].type",
        "leasing prices are only for registered vehicles",
    ),
    (
        "two list prices",
        plain(price=[PRICE, PRICE]),
        "price[1].type",
        "a second 'list' price (the first is price[0])",
    ),
    (
        "currency",
        plain(price=[{**PRICE, "currency": "EUR"}]),
        "price[0].currency",
        "must be 'SEK', got 'EUR'",
    ),
    ("price typo", plain(price=[{**PRICE, "amout": 1}]), "price[0].amout", "unknown field"),
    (
        "only reduced",
        plain(price=[{"type": "reduced", "amount": 1}]),
        "price",
        "a reduced price needs a list or leasing price too (the API refuses reduced on a new ad)",
    ),
    (
        "images string",
        plain(image_urls="https://cdn.example.com/a.jpg"),
        "image_urls",
        "must be an array of URLs, got string",
    ),
    (
        "39 images",
        plain(image_urls=urls(39)),
        "image_urls[38]",
        "too many images: the API takes at most 38 image URLs, the item has 39",
    ),
    (
        "image ftp",
        plain(image_urls=["ftp://cdn.example.com/a.jpg"]),
        "image_urls[0]",
        "must be an http or https URL, got 'ftp://cdn.example.com/a.jpg'",
    ),
    (
        "image relative",
        plain(image_urls=["/img/a.jpg"]),
        "image_urls[0]",
        "must be an http or https URL, got '/img/a.jpg'",
    ),
    (
        "image credentials",
        plain(image_urls=["https://bob:hunter2@cdn.example.com/a.jpg"]),
        "image_urls[0]",
        "must not carry credentials (user:password@host)",
    ),
    (
        "image space",
        plain(image_urls=["https://cdn.example.com/my image.jpg"]),
        "image_urls[0]",
        "must not contain spaces or control characters (percent-encode them)",
    ),
    (
        "image gif",
        plain(image_urls=["https://cdn.example.com/a.GIF"]),
        "image_urls[0]",
        "is a .gif file; the API takes JPG and PNG only",
    ),
    ("image number", plain(image_urls=[5]), "image_urls[0]", "must be a URL string, got number"),
    (
        "image no host",
        plain(image_urls=["https:///a.jpg"]),
        "image_urls[0]",
        "has no valid host, got 'https:///a.jpg'",
    ),
    (
        "url scheme",
        plain(url="javascript:alert(1)"),
        "url",
        "must be an http or https URL, got 'javascript:alert(1)'",
    ),
    (
        "video_url",
        plain(video_url="youtube.com/watch?v=1"),
        "video_url",
        "must be an http or https URL, got 'youtube.com/watch?v=1'",
    ),
    (
        "product_declaration",
        plain(product_declaration=7),
        "product_declaration",
        "must be a URL string, got number",
    ),
    ("location string", plain(location="12133"), "location", "must be an object, got string"),
    (
        "zipcode space",
        plain(location={"zipcode": "121 33"}),
        "location.zipcode",
        "must be 5 digits without spaces, got '121 33'",
    ),
    (
        "zipcode number",
        plain(location={"zipcode": 12133}),
        "location.zipcode",
        "must be a string of 5 digits without spaces, got number",
    ),
    (
        "lkf length",
        plain(location={"lkf": "038"}),
        "location.lkf",
        "must be 4 or 6 digits, got '038'",
    ),
    (
        "two locations",
        plain(location={"zipcode": "12133", "lkf": "0380"}),
        "location",
        "give exactly one of zipcode, lkf or latitude+longitude, got zipcode and lkf",
    ),
    (
        "latitude alone",
        plain(location={"latitude": 59.5}),
        "location.longitude",
        "is required with latitude (they go together)",
    ),
    (
        "latitude range",
        plain(location={"latitude": 91, "longitude": 16}),
        "location.latitude",
        "must be between -90 and 90, got 91",
    ),
    (
        "longitude text",
        plain(location={"latitude": 59, "longitude": "east"}),
        "location.longitude",
        "must be a decimal number, got 'east'",
    ),
    ("location typo", plain(location={"zip": "12133"}), "location.zip", "unknown field"),
    ("contact missing", plain(contact=_GONE), "contact", "is required"),
    (
        "phone dashes",
        plain(contact={**CONTACT, "phone": "070-123 45 67"}),
        "contact.phone",
        "must be 8 to 16 characters: digits, with an optional leading + (no spaces or dashes)",
    ),
    (
        "phone short",
        plain(contact={**CONTACT, "phone": "1234567"}),
        "contact.phone",
        "must be 8 to 16 characters: digits, with an optional leading + (no spaces or dashes)",
    ),
    (
        "phone long",
        plain(contact={**CONTACT, "phone": "+" + "1" * 16}),
        "contact.phone",
        "must be 8 to 16 characters: digits, with an optional leading + (no spaces or dashes)",
    ),
    (
        "email",
        plain(contact={**CONTACT, "email": "anna.example.com"}),
        "contact.email",
        "must be an e-mail address (name@domain)",
    ),
    (
        "contact name",
        plain(contact={"phone": "0701234567", "email": "a@b.se"}),
        "contact.name",
        "is required",
    ),
    ("contact typo", plain(contact={**CONTACT, "fax": "1"}), "contact.fax", "unknown field"),
    ("visible string", plain(visible="yes"), "visible", "must be true or false, got string"),
    (
        "dont_publish number",
        plain(dont_publish_on_failed_images=1),
        "dont_publish_on_failed_images",
        "must be true or false, got number",
    ),
    (
        "unknown field",
        plain(titel="Laptop"),
        "titel",
        "unknown field (not a field of the Pro Import API's ad)",
    ),
    (
        "other dealer",
        plain(dealer_code="D2"),
        "dealer_code",
        "is 'D2', but this feed is for dealer 'D1'",
    ),
    (
        "category_fields string",
        plain(category_fields="x"),
        "category_fields",
        "must be an object, got string",
    ),
    (
        "model_year old",
        plain(category_fields={"model_year": 1899}),
        "category_fields.model_year",
        "must be at least 1900, got 1899",
    ),
    (
        "model_year future",
        plain(category_fields={"model_year": 2027}),
        "category_fields.model_year",
        "must be at most 2026, got 2027",
    ),
    (
        "free NaN",
        plain(category_fields={"weight": math.nan}),
        "category_fields.weight",
        "must be a finite number, got nan",
    ),
    (
        "free too deep",
        plain(category_fields={"a": {"b": {"c": {"d": {"e": 1}}}}}),
        "category_fields.a.b.c.d",
        "is nested too deeply (at most 4 levels of objects in category_fields)",
    ),
    (
        "free long text",
        plain(category_fields={"note": "x" * 1001}),
        "category_fields.note",
        "is 1001 characters long; at most 1000",
    ),
    ("car fields missing", car(category_fields=_GONE), "category_fields", "is required"),
    (
        "car model_year",
        car(category_fields={"registration_number": "ABC123"}),
        "category_fields.model_year",
        "is required for a registered vehicle",
    ),
    (
        "car no plate",
        car(category_fields={"model_year": 2018}),
        "category_fields.registration_number",
        "a registered vehicle needs registration_number or vin",
    ),
    (
        "car plate spaces",
        car(category_fields={**CAR_FIELDS, "registration_number": "ABC 123"}),
        "category_fields.registration_number",
        "must be 1 to 6 letters and digits, no spaces, got 'ABC 123'",
    ),
    (
        "car vin short",
        car(category_fields={"model_year": 2018, "vin": "YV1ABC"}),
        "category_fields.vin",
        "must be 17 to 19 letters and digits, got 'YV1ABC'",
    ),
    (
        "car lkf",
        car(location={"lkf": "0380"}),
        "location.lkf",
        "is not allowed for registered vehicles; give zipcode or latitude+longitude",
    ),
    (
        "car mileage",
        car(category_fields={**CAR_FIELDS, "condition": {"mileage": {"value": -5, "unit": "km"}}}),
        "category_fields.condition.mileage.value",
        "must not be negative, got -5",
    ),
    (
        "car date",
        car(category_fields={**CAR_FIELDS, "in_traffic_date": "2020-13-01"}),
        "category_fields.in_traffic_date",
        "must be a date written YYYY-MM-DD, got '2020-13-01'",
    ),
    (
        "car equipments",
        car(category_fields={**CAR_FIELDS, "equipments": "abs"}),
        "category_fields.equipments",
        "must be an array of strings, got string",
    ),
    (
        "car vat flag",
        car(category_fields={**CAR_FIELDS, "is_vat_deductible": "yes"}),
        "category_fields.is_vat_deductible",
        "must be true or false, got string",
    ),
]


@pytest.mark.parametrize(
    ("data", "field", "reason"), [row[1:] for row in BAD], ids=[row[0] for row in BAD]
)
def test_bad_input_gives_one_clear_issue(data: Any, field: str, reason: str) -> None:
    """Each bad input is refused with exactly one issue naming the field and why."""
    assert issues(data) == [Issue(field, reason)]


def test_a_valid_plain_item_has_a_normalised_payload() -> None:
    """A valid item keeps its fields, minus source_id, with prices in canonical form."""
    result = check(plain(visible=True, url="https://shop.example.com/laptop-1"))
    assert isinstance(result, FeedItem)
    assert result.source_id == "laptop-1"
    assert result.category_id == 5022
    assert result.origin == Origin("feed.json", line=4)
    assert result.payload == {
        "category_id": 5022,
        "title": "Laptop",
        "body": "Snabb och tyst.",
        "price": [{"type": "list", "amount": 7000, "currency": "SEK"}],
        "image_urls": ["https://cdn.example.com/a.jpg"],
        "url": "https://shop.example.com/laptop-1",
        "contact": CONTACT,
        "visible": True,
    }
    assert result.payload_hash == payload_hash(result.payload)


def test_registered_vehicles_drop_title_contact_and_dealer_code() -> None:
    """A car's title and contact are left out of the payload without being errors."""
    result = check(car(title="Volvo", contact={"name": "x"}, dealer_code=DEALER, url_title="x"))
    assert isinstance(result, FeedItem)
    assert set(result.payload) == {"category_id", "body", "price", "category_fields"}


def test_leasing_is_allowed_for_registered_vehicles() -> None:
    """A car may carry a leasing price next to its list price."""
    result = check(car(price=[{"type": "leasing", "amount": 2999}, PRICE]))
    assert isinstance(result, FeedItem)
    assert [p["type"] for p in result.payload["price"]] == ["list", "leasing"]


def test_formatting_differences_give_the_same_hash() -> None:
    """Key order, integral floats, price order, omitted currency and nulls do not matter."""
    a = check(
        plain(price=[{"type": "reduced", "amount": 6000.0}, PRICE], location=None, video_url=None)
    )
    b = check(
        {
            **dict(reversed(list(plain().items()))),
            "price": [
                {"currency": "SEK", "amount": 7.0e3, "type": "list"},
                {"type": "reduced", "amount": 6000, "currency": "SEK"},
            ],
        }
    )
    assert isinstance(a, FeedItem)
    assert isinstance(b, FeedItem)
    assert a.payload_hash == b.payload_hash


def test_values_are_normalised() -> None:
    """Plates and VINs go upper case, coordinates become numbers, empty locations vanish."""
    result = check(
        car(
            location={"latitude": "59.5", "longitude": "16"},
            category_fields={
                "model_year": 2018.0,
                "registration_number": "abc123",
                "color": None,
                "condition": {"is_new_vehicle": False},
            },
        )
    )
    assert isinstance(result, FeedItem)
    assert result.payload["location"] == {"latitude": 59.5, "longitude": 16}
    assert result.payload["category_fields"] == {
        "model_year": 2018,
        "registration_number": "ABC123",
        "condition": {"is_new_vehicle": False},
    }
    empty = check(plain(location={"zipcode": None}))
    assert isinstance(empty, FeedItem)
    assert "location" not in empty.payload


def test_a_vin_is_enough_for_a_registered_vehicle() -> None:
    """A vehicle with a VIN and no plate is valid."""
    result = check(car(category_fields={"model_year": 2018, "vin": "yv1abc12345678901"}))
    assert isinstance(result, FeedItem)
    assert result.payload["category_fields"]["vin"] == "YV1ABC12345678901"


def test_38_images_are_accepted() -> None:
    """The API's maximum of 38 image URLs is itself valid."""
    result = check(plain(image_urls=urls(38)))
    assert isinstance(result, FeedItem)
    assert len(result.payload["image_urls"]) == 38


def test_image_urls_may_have_a_query_and_no_extension_by_default() -> None:
    """Query strings, ports, no extension, "_", IDN and IPv6 hosts all pass by default."""
    ok = [
        "https://cdn.example.com/a.JPEG?w=800&h=600",
        "https://cdn.io/image1/",
        "http://cdn.example.com:8080/b.png#x",
        "https://my_bucket.s3.amazonaws.com/c.jpg",
        "https://bilhandlare-åkersberga.se/d.jpg",
        "https://[2001:db8::1]/e.jpg",
    ]
    assert issues(plain(image_urls=ok)) == []


def test_strict_image_extensions_demand_jpg_or_png() -> None:
    """With strict_image_extensions, a URL must name a .jpg, .jpeg or .png file."""
    strict = Limits(max_model_year=2026, strict_image_extensions=True)
    assert issues(plain(image_urls=["https://cdn.example.com/a.png?w=1"]), limits=strict) == []
    assert issues(plain(image_urls=["https://cdn.io/image1/"]), limits=strict) == [
        Issue(
            "image_urls[0]", "must name a .jpg, .jpeg or .png file (the API takes JPG and PNG only)"
        )
    ]


def test_credentials_and_contact_data_are_never_echoed() -> None:
    """Reasons do not repeat a URL's password or the seller's phone and e-mail."""
    found = issues(
        plain(
            image_urls=["https://bob:hunter2@cdn.example.com/a.jpg"],
            contact={"name": "A", "phone": "07-12", "email": "secret.mail"},
        )
    )
    text = " ".join(str(i) for i in found)
    assert len(found) == 3
    assert "hunter2" not in text
    assert "07-12" not in text
    assert "secret.mail" not in text


def test_every_issue_of_an_item_is_reported() -> None:
    """An item with several problems lists them all, in field order."""
    found = issues(
        plain(title=_GONE, price=[{"type": "list", "amount": -5}], visible="no", extra=1)
    )
    assert [i.field for i in found] == ["extra", "title", "price[0].amount", "visible"]


def test_an_invalid_item_keeps_the_source_id_it_most_likely_means() -> None:
    """An invalid item names its source_id, or the ad a malformed one most likely means
    (so that the planner never deletes that ad), or None when there is none."""
    with_id = check(plain(body=_GONE))
    assert isinstance(with_id, InvalidItem)
    assert with_id.source_id == "laptop-1"
    for given, key in (
        ("a/b", "a/b"),
        (4711, "4711"),
        (" x ", "x"),
        (None, None),
        (["a"], None),
        (True, None),
    ):
        result = check(plain(source_id=given, body=_GONE))
        assert isinstance(result, InvalidItem)
        assert result.source_id == key, given


def test_category_fields_are_optional_for_plain_categories() -> None:
    """A plain category without category_fields is valid, and free fields pass through."""
    assert issues(plain()) == []
    result = check(plain(category_fields={"size": "M", "tags": ["a", 1.0, None]}))
    assert isinstance(result, FeedItem)
    assert result.payload["category_fields"] == {"size": "M", "tags": ["a", 1, None]}


def minimal(cat: Category, api_version: int) -> dict[str, Any]:
    """The smallest valid item for a category at an API version."""
    if cat.is_registered_vehicle(api_version):
        return car(category_id=cat.id)
    return plain(category_id=cat.id)


SUPPORTED = [c for c in CATEGORIES.values() if c.supported]


@pytest.mark.parametrize("api_version", [3, 4])
@pytest.mark.parametrize("cat", SUPPORTED, ids=[str(c.id) for c in SUPPORTED])
def test_every_category_has_its_required_fields(cat: Category, api_version: int) -> None:
    """For every category, the minimal item is valid and each required field is enforced."""
    registered = cat.is_registered_vehicle(api_version)
    item = minimal(cat, api_version)
    assert issues(item, api_version=api_version) == []
    required = ["body", "price"] + (["category_fields"] if registered else ["title", "contact"])
    for name in required:
        assert issues({**item, name: None}, api_version=api_version) == [
            Issue(name, "is required")
        ], name
    if not registered:
        assert issues({**item, "category_fields": None}, api_version=api_version) == []


@pytest.mark.parametrize("cat_id", [1045, 1101, 1102, 1121])
def test_v4_only_categories_are_simple_ads_on_v3(cat_id: int) -> None:
    """Trailers, caravans, motorhomes and mopeds need a title and contact through /v3/ad."""
    assert CATEGORIES[cat_id].kind is Kind.V4
    assert issues(car(category_id=cat_id), api_version=3) == [
        Issue("title", "is required"),
        Issue("contact", "is required"),
    ]
    assert issues(car(category_id=cat_id), api_version=4) == []


@pytest.mark.parametrize("cat_id", [4020, 4080])
def test_unsupported_categories_are_refused(cat_id: int) -> None:
    """The categories the seed marks "not yet supported" are refused."""
    found = issues(plain(category_id=cat_id))
    assert [i.field for i in found] == ["category_id"]
    assert found[0].reason.endswith("is not yet supported by the API")


def test_duplicate_source_ids_invalidate_every_occurrence() -> None:
    """All items sharing a source_id are invalid, each naming where the others are."""
    result = validate_feed(
        feed(plain(), plain(title="Other"), plain(source_id="x"), plain(body=_GONE)),
        dealer_code=DEALER,
        api_version=4,
        limits=LIMITS,
    )
    assert [i.source_id for i in result.items] == ["x"]
    assert [i.origin.line for i in result.invalid] == [1, 2, 4]
    first, second, third = result.invalid
    assert first.issues == (
        Issue(
            "source_id",
            "'laptop-1' is used by 3 items in the feed (also "
            "at feed.json:2, feed.json:4); it must be unique, so none is "
            "sent",
        ),
    )
    assert second.issues[0].reason.startswith(
        "'laptop-1' is used by 3 items in the feed (also at feed.json:1, feed.json:4)"
    )
    assert [i.field for i in third.issues] == ["body", "source_id"]


def test_feed_keeps_file_order_and_dealer() -> None:
    """validate_feed splits items into valid and invalid, each in file order."""
    result = validate_feed(
        feed(plain(source_id="a"), 5, plain(source_id="b")), dealer_code=DEALER, api_version=4
    )
    assert result.dealer_code == DEALER
    assert [i.source_id for i in result.items] == ["a", "b"]
    assert [i.origin.line for i in result.invalid] == [2]


def test_model_year_limit_follows_the_feed_date() -> None:
    """Without a configured maximum, model_year may be at most the year after the feed's."""
    ok = validate_feed(
        feed(car(category_fields={**CAR_FIELDS, "model_year": 2026})),
        dealer_code=DEALER,
        api_version=4,
    )
    late = validate_feed(
        feed(car(category_fields={**CAR_FIELDS, "model_year": 2027})),
        dealer_code=DEALER,
        api_version=4,
    )
    assert len(ok.items) == 1
    assert late.invalid[0].issues == (
        Issue("category_fields.model_year", "must be at most 2026, got 2027"),
    )


def test_an_empty_dealer_code_accepts_any_item_dealer_code() -> None:
    """With a dealer-scoped token (no feed dealer_code) an item's dealer_code is just dropped."""
    record = RawRecord(Origin("feed.json", line=1), plain(dealer_code="D9"))
    result = validate_item(record, api_version=4)
    assert isinstance(result, FeedItem)
    assert "dealer_code" not in result.payload


def test_a_whole_feed_is_shown_by_its_counts_not_every_item() -> None:
    """asyncio.run formats the repr of a command's result: a feed's is a count, not a copy."""
    raw = feed(plain(), plain(source_id="b", price="x"), plain(source_id="c"))
    result = validate_feed(raw, dealer_code=DEALER, api_version=4)
    assert repr(raw) == f"RawFeed(meta={raw.meta!r}, records=<3 entries>)"
    assert repr(result) == (
        f"ValidatedFeed(dealer_code='D1', meta={raw.meta!r}, items=<2 entries>, invalid=<1 entry>)"
    )
