"""Sandbox: validation of ad bodies, answering Django-REST-Framework-style error dicts.

Pure: no I/O here. :func:`validate_ad` checks the *merged* document (so that
PUT/PATCH are judged on the ad they produce) plus the rules that concern what
was *sent* in this call (registered vehicles refuse ``title``/``contact`` in v4,
a ``reduced`` price is refused on POST, ``registration_number`` cannot change).
An empty dict means valid. Messages copy DRF's wording where DRF has one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from syncd.sandbox.categories import Category, category
from syncd.sandbox.price_rules import check_price
from syncd.sandbox.vehicle_rules import check_vehicle_fields, type_name

Errors = dict[str, Any]
Mode = Literal["create", "update", "migrate", "validate"]

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
NOT_BOOL = "Must be a valid boolean."
NOT_URL = "Enter a valid URL."
REFUSED_FOR_REGISTERED = "This field is not allowed for registered vehicles."

MAX_IMAGES = 38  # the seed: "you can send maximum 38 image URLs"
# Assumption: lengths are not documented; these are generous DRF-like limits.
MAX_TITLE, MAX_BODY, MAX_URL, MAX_NAME = 100, 10_000, 2_000, 100
# Assumption: a URL whose file name ends in another image format is refused at
# once (400); URLs without an extension are accepted (the format is only known
# once downloaded, like the seed's "https://cdn.io/image1/").
_OTHER_IMAGE_FORMATS = frozenset({"gif", "webp", "bmp", "tif", "tiff", "svg", "heic", "heif"})
_VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com")
_PHONE = re.compile(r"^\+?[0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ZIPCODE = re.compile(r"^[0-9]{5}$")
_LKF = re.compile(r"^[0-9]{4}([0-9]{2})?$")


@dataclass(frozen=True, slots=True)
class Context:
    """What validation needs to know about the call."""

    version: int
    mode: Mode
    today: date
    previous: Mapping[str, Any] | None = None


def validate_ad(doc: Mapping[str, Any], sent: Mapping[str, Any], ctx: Context) -> Errors:
    """DRF-style errors of the merged ``doc`` given what was ``sent``; {} when valid."""
    errors: Errors = {}
    cat = _check_category(doc, sent, errors)
    registered = cat is not None and cat.is_registered_vehicle(ctx.version)
    _check_required(doc, sent, errors, cat, ctx, registered=registered)
    if registered and ctx.version >= 4:
        for name in ("title", "contact"):
            if sent.get(name) is not None:
                errors[name] = [REFUSED_FOR_REGISTERED]
    for name, check in _SIMPLE.items():
        if doc.get(name) is not None and name not in errors:
            problems = check(doc[name])
            if problems:
                errors[name] = problems
    _check_structured(doc, sent, errors, ctx, cat, registered=registered)
    return errors


def _check_category(
    doc: Mapping[str, Any], sent: Mapping[str, Any], errors: Errors
) -> Category | None:
    cid = doc.get("category_id")
    if cid is None:
        return None
    if isinstance(cid, bool) or not isinstance(cid, int):
        errors["category_id"] = ["A valid integer is required."]
        return None
    cat = category(cid)
    if cat is None:
        errors["category_id"] = [f'"{cid}" is not a valid choice.']
    elif not cat.supported:
        errors["category_id"] = [f"Category {cid} is not yet supported."]
    return cat if cat is not None and cat.supported else None


def _check_required(
    doc: Mapping[str, Any],
    sent: Mapping[str, Any],
    errors: Errors,
    cat: Category | None,
    ctx: Context,
    *,
    registered: bool,
) -> None:
    required = ["category_id", "body", "price"]
    if not registered:
        required += ["title", "contact"]
    if cat is not None and cat.requires_category_fields(ctx.version):
        required.append("category_fields")
    for name in required:
        if doc.get(name) is None and name not in errors:
            errors[name] = [NULL if name in sent and sent[name] is None else REQUIRED]


def _check_structured(
    doc: Mapping[str, Any],
    sent: Mapping[str, Any],
    errors: Errors,
    ctx: Context,
    cat: Category | None,
    *,
    registered: bool,
) -> None:
    if doc.get("price") is not None:
        problems = check_price(doc["price"], creating=ctx.mode in ("create", "validate"))
        if not problems and not registered and _has_leasing(doc["price"]):
            problems = ["Leasing prices are only allowed for registered vehicles."]
        if problems:
            errors["price"] = problems
    if doc.get("location") is not None and "location" not in errors:
        loc = check_location(doc["location"], registered=registered)
        if loc:
            errors["location"] = loc
    if doc.get("contact") is not None and "contact" not in errors:
        contact = check_contact(doc["contact"])
        if contact:
            errors["contact"] = contact
    fields = doc.get("category_fields")
    if fields is not None and "category_fields" not in errors:
        if not isinstance(fields, dict):
            errors["category_fields"] = [_not_a_dict(fields)]
        elif registered and cat is not None:
            previous = (ctx.previous or {}).get("category_fields")
            sent_fields = sent.get("category_fields")
            problems = check_vehicle_fields(
                fields,
                vehicle_type=cat.vehicle_type or "",
                today=ctx.today,
                previous=previous if isinstance(previous, dict) else None,
                sent=sent_fields if isinstance(sent_fields, dict) else {},
            )
            if problems:
                errors["category_fields"] = problems


def _has_leasing(price: list[dict[str, Any]]) -> bool:
    return any(item.get("type") == "leasing" for item in price)


def _not_a_dict(value: Any) -> str:
    return f"Invalid data. Expected a dictionary, but got {type_name(value)}."


def check_string(value: Any, max_length: int) -> list[str]:
    """DRF CharField: a non-blank string of at most ``max_length`` characters."""
    if not isinstance(value, str):
        return [NOT_STRING]
    if not value.strip():
        return [BLANK]
    if len(value) > max_length:
        return [f"Ensure this field has no more than {max_length} characters."]
    return []


def check_url(value: Any) -> list[str]:
    """An absolute http(s) URL."""
    problems = check_string(value, MAX_URL)
    if problems:
        return problems
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        return [NOT_URL]
    return []


def _check_video(value: Any) -> list[str]:
    problems = check_url(value)
    host = (urlsplit(value).hostname or "") if not problems else ""
    if not problems and not any(host == h or host.endswith("." + h) for h in _VIDEO_HOSTS):
        problems = ["Only YouTube or Vimeo URLs are allowed."]
    return problems


def _check_bool(value: Any) -> list[str]:
    return [] if isinstance(value, bool) else [NOT_BOOL]


def check_images(value: Any) -> Any:
    """At most 38 http(s) URLs; JPG or PNG when the file name says its format."""
    if not isinstance(value, list):
        return [f'Expected a list of items but got type "{type_name(value)}".']
    if len(value) > MAX_IMAGES:
        return [f"Ensure this field has no more than {MAX_IMAGES} elements."]
    per_item: dict[str, list[str]] = {}
    for index, url in enumerate(value):
        problems = check_url(url)
        if not problems and _extension(url) in _OTHER_IMAGE_FORMATS:
            problems = ["Only JPG and PNG images are accepted."]
        if problems:
            per_item[str(index)] = problems
    return per_item or []


def _extension(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_location(value: Any, *, registered: bool) -> Any:
    """Exactly one of zipcode, lkf or latitude+longitude (or none: all regions)."""
    if not isinstance(value, dict):
        return [_not_a_dict(value)]
    errors: Errors = {}
    zipcode, lkf = value.get("zipcode"), value.get("lkf")
    if zipcode is not None and not (isinstance(zipcode, str) and _ZIPCODE.match(zipcode)):
        errors["zipcode"] = ["Enter a zip code of five digits, without spaces."]
    if lkf is not None and registered:
        errors["lkf"] = [REFUSED_FOR_REGISTERED]
    elif lkf is not None and not (isinstance(lkf, str) and _LKF.match(lkf)):
        errors["lkf"] = ["Enter a four or six digit LKF code."]
    lat, lon = value.get("latitude"), value.get("longitude")
    for name, coordinate, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        other = lon if name == "latitude" else lat
        if coordinate is None and other is not None:
            errors[name] = [f"{REQUIRED[:-1]} together with {_other(name)}."]
        elif coordinate is not None and not _in_range(coordinate, limit):
            errors[name] = [f"Enter a decimal {name} between -{limit} and {limit}."]
    given = [zipcode is not None, lkf is not None, lat is not None or lon is not None]
    if not errors and sum(given) > 1:
        errors["non_field_errors"] = ["Give only one of zipcode, lkf or latitude/longitude."]
    return errors


def _other(name: str) -> str:
    return "longitude" if name == "latitude" else "latitude"


def _in_range(value: Any, limit: int) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return -limit <= number <= limit


def check_contact(value: Any) -> Any:
    """``name``, ``phone`` (digits, optional leading +, 8 to 16 characters) and ``email``."""
    if not isinstance(value, dict):
        return [_not_a_dict(value)]
    errors: Errors = {}
    for name in ("name", "phone", "email"):
        item: Any = value.get(name)
        problems = [REQUIRED] if item is None else check_string(item, MAX_NAME)
        if not problems and name == "phone" and not (_PHONE.match(item) and 8 <= len(item) <= 16):
            problems = ["Enter a phone number of 8 to 16 digits, optionally starting with +."]
        if not problems and name == "email" and not _EMAIL.match(item):
            problems = ["Enter a valid email address."]
        if problems:
            errors[name] = problems
    return errors


_SIMPLE = {
    "title": lambda v: check_string(v, MAX_TITLE),
    "body": lambda v: check_string(v, MAX_BODY),
    "visible": _check_bool,
    "dont_publish_on_failed_images": _check_bool,
    "url": check_url,
    "video_url": _check_video,
    "product_declaration": check_url,
    "image_urls": check_images,
}
