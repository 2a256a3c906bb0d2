"""Sandbox: validation of an ad's ``price`` list (api-notes.md).

Pure: no I/O here. ``[{"type": "list"|"reduced"|"leasing", "amount": int,
"currency": "SEK"}]``; ``reduced`` is refused on POST; each type at most once.
Errors of single items come as a list of per-item dicts, as DRF answers them.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox.vehicle_rules import type_name

PRICE_TYPES = ("list", "reduced", "leasing")
REQUIRED = "This field is required."


def check_price(value: Any, *, creating: bool) -> Any:
    """A non-empty list of ``{"type", "amount", "currency"}``, each type at most once."""
    if not isinstance(value, list):
        return [f'Expected a list of items but got type "{type_name(value)}".']
    if not value:
        return ["This list may not be empty."]
    items = [_check_price_item(item, creating=creating) for item in value]
    if any(items):
        return items
    types = [item["type"] for item in value]
    if len(set(types)) != len(types):
        return ["Each price type may be given only once."]
    if "reduced" in types and "list" not in types:
        return ["A reduced price needs a list price too."]
    return []


def _check_price_item(item: Any, *, creating: bool) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {
            "non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name(item)}."]
        }
    errors: dict[str, Any] = {}
    kind = item.get("type")
    if kind is None:
        errors["type"] = [REQUIRED]
    elif kind not in PRICE_TYPES:
        errors["type"] = [f'"{kind}" is not a valid choice.']
    elif kind == "reduced" and creating:
        errors["type"] = ["A reduced price is not allowed when creating an ad."]
    amount = item.get("amount")
    if amount is None:
        errors["amount"] = [REQUIRED]
    elif isinstance(amount, bool) or not isinstance(amount, int):
        errors["amount"] = ["A valid integer is required."]
    elif amount < 0:
        errors["amount"] = ["Ensure this value is greater than or equal to 0."]
    currency = item.get("currency", "SEK")
    if currency != "SEK":
        errors["currency"] = [f'"{currency}" is not a valid choice.']
    return errors
