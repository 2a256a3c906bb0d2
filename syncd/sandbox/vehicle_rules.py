"""Sandbox: validation of ``category_fields`` for registered vehicles (api-notes.md).

Pure: no I/O here. Answers the nested DRF error dict that ends up under
``{"category_fields": {...}}``; an empty dict means valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from syncd.sandbox import vehicles
from syncd.sandbox.documents import plate

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Assumption: "Swedish plate, at most 6 characters" — letters and digits, 2 to 6 of
# them, so that Q-plates and personal plates pass; formatting is ignored.
_PLATE = re.compile(r"^[A-Z0-9]{2,6}$")
_VIN = re.compile(r"^[A-Z0-9]{17,19}$")
_MILEAGE_UNITS = ("km", "mil")

Errors = dict[str, Any]


def type_name(value: Any) -> str:
    """The JSON type name DRF uses in its messages."""
    names = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
    return names.get(type(value), type(value).__name__) if value is not None else "null"


def check_vehicle_fields(
    fields: Mapping[str, Any],
    *,
    vehicle_type: str,
    today: date,
    previous: Mapping[str, Any] | None,
    sent: Mapping[str, Any],
) -> Errors:
    """Errors in a registered vehicle's ``category_fields``."""
    errors: Errors = {}
    _model_year(fields.get("model_year"), today, errors)
    _identity(fields, previous, sent, errors)
    _choices(fields, vehicle_type, errors)
    for name in ("is_vat_deductible", "registration_number_hidden"):
        if fields.get(name) is not None and not isinstance(fields[name], bool):
            errors[name] = ["Must be a valid boolean."]
    for name in ("model_type", "color"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            errors[name] = ["Not a valid string."]
    if fields.get("in_traffic_date") is not None and not _is_date(fields["in_traffic_date"]):
        errors["in_traffic_date"] = [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ]
    equipments = fields.get("equipments")
    if equipments is not None and not (
        isinstance(equipments, list) and all(isinstance(e, str) for e in equipments)
    ):
        errors["equipments"] = ["Expected a list of strings."]
    condition = _condition(fields.get("condition"))
    if condition:
        errors["condition"] = condition
    powertrain = _powertrain(fields.get("powertrain")) or _brand_fuels(fields, vehicle_type)
    if powertrain:
        errors["powertrain"] = powertrain
    return errors


def _model_year(value: Any, today: date, errors: Errors) -> None:
    if value is None:
        errors["model_year"] = ["This field is required."]
    elif isinstance(value, bool) or not isinstance(value, int):
        errors["model_year"] = ["A valid integer is required."]
    elif not 1900 <= value <= today.year + 1:
        errors["model_year"] = [f"Ensure this value is between 1900 and {today.year + 1}."]


def _identity(
    fields: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    sent: Mapping[str, Any],
    errors: Errors,
) -> None:
    reg, vin = fields.get("registration_number"), fields.get("vin")
    if reg is None and vin is None:
        errors["registration_number"] = ["Either registration_number or vin is required."]
    if reg is not None and not (isinstance(reg, str) and _PLATE.match(plate(reg))):
        errors["registration_number"] = [
            "Enter a Swedish registration number of at most 6 letters and digits."
        ]
    if vin is not None and not (isinstance(vin, str) and _VIN.match(vin.upper())):
        errors["vin"] = ["Enter a VIN of 17 to 19 letters and digits."]
    old = (previous or {}).get("registration_number")
    if isinstance(old, str) and "registration_number" in sent:
        new = sent["registration_number"]
        if not isinstance(new, str) or plate(new) != plate(old):
            errors["registration_number"] = [
                "The registration number cannot be changed after the ad was created."
            ]


def _choices(fields: Mapping[str, Any], vehicle_type: str, errors: Errors) -> None:
    brand = fields.get("brand")
    known = vehicles.brands(vehicle_type)
    if brand is not None and not _is_slug(brand):
        errors["brand"] = ["Enter a valid slug."]
    elif brand is not None and known and brand not in known:
        errors["brand"] = [f'"{brand}" is not a valid choice.']
    model = fields.get("model")
    if model is not None and not _is_slug(model):
        errors["model"] = ["Enter a valid slug."]
    elif model is not None and isinstance(brand, str):
        models = vehicles.models(vehicle_type, brand)
        if models is not None and model not in models:
            errors["model"] = [f'"{model}" is not a valid choice.']
    body_type = fields.get("body_type")
    if body_type is not None and body_type not in vehicles.BODY_TYPES:
        errors["body_type"] = [f'"{body_type}" is not a valid choice.']


def _condition(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        return [f"Invalid data. Expected a dictionary, but got {type_name(value)}."]
    errors: Errors = {}
    mileage = value.get("mileage")
    if mileage is not None:
        if not isinstance(mileage, dict):
            errors["mileage"] = [
                f"Invalid data. Expected a dictionary, but got {type_name(mileage)}."
            ]
        else:
            inner: Errors = {}
            amount = mileage.get("value")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                inner["value"] = ["A valid integer is required."]
            if mileage.get("unit", "km") not in _MILEAGE_UNITS:
                inner["unit"] = [f'"{mileage.get("unit")}" is not a valid choice.']
            if inner:
                errors["mileage"] = inner
    new = value.get("is_new_vehicle")
    if new is not None and not isinstance(new, bool):
        errors["is_new_vehicle"] = ["Must be a valid boolean."]
    return errors


def _powertrain(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        return [f"Invalid data. Expected a dictionary, but got {type_name(value)}."]
    errors: Errors = {}
    fuels = value.get("fuels")
    if fuels is not None:
        if not isinstance(fuels, list):
            errors["fuels"] = [f'Expected a list of items but got type "{type_name(fuels)}".']
        else:
            bad = {
                str(i): [f'"{f}" is not a valid choice.']
                for i, f in enumerate(fuels)
                if f not in vehicles.FUELS
            }
            if bad:
                errors["fuels"] = bad
    transmission = value.get("transmission")
    if transmission is not None and transmission not in vehicles.TRANSMISSIONS:
        errors["transmission"] = [f'"{transmission}" is not a valid choice.']
    return errors


def _brand_fuels(fields: Mapping[str, Any], vehicle_type: str) -> Any:
    """Fuels the brand does not build (``vehicles.ONLY_ELECTRIC``), once the fuels are valid."""
    powertrain, brand = fields.get("powertrain"), fields.get("brand")
    if (vehicle_type, brand) not in vehicles.ONLY_ELECTRIC or not isinstance(powertrain, dict):
        return None
    bad = {
        str(i): [f'"{f}" is not a fuel of {brand} vehicles.']
        for i, f in enumerate(powertrain.get("fuels") or [])
        if f != "electric"
    }
    return {"fuels": bad} if bad else None


def _is_slug(value: Any) -> bool:
    return isinstance(value, str) and bool(_SLUG.match(value))


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
