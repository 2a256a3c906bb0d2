"""Core: checks for ``category_fields``: the registered-vehicle schema and free JSON elsewhere.

Pure: no I/O here. Same contract as ``rules.py``. The fields api-notes names
for registered vehicles are checked by type; any other key is passed through
as free JSON (the API's OpenAPI document has many category fields the seed
does not list, e.g. for boats), bounded in size, depth and number form.
Nulls are dropped everywhere: with a deep-merging API, null and "absent" mean
the same to the ad, and dropping them keeps the payload's hash canonical.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeAlias

from syncd.core.models import Issue
from syncd.core.validate.rules import (
    Issues,
    Limits,
    code,
    control_problem,
    flag,
    kind,
    obj,
    shown,
    text,
    whole,
)

Rule: TypeAlias = Callable[[Any, str, Issues, Limits], Any]
Schema: TypeAlias = dict[str, "Rule | Schema"]

_PLATE = re.compile(r"[A-ZÅÄÖ0-9]{1,6}")  # api-notes: Swedish plate, at most 6 characters
_VIN = re.compile(r"[A-Z0-9]{17,19}")  # api-notes: 17-19 characters
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NO_YEAR_LIMIT = 9999
_MAX_MILEAGE = 10_000_000


def _model_year(value: Any, field: str, issues: Issues, limits: Limits) -> int | None:
    high = limits.max_model_year if limits.max_model_year is not None else _NO_YEAR_LIMIT
    if type(value) is int and limits.min_model_year <= value <= high:
        return value  # whole()'s fast path, without its call
    return whole(value, field, issues, limits.min_model_year, high)


def _plate(value: Any, field: str, issues: Issues, limits: Limits) -> str | None:
    """A Swedish registration number, normalised to upper case (``abc123`` is ``ABC123``)."""
    if type(value) is str and _PLATE.fullmatch(normal := value.upper()):
        return normal  # code()'s fast path, without its call
    return code(value, field, issues, _PLATE, "1 to 6 letters and digits, no spaces", upper=True)


def _vin(value: Any, field: str, issues: Issues, limits: Limits) -> str | None:
    """A vehicle identification number, normalised to upper case."""
    return code(value, field, issues, _VIN, "17 to 19 letters and digits", upper=True)


def _date(value: Any, field: str, issues: Issues, limits: Limits) -> str | None:
    """A calendar date written YYYY-MM-DD."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    issues.append(Issue(field, f"must be a date written YYYY-MM-DD, got {shown(value)}"))
    return None


def _string(value: Any, field: str, issues: Issues, limits: Limits) -> str | None:
    return text(value, field, issues, limits.max_text)


def _flag(value: Any, field: str, issues: Issues, limits: Limits) -> bool | None:
    return flag(value, field, issues)


def _strings(value: Any, field: str, issues: Issues, limits: Limits) -> list[str] | None:
    if not isinstance(value, list):
        issues.append(Issue(field, f"must be an array of strings, got {kind(value)}"))
        return None
    if len(value) > limits.max_items:
        issues.append(Issue(field, f"has {len(value)} entries; at most {limits.max_items}"))
        return None
    checked = []
    for i, item in enumerate(value):
        if (
            isinstance(item, str)
            and item.strip()
            and len(item) <= limits.max_text
            and item.isprintable()
        ):
            checked.append(item)  # the fast path of text(): nothing to report
        elif (kept := text(item, f"{field}[{i}]", issues, limits.max_text)) is not None:
            checked.append(kept)
    return checked


def _mileage(value: Any, field: str, issues: Issues, limits: Limits) -> int | None:
    if type(value) is int and 0 <= value <= _MAX_MILEAGE:
        return value  # whole()'s fast path, without its call
    return whole(value, field, issues, 0, _MAX_MILEAGE)


VEHICLE: Schema = {
    "model_year": _model_year,
    "registration_number": _plate,
    "vin": _vin,
    "brand": _string,
    "model": _string,
    "body_type": _string,
    "model_type": _string,
    "color": _string,
    "in_traffic_date": _date,
    "is_vat_deductible": _flag,
    "registration_number_hidden": _flag,
    "equipments": _strings,
    "condition": {
        "mileage": {"value": _mileage, "unit": _string},
        "is_new_vehicle": _flag,
    },
    "powertrain": {"fuels": _strings, "transmission": _string},
}
"""The registered-vehicle fields api-notes documents, with their checks."""

OTHER: Schema = {"model_year": _model_year}
"""Other categories: only ``model_year`` is known; the rest is free JSON."""

Fields: TypeAlias = dict[str, tuple[str, "Rule | None", "Fields | None"]]
"""A schema with each key's dotted field name made once (not once per item): the
field, and its rule or (for an object) the fields inside it."""


def _fields(schema: Schema, prefix: str) -> Fields:
    named: Fields = {}
    for key, rule in schema.items():
        field = f"{prefix}.{key}"
        if isinstance(rule, dict):
            named[key] = (field, None, _fields(rule, field))
        else:
            named[key] = (field, rule, None)
    return named


_VEHICLE_FIELDS = _fields(VEHICLE, "category_fields")
_OTHER_FIELDS = _fields(OTHER, "category_fields")
_FREE: Fields = {}


def category_fields(
    value: Any, issues: Issues, limits: Limits, *, registered: bool
) -> dict[str, Any] | None:
    """The category's own fields; for a registered vehicle ``model_year`` and
    ``registration_number`` or ``vin`` are required (api-notes)."""
    data = obj(value, "category_fields", issues)
    if data is None:
        return None
    fields = _VEHICLE_FIELDS if registered else _OTHER_FIELDS
    result = _object(data, "category_fields", fields, issues, limits, depth=1)
    if registered:
        if data.get("model_year") is None:
            issues.append(
                Issue("category_fields.model_year", "is required for a registered vehicle")
            )
        if data.get("registration_number") is None and data.get("vin") is None:
            issues.append(
                Issue(
                    "category_fields.registration_number",
                    "a registered vehicle needs registration_number or vin",
                )
            )
    return result


def _object(
    data: Mapping[str, Any],
    prefix: str,
    fields: Fields,
    issues: Issues,
    limits: Limits,
    *,
    depth: int,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    max_text = limits.max_text
    for key, raw in data.items():
        if raw is None:
            continue
        known = fields.get(key)
        if known is None:
            value = _free(raw, f"{prefix}.{key}", issues, limits, depth)
        else:
            field, rule, inner = known
            if (
                rule is _string
                and type(raw) is str
                and len(raw) <= max_text
                and raw.strip()
                and raw.isprintable()
            ):
                value = raw  # text()'s fast path, inline: nothing to report
            elif rule is not None:
                value = rule(raw, field, issues, limits)
            elif isinstance(raw, dict):  # obj(), inline: the common case
                value = _object(raw, field, inner or _FREE, issues, limits, depth=depth + 1)
            else:
                value = obj(raw, field, issues)  # None: it reports what raw is
        if value is not None:
            result[key] = value
    return result


def _free(value: Any, field: str, issues: Issues, limits: Limits, depth: int) -> Any:
    """Any JSON value, bounded; integral floats become ints (canonical form)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            issues.append(Issue(field, f"must be a finite number, got {value}"))
            return None
        return int(value) if value.is_integer() and abs(value) < 2.0**53 else value
    if isinstance(value, str):
        if len(value) > limits.max_text:
            issues.append(
                Issue(field, f"is {len(value)} characters long; at most {limits.max_text}")
            )
        elif not value.isprintable() and (reason := control_problem(value)):
            issues.append(Issue(field, reason))  # a field of free text may have lines
        return value
    if isinstance(value, list):
        if len(value) > limits.max_items:
            issues.append(Issue(field, f"has {len(value)} entries; at most {limits.max_items}"))
            return None
        return [_free(item, f"{field}[{i}]", issues, limits, depth) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if depth >= limits.max_depth:
            issues.append(
                Issue(
                    field,
                    f"is nested too deeply (at most {limits.max_depth} "
                    "levels of objects in category_fields)",
                )
            )
            return None
        return _object(value, field, _FREE, issues, limits, depth=depth + 1)
    issues.append(Issue(field, f"must be a JSON value, got {kind(value)}"))
    return None
