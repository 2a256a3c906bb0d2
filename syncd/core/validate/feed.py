"""Core: validation: a raw feed item becomes a normalised FeedItem or an InvalidItem.

Pure: no I/O here. The rules are the seed document's and ``api-notes.md``'s,
per category (``categories.py``); every problem of an item is reported as an
:class:`~syncd.core.models.Issue` naming the dotted field (``price[0].amount``,
``category_fields.model_year``) and a reason a dealer can act on. The checks
live in ``rules.py`` (scalars, URLs, limits), ``fields.py`` (price, images,
location, contact) and ``category_fields.py``.

The payload of a valid item is normalised: no ``source_id``/``dealer_code``;
no ``title``/``contact`` for registered vehicles (the API must not get them,
they are dropped, not errors); optional fields given as null left out (null and
absent mean the same to a deep-merging API); ``url_title`` dropped (deprecated,
"no longer used"); prices in canonical order with ``currency: "SEK"``;
registration numbers and VINs upper-cased; coordinates as numbers.

Speed (``bench/feeds.py``): the checks take a fast path for the common value of
an exact JSON type (``type(x) is int``, not a subclass), where nothing is to be
reported, and leave anything else to the general code; both give the same result
(``tests/unit/core/test_validate_fast_paths.py``), so no rules version changes.

Changing what any rule here (or in ``rules.py``, ``fields.py``,
``category_fields.py``, ``categories.py``) makes of an item? Bump
``known.RULES_VERSION``: runs skip validating items that did not change since
the API accepted them, trusting that the rules did not change either.

Assumption: unknown top-level fields are issues, not passed through, so that a
typo (``titel``) is caught instead of silently losing the title.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from syncd.core import source_ids
from syncd.core.categories import Category, category
from syncd.core.models import (
    FeedItem,
    InvalidItem,
    Issue,
    Origin,
    RawFeed,
    RawRecord,
    ValidatedFeed,
)
from syncd.core.payload import normalised_hash
from syncd.core.validate.category_fields import category_fields
from syncd.core.validate.fields import contact, image_urls, location, prices
from syncd.core.validate.rules import Issues, Limits, flag, kind, shown, text, url, whole

__all__ = [
    "Limits",
    "feed_limits",
    "source_id_issues",
    "validate_feed",
    "validate_item",
    "validated",
]

KNOWN_FIELDS = frozenset(
    {
        "source_id",
        "dealer_code",
        "category_id",
        "title",
        "body",
        "price",
        "image_urls",
        "url",
        "url_title",
        "video_url",
        "location",
        "contact",
        "category_fields",
        "dont_publish_on_failed_images",
        "product_declaration",
        "visible",
    }
)
UNREADABLE = "item"
"""The field of a reader's issue that its item could not be read at all (the first of
its issues): the item is invalid with that issue alone (``feeds/json_items.py``)."""
_SHOWN_DUPLICATES = 5
_DEFAULT_LIMITS = Limits()
_MAX_CATEGORY = 99_999


def validate_feed(
    raw: RawFeed, *, dealer_code: str, api_version: int, limits: Limits | None = None
) -> ValidatedFeed:
    """Validate every record of a feed, in file order.

    A source_id used by more than one record makes *all* of them invalid (which
    one is meant cannot be known), each naming where the others are.
    ``limits.max_model_year`` defaults to the year after the feed was written.
    """
    limits = feed_limits(raw, limits)
    results = [
        validate_item(record, dealer_code=dealer_code, api_version=api_version, limits=limits)
        for record in raw.records
    ]
    return validated(raw, dealer_code, results)


def feed_limits(raw: RawFeed, limits: Limits | None = None) -> Limits:
    """The limits a feed is validated with (``max_model_year`` filled in from the file)."""
    limits = limits or Limits()
    if limits.max_model_year is None:
        limits = dataclasses.replace(limits, max_model_year=raw.meta.modified_at.year + 1)
    return limits


def validated(
    raw: RawFeed, dealer_code: str, results: list[FeedItem | InvalidItem]
) -> ValidatedFeed:
    """The feed from each record's result (in file order), source_ids used twice made invalid."""
    duplicates = _duplicates(raw.records)
    if duplicates:
        results = [_mark_duplicate(r, duplicates) for r in results]
    items = tuple(r for r in results if isinstance(r, FeedItem))
    invalid = tuple(r for r in results if isinstance(r, InvalidItem))
    return ValidatedFeed(dealer_code=dealer_code, meta=raw.meta, items=items, invalid=invalid)


def validate_item(
    record: RawRecord, *, api_version: int, dealer_code: str = "", limits: Limits | None = None
) -> FeedItem | InvalidItem:
    """Validate one feed item on its own (uniqueness of source_id is the feed's job)."""
    limits = limits or _DEFAULT_LIMITS
    if record.issues and record.issues[0].field == UNREADABLE:
        # The reader could not read the item (a number past a float's range): nothing
        # of it is checked, its source_id (when the reader found one) keeps its live ad.
        return InvalidItem(record.origin, _best_effort_key(record.source_id()), record.issues)
    data = record.value()
    if not isinstance(data, dict):  # parsed JSON: objects are dicts
        issue = Issue("item", f"must be a JSON object (an ad), got {kind(data)}")
        return InvalidItem(record.origin, None, (*record.issues, issue))
    issues: Issues = []
    candidates = _repeated_keys(record, issues) if record.duplicate_keys else ()
    source_id = _source_id(data.get("source_id"), issues, limits)
    if (own_dealer := data.get("dealer_code")) is not None:
        _dealer_code(own_dealer, dealer_code, issues)
    if not KNOWN_FIELDS.issuperset(data):
        for key in data:
            if key not in KNOWN_FIELDS:
                issues.append(Issue(key, "unknown field (not a field of the Pro Import API's ad)"))
    cat = _category(data.get("category_id"), issues)
    payload = _payload(data, cat, api_version, issues, limits)
    if record.issues:  # from mapping; a field the mapping could not fill is not re-reported
        issues = [*record.issues, *(i for i in issues if not _covered(i, record.issues))]
    if issues or source_id is None or cat is None:
        key = source_id if source_id is not None else _best_effort_key(data.get("source_id"))
        if len(candidates) > 1:  # which of them is meant cannot be known
            key = None
        return InvalidItem(record.origin, key, tuple(issues), candidates)
    # source_id, category_id, payload, payload_hash, origin (positional: a little faster)
    return FeedItem(source_id, cat.id, payload, normalised_hash(payload), record.origin)


Check: TypeAlias = Callable[[Any, Issues, Limits, "bool | None"], Any]
"""A field check: the value, the issues to add to, the limits, and whether the
category is a registered vehicle (None: the category is unknown, so its rules
are skipped)."""

# The payload's fields, in the order their issues are reported.
_CHECKS: dict[str, Check] = {
    "title": lambda v, i, lim, reg: text(v, "title", i, lim.max_title),
    "body": lambda v, i, lim, reg: text(v, "body", i, lim.max_body),
    "price": lambda v, i, lim, reg: prices(v, i, lim, registered=reg),
    "image_urls": lambda v, i, lim, reg: image_urls(v, i, lim),
    "url": lambda v, i, lim, reg: url(v, "url", i, lim.max_url),
    "video_url": lambda v, i, lim, reg: url(v, "video_url", i, lim.max_url),
    "product_declaration": lambda v, i, lim, reg: url(v, "product_declaration", i, lim.max_url),
    "location": lambda v, i, lim, reg: location(v, i, registered=reg),
    "contact": lambda v, i, lim, reg: contact(v, i, lim),
    "category_fields": lambda v, i, lim, reg: category_fields(v, i, lim, registered=bool(reg)),
    "visible": lambda v, i, lim, reg: flag(v, "visible", i),
    "dont_publish_on_failed_images": lambda v, i, lim, reg: flag(
        v, "dont_publish_on_failed_images", i
    ),
}

# api-notes: registered vehicles must not send these (the API generates the title,
# and "Contact is not relevant for registered vehicles"); dropped, not errors.
_NOT_FOR_VEHICLES = frozenset({"title", "contact"})
_ALWAYS_REQUIRED = frozenset({"body", "price"})
# The checks of a registered vehicle's payload and of any other, in order.
_VEHICLE_CHECKS = tuple((k, c) for k, c in _CHECKS.items() if k not in _NOT_FOR_VEHICLES)
_ALL_CHECKS = tuple(_CHECKS.items())


def _payload(
    data: Mapping[str, Any], cat: Category | None, api_version: int, issues: Issues, limits: Limits
) -> dict[str, Any]:
    """The normalised payload; category rules are skipped when the category is unknown."""
    registered, required = _rules_of(cat, api_version)
    payload: dict[str, Any] = {} if cat is None else {"category_id": cat.id}
    for key, check in _VEHICLE_CHECKS if registered else _ALL_CHECKS:
        if key not in data:  # most fields are absent: no call for them
            if key in required:
                issues.append(Issue(key, "is required"))
            continue
        value = data[key]
        if value is None:  # null counts as absent
            if key in required:
                issues.append(Issue(key, "is required"))
            continue
        checked = check(value, issues, limits, registered)
        if checked is not None:
            payload[key] = checked
    return payload


_RULES: dict[tuple[int | None, int], tuple[bool | None, frozenset[str]]] = {}  # _rules_of's memo


def _rules_of(cat: Category | None, api_version: int) -> tuple[bool | None, frozenset[str]]:
    """Whether the category is a registered vehicle (None: unknown category), and the
    fields an ad of it must have; found once per category and API version."""
    key = (None if cat is None else cat.id, api_version)
    found = _RULES.get(key)
    if found is None:
        registered = cat.is_registered_vehicle(api_version) if cat is not None else None
        required = frozenset(k for k in _CHECKS if _required(k, cat, api_version))
        found = _RULES[key] = (registered, required)
    return found


def _required(key: str, cat: Category | None, api_version: int) -> bool:
    """Whether a field must be present (per the seed's table of noteworthy fields)."""
    if key in _ALWAYS_REQUIRED:
        return True
    if cat is None:
        return False
    if key == "category_fields":
        return cat.requires_category_fields(api_version)
    return key in _NOT_FOR_VEHICLES  # title and contact, for every other category


def _source_id(value: Any, issues: Issues, limits: Limits) -> str | None:
    """A usable source_id: the ad's key, a URL path segment, a log value.

    The allowed set and its reasons are ``core/source_ids.py``'s; the length
    limit is ``limits.max_source_id`` (by default ``source_ids.MAX_LENGTH``).
    """
    if value is None:
        issues.append(Issue("source_id", "is required"))
        return None
    checked = text(value, "source_id", issues, limits.max_source_id, controls=False)
    if checked is None:
        return None
    reason = source_ids.problem(checked, max_length=None)  # the length was checked above
    if reason is not None:
        issues.append(Issue("source_id", f"{reason}, got {shown(checked)}"))
        return None
    return checked


def source_id_issues(value: Any, limits: Limits | None = None) -> tuple[Issue, ...]:
    """The issues validation finds with an item's ``source_id`` value, alone (``syncd map
    --source-id`` shows them beside a record): none for a usable one."""
    issues: Issues = []
    _source_id(value, issues, limits or _DEFAULT_LIMITS)
    return tuple(issues)


def _repeated_keys(record: RawRecord, issues: Issues) -> tuple[str, ...]:
    """Strict JSON: a key given twice in one object makes the item invalid, whatever
    the values (the reader saw it; a parser keeps the last one silently).

    Returns the distinct source_ids the item gave (more than one: it is ambiguous,
    and the live ad of each must be protected).
    """
    candidates: tuple[str, ...] = ()
    for dup in record.duplicate_keys:
        reason = f"is given {dup.count} times in one object; which one is meant cannot be known"
        if dup.field == "source_id":
            keys = (_best_effort_key(v) for v in dup.values)
            candidates = tuple(dict.fromkeys(k for k in keys if k is not None))
            if len(candidates) > 1:
                shown_ids = ", ".join(shown(c) for c in candidates)
                reason += f" ({shown_ids}); the live ad of each is left as it is"
        issues.append(Issue(dup.field, reason + ", so the item is not sent"))
    return candidates


def _best_effort_key(value: Any) -> str | None:
    """The ad an unusable source_id most likely means (4711 for "4711", "a " for "a").

    An invalid item must protect its live ad from deletion; when its source_id is
    malformed rather than missing, this is the key the planner keeps alive.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    key = str(value).strip()
    return key or None


def _covered(issue: Issue, earlier: tuple[Issue, ...]) -> bool:
    """True when an earlier issue is about this field, one inside it, or one around it."""

    def parts(name: str) -> list[str]:
        return re.sub(r"\[[^]]*\]", "", name).split(".")

    mine = parts(issue.field)
    for other in earlier:
        theirs = parts(other.field)
        shorter = min(len(mine), len(theirs))
        if mine[:shorter] == theirs[:shorter]:
            return True
    return False


def _dealer_code(value: Any, feed_dealer: str, issues: Issues) -> None:
    """An item's own dealer_code must match the feed's; it is never sent in the payload."""
    if value is None:
        return
    if not isinstance(value, str):
        issues.append(Issue("dealer_code", f"must be a string, got {kind(value)}"))
    elif feed_dealer and value != feed_dealer:
        issues.append(
            Issue("dealer_code", f"is {shown(value)}, but this feed is for dealer {feed_dealer!r}")
        )


def _category(value: Any, issues: Issues) -> Category | None:
    """A supported category of the seed's table (``5022.0`` counts as ``5022``)."""
    if type(value) is int and (known := _SUPPORTED.get(value)) is not None:
        return known  # what the rest finds for a supported id given as an int
    if value is None:
        issues.append(Issue("category_id", "is required"))
        return None
    number = whole(value, "category_id", issues, 0, _MAX_CATEGORY)
    if number is None:
        return None
    cat = category(number)
    if cat is None:
        issues.append(Issue("category_id", f"{number} is not a category of the Pro Import API"))
        return None
    if not cat.supported:
        issues.append(
            Issue("category_id", f"{number} ({cat.path}) is not yet supported by the API")
        )
        return None
    if type(value) is int:
        _SUPPORTED[value] = cat
    return cat


_SUPPORTED: dict[int, Category] = {}  # a memo of _category: supported ids given as ints


def _duplicates(records: tuple[RawRecord, ...]) -> dict[str, list[Origin]]:
    """source_id -> the origins of every record using it, for ids used more than once."""
    first: dict[str, Origin] = {}
    repeated: dict[str, list[Origin]] = {}
    for record in records:
        sid = record.source_id()
        if sid is not None:
            if sid in first:
                repeated.setdefault(sid, [first[sid]]).append(record.origin)
            else:
                first[sid] = record.origin
    return repeated


def _mark_duplicate(
    result: FeedItem | InvalidItem, duplicates: dict[str, list[Origin]]
) -> FeedItem | InvalidItem:
    origins = None if result.source_id is None else duplicates.get(result.source_id)
    if origins is None:
        return result
    others = [str(o) for o in origins if o != result.origin]
    where = ", ".join(others[:_SHOWN_DUPLICATES]) + (
        ", ..." if len(others) > _SHOWN_DUPLICATES else ""
    )
    issue = Issue(
        "source_id",
        f"{result.source_id!r} is used by {len(origins)} items in the "
        f"feed (also at {where}); it must be unique, so none is sent",
    )
    previous = result.issues if isinstance(result, InvalidItem) else ()
    return InvalidItem(result.origin, result.source_id, (*previous, issue))
