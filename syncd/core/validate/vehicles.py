"""Core: brand, model, body type and fuels of registered vehicles against the API's lists.

Pure: no I/O here. A pass after :func:`~syncd.core.validate.feed.validate_feed`:
the vehicle values (``core/vehicle_values.py``) come as a plain argument, fetched
and cached by the shell. A valid item with a value the API would refuse becomes
an :class:`InvalidItem` naming the field and value, with the closest valid slug
("brand 'Volkswagon' is not valid; did you mean 'volkswagen'?"); that item alone
is invalid (its live ad is left as it is, like any invalid item).

Assumptions: a vehicle type the values do not cover, or an empty list, is not
checked (the API gave no list to check against); a model is checked only against
the models of a known brand; items already invalid are not checked again (they
carry no payload, and are not sent anyway). Items the caller calls ``unchanged``
(a sync run's skipped items: their ad is live with this very payload, which the
API accepted) are not checked either: the check is there to refuse a value before
it is sent, and nothing is sent for them. Should the API retire a slug, such an ad
stays as it is until its item changes; then it is validated, and checked, again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeAlias

from syncd.core.categories import CATEGORIES, category
from syncd.core.models import FeedItem, InvalidItem, Issue, ValidatedFeed
from syncd.core.suggest import did_you_mean
from syncd.core.vehicle_values import TypeValues, VehicleValues

__all__ = [
    "NothingSent",
    "check_vehicle_values",
    "none_unchanged",
    "vehicle_issues",
    "vehicle_needs",
]

Memo: TypeAlias = dict[tuple[str, str, tuple[str, ...]], str]
"""(what, value, choices) -> the reason with its suggestion."""

NothingSent: TypeAlias = Callable[[FeedItem], bool]
"""Whether an item is one a run sends nothing for (it is then not checked)."""


def none_unchanged(_item: FeedItem) -> bool:
    """The default: every item is checked."""
    return False


def check_vehicle_values(
    feed: ValidatedFeed,
    values: VehicleValues,
    *,
    api_version: int,
    unchanged: NothingSent = none_unchanged,
) -> ValidatedFeed:
    """The feed with every valid item whose vehicle values are unknown moved to invalid.

    The order of ``items`` and of ``invalid`` is kept (moved items join the end of
    ``invalid``, which the report sorts by record anyway).
    """
    items: list[FeedItem] = []
    moved: list[InvalidItem] = []
    reasons: Memo = {}  # a feed repeats its misspellings: each is matched once
    checked = _checked_categories(values, api_version)
    for item in feed.items:
        if item.category_id not in checked or unchanged(item):
            items.append(item)
            continue
        issues = vehicle_issues(item, values, api_version=api_version, reasons=reasons)
        if issues:
            moved.append(InvalidItem(item.origin, item.source_id, issues))
        else:
            items.append(item)
    if not moved:
        return feed
    return replace(feed, items=tuple(items), invalid=(*feed.invalid, *moved))


def _checked_categories(values: VehicleValues, api_version: int) -> frozenset[int]:
    """The categories whose items the values can check (registered, of a listed type)."""
    return frozenset(
        c.id
        for c in CATEGORIES.values()
        if c.is_registered_vehicle(api_version) and c.vehicle_type in values.types
    )


def vehicle_needs(
    feed: ValidatedFeed, *, api_version: int, unchanged: NothingSent = none_unchanged
) -> dict[str, frozenset[str]]:
    """What the check of this feed needs: vehicle type -> the brands its items name
    (whose model lists are wanted); ``unchanged`` items need nothing."""
    found: dict[str, set[str]] = {}
    for item in feed.items:
        if unchanged(item):
            continue
        cat = category(item.category_id)
        if cat is None or not cat.is_registered_vehicle(api_version) or cat.vehicle_type is None:
            continue
        brands = found.setdefault(cat.vehicle_type, set())
        fields = item.payload.get("category_fields")
        if isinstance(fields, Mapping) and isinstance(fields.get("brand"), str):
            brands.add(fields["brand"])
    return {vt: frozenset(b) for vt, b in found.items()}


def vehicle_issues(
    item: FeedItem, values: VehicleValues, *, api_version: int, reasons: Memo | None = None
) -> tuple[Issue, ...]:
    """The problems of one valid item's vehicle values (empty: none, or not checked).

    ``reasons`` memoises the suggestions across items (difflib is the costly part).
    """
    cat = category(item.category_id)
    if cat is None or not cat.is_registered_vehicle(api_version) or cat.vehicle_type is None:
        return ()
    known = values.types.get(cat.vehicle_type)
    fields = item.payload.get("category_fields")
    if known is None or not isinstance(fields, Mapping):
        return ()
    memo: Memo = {} if reasons is None else reasons
    issues: list[Issue] = []
    brand = fields.get("brand")
    _one(issues, memo, "brand", brand, known.brands)
    if isinstance(brand, str) and brand in known.brands:
        _one(issues, memo, "model", fields.get("model"), known.models.get(brand, ()))
    _one(issues, memo, "body_type", fields.get("body_type"), known.body_types)
    _fuels(issues, memo, fields.get("powertrain"), known)
    return tuple(issues)


def _reason(memo: Memo, what: str, value: str, choices: tuple[str, ...]) -> str:
    key = (what, value, choices)
    if key not in memo:
        memo[key] = did_you_mean(what, value, choices)
    return memo[key]


def _one(issues: list[Issue], memo: Memo, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or not choices or value in choices:
        return
    reason = _reason(memo, name.replace("_", " "), value, choices)
    issues.append(Issue(f"category_fields.{name}", reason, value=value))


def _fuels(issues: list[Issue], memo: Memo, powertrain: Any, known: TypeValues) -> None:
    if not isinstance(powertrain, Mapping) or not known.fuels:
        return
    fuels = powertrain.get("fuels")
    if not isinstance(fuels, list):
        return
    for index, fuel in enumerate(fuels):
        if isinstance(fuel, str) and fuel not in known.fuels:
            reason = _reason(memo, "fuel", fuel, known.fuels)
            issues.append(Issue(f"category_fields.powertrain.fuels[{index}]", reason, value=fuel))
