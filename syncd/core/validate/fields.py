"""Core: checks for the ad's compound fields: price, image_urls, location and contact.

Pure: no I/O here. Same contract as ``rules.py``: each check appends issues
and returns the normalised value, or None when absent or wrong.
"""

from __future__ import annotations

import math
import re
from typing import Any

from syncd.core.models import Issue
from syncd.core.validate.rules import (
    Issues,
    Limits,
    code,
    good_url_where,
    kind,
    obj,
    one_of,
    shown,
    text,
    unknown_keys,
    url_path,
    url_problem,
    whole,
)

# --- price ----------------------------------------------------------------------

PRICE_TYPES = ("list", "reduced", "leasing")  # api-notes; also the canonical order
_PRICE_KEYS = frozenset({"type", "amount", "currency"})
_ORDER = {name: rank for rank, name in enumerate(PRICE_TYPES)}
_PRICE_FIELDS = tuple(f"price[{i}]" for i in range(len(PRICE_TYPES)))


def prices(
    value: Any, issues: Issues, limits: Limits, *, registered: bool | None
) -> list[dict[str, Any]] | None:
    """A non-empty list of ``{type, amount, currency}``, one price per type.

    ``registered`` None (category unknown) skips the leasing rule. Normalised:
    ``currency`` is always ``"SEK"`` and the prices are in the order list,
    reduced, leasing, so neither an omitted currency nor the feed's order
    causes an update.
    """
    if not isinstance(value, list):
        issues.append(Issue("price", f"must be an array of price objects, got {kind(value)}"))
        return None
    if not value:
        issues.append(Issue("price", "must hold at least one price"))
        return None
    if len(value) == 1 and (one := _plain_price(value[0], limits, registered)) is not None:
        return [one]
    before = len(issues)
    seen: dict[str, int] = {}
    result = [
        _price(item, i, issues, limits=limits, registered=registered, seen=seen)
        for i, item in enumerate(value)
    ]
    if len(issues) > before:
        return None
    if set(seen) == {"reduced"}:
        issues.append(
            Issue(
                "price",
                "a reduced price needs a list or leasing price too (the "
                "API refuses reduced on a new ad)",
            )
        )
        return None
    ok = [p for p in result if p is not None]
    return sorted(ok, key=lambda p: _ORDER[p["type"]]) if len(ok) > 1 else ok


def _plain_price(item: Any, limits: Limits, registered: bool | None) -> dict[str, Any] | None:
    """What ``prices`` makes of a list of this one price when nothing is wrong with it
    (the common case, without building field names); None: the general path decides.

    Plain: an object of ``type`` (list or leasing: a reduced price alone is refused),
    a whole ``amount`` (an int, not a bool) within limits, and no currency or SEK.
    """
    if type(item) is not dict:
        return None
    name, amount = item.get("type"), item.get("amount")
    if len(item) == 2:
        pass
    elif len(item) != 3 or item.get("currency") != "SEK":
        return None
    if (name != "list" and (name != "leasing" or registered is False)) or type(amount) is not int:
        return None
    if not 0 <= amount <= limits.max_amount:
        return None
    return {"type": name, "amount": amount, "currency": "SEK"}


def _price(
    item: Any,
    i: int,
    issues: Issues,
    *,
    limits: Limits,
    registered: bool | None,
    seen: dict[str, int],
) -> dict[str, Any] | None:
    field = _PRICE_FIELDS[i] if i < len(_PRICE_FIELDS) else f"price[{i}]"
    data = obj(item, field, issues)
    if data is None:
        return None
    unknown_keys(data, _PRICE_KEYS, f"{field}.", issues)
    kind_field = f"{field}.type"
    name = one_of(data.get("type"), kind_field, issues, PRICE_TYPES)
    if name == "leasing" and registered is False:
        issues.append(Issue(kind_field, "leasing prices are only for registered vehicles"))
    if name is not None and name in seen:
        issues.append(
            Issue(kind_field, f"a second {name!r} price (the first is price[{seen[name]}])")
        )
    elif name is not None:
        seen[name] = i
    if "amount" not in data:
        issues.append(Issue(f"{field}.amount", "is required"))
        amount = None
    else:
        amount = whole(data["amount"], f"{field}.amount", issues, 0, limits.max_amount)
    currency = data.get("currency", "SEK")
    if currency != "SEK":
        issues.append(Issue(f"{field}.currency", f"must be 'SEK', got {shown(currency)}"))
    return {"type": name, "amount": amount, "currency": "SEK"}


# --- image_urls -------------------------------------------------------------------


def image_urls(value: Any, issues: Issues, limits: Limits) -> list[str] | None:
    """At most ``max_images`` image URLs, in the order given (the ad's image order)."""
    if not isinstance(value, list):
        issues.append(Issue("image_urls", f"must be an array of URLs, got {kind(value)}"))
        return None
    most = limits.max_images
    if len(value) > most:
        # Named after the first URL too many; the rest are still checked.
        issues.append(
            Issue(
                f"image_urls[{most}]",
                f"too many images: the API takes at most "
                f"{most} image URLs, the item has {len(value)}",
            )
        )
    checked = []
    max_url, strict = limits.max_url, limits.strict_image_extensions
    for i, item in enumerate(value[:most]):
        # The common case inline (what image_url finds of a plain str, in one match):
        # a URL whose path names no other format; anything else to image_url.
        plain = type(item) is str and len(item) <= max_url and not strict
        if plain and _PLAIN_IMAGE.fullmatch(item) is not None:
            checked.append(item)
            continue
        if (kept := image_url(item, i, issues, limits)) is not None:
            checked.append(kept)
    return checked


_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
_OTHER_FORMATS = re.compile(
    r"\.(gif|webp|bmp|tiff?|heic|heif|svg|avif|ico|pdf|mp4|mov)$", re.IGNORECASE
)
# An image URL as image_url accepts it, in one match: a good URL whose path does not
# end with one of _OTHER_FORMATS' extensions (a lookbehind after the path group; one
# per length, as a lookbehind has a fixed width). Where it refuses, image_url decides
# (a URL with no path, whose host ends in .gif, say).
_OTHER_BY_LENGTH = (("gif", "bmp", "tif", "svg", "ico", "pdf", "mp4", "mov"),
                    ("webp", "tiff", "heic", "heif", "avif"))  # fmt: skip
_PLAIN_IMAGE = good_url_where(
    "".join(rf"(?<!\.(?i:{'|'.join(same)}))" for same in _OTHER_BY_LENGTH)
)


def image_url(value: Any, index: int, issues: Issues, limits: Limits) -> str | None:
    """An image URL: an http(s) URL that is JPG or PNG as far as its path tells.

    See ``Limits.strict_image_extensions`` for how strict "as far as its path
    tells" is; the field name is only built when there is an issue to report.
    """
    path = url_path(value, limits.max_url)
    if path is None:
        issues.append(Issue(f"image_urls[{index}]", url_problem(value, limits.max_url)))
        return None
    if limits.strict_image_extensions and not path.lower().endswith(_IMAGE_EXTENSIONS):
        reason = "must name a .jpg, .jpeg or .png file (the API takes JPG and PNG only)"
        issues.append(Issue(f"image_urls[{index}]", reason))
        return None
    # A match can only start at the last dot (no extension holds one): look there alone.
    dot = path.rfind(".")
    other = _OTHER_FORMATS.match(path, dot) if dot >= 0 else None
    if other:
        reason = f"is a .{other.group(1).lower()} file; the API takes JPG and PNG only"
        issues.append(Issue(f"image_urls[{index}]", reason))
        return None
    return str(value)


# --- location ---------------------------------------------------------------------

_LOCATION_KEYS = frozenset({"zipcode", "lkf", "latitude", "longitude"})
_ZIPCODE = re.compile(r"[0-9]{5}")  # Swedish postcodes: five digits, no space
_LKF = re.compile(r"[0-9]{4}(?:[0-9]{2})?")


def location(value: Any, issues: Issues, *, registered: bool | None) -> dict[str, Any] | None:
    """Exactly one of zipcode, lkf or latitude+longitude; None for "all regions".

    Assumption: an empty object (or one holding only nulls) means the same as
    null, "all regions", and is normalised away, so that a later PATCH sends
    ``location: null`` to clear a previous location (``{}`` would merge into it).
    """
    data = obj(value, "location", issues)
    if data is None:
        return None
    unknown_keys(data, _LOCATION_KEYS, "location.", issues)
    given = {k: v for k, v in data.items() if v is not None and k in _LOCATION_KEYS}
    _one_way(given, issues)
    if "lkf" in given and registered:
        reason = "is not allowed for registered vehicles; give zipcode or latitude+longitude"
        issues.append(Issue("location.lkf", reason))
    result: dict[str, Any] = {}
    if "zipcode" in given:
        wanted = "5 digits without spaces"
        result["zipcode"] = code(given["zipcode"], "location.zipcode", issues, _ZIPCODE, wanted)
    if "lkf" in given:
        result["lkf"] = code(given["lkf"], "location.lkf", issues, _LKF, "4 or 6 digits")
    for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if name in given:
            result[name] = _degrees(given[name], f"location.{name}", issues, bound)
    return result or None


def _one_way(given: dict[str, Any], issues: Issues) -> None:
    """Report a location that gives more than one way, or half of a coordinate pair."""
    coords = {"latitude", "longitude"} & given.keys()
    if len(coords) == 1:
        (present,) = coords
        missing = "longitude" if present == "latitude" else "latitude"
        issues.append(
            Issue(f"location.{missing}", f"is required with {present} (they go together)")
        )
    ways = [w for w in ("zipcode", "lkf") if w in given] + (["coordinates"] if coords else [])
    if len(ways) > 1:
        got = " and ".join(ways)
        reason = f"give exactly one of zipcode, lkf or latitude+longitude, got {got}"
        issues.append(Issue("location", reason))


def _degrees(value: Any, field: str, issues: Issues, bound: float) -> float | int | None:
    """A decimal coordinate given as a number or a string (the seed shows both).

    Normalised to a number (an integral one to an int), so ``"59.5"`` and
    ``59.5`` are the same value.
    """
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        issues.append(Issue(field, f"must be a decimal number, got {shown(value)}"))
        return None
    if not -bound <= number <= bound:
        issues.append(Issue(field, f"must be between {-bound:g} and {bound:g}, got {number:g}"))
        return None
    return int(number) if number.is_integer() else number


# --- contact ----------------------------------------------------------------------

_CONTACT_KEYS = frozenset({"name", "phone", "email"})
_PHONE = re.compile(r"\+?[0-9]+")  # api-notes: digits, optional leading +, 8-16 characters
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def contact(value: Any, issues: Issues, limits: Limits) -> dict[str, Any] | None:
    """``{name, phone, email}``, each required (seed: contact table).

    Seller contact data is personal: reasons never quote the value, since
    issues end up in logs.
    """
    data = obj(value, "contact", issues)
    if data is None:
        return None
    unknown_keys(data, _CONTACT_KEYS, "contact.", issues)
    result = {}
    for key in ("name", "phone", "email"):
        if data.get(key) is None:
            issues.append(Issue(f"contact.{key}", "is required"))
            continue
        result[key] = text(data[key], f"contact.{key}", issues, limits.max_text)
    phone = result.get("phone")
    if phone is not None and not (_PHONE.fullmatch(phone) and 8 <= len(phone) <= 16):
        issues.append(
            Issue(
                "contact.phone",
                "must be 8 to 16 characters: digits, with an "
                "optional leading + (no spaces or dashes)",
            )
        )
    email = result.get("email")
    if email is not None and not _EMAIL.fullmatch(email):
        issues.append(Issue("contact.email", "must be an e-mail address (name@domain)"))
    return result
