"""Core: the named transforms a mapping may chain, with the argument each takes.

Pure: no I/O here. ``TRANSFORMS`` is the one list the config is checked
against (an unknown name is a config error naming the key) and that
``docs/mapping.md`` documents, one example each. A *scalar* transform applied to
a list applies to each entry; a *list* transform sees the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncd.core.map import dates, lists, numbers, text
from syncd.core.map.model import SpecError


def _none(key: str, arg: Any) -> Any:
    if arg is not None:
        raise SpecError(key, "takes no argument")
    return None


def _optional_str(key: str, arg: Any) -> Any:
    if arg is not None and not isinstance(arg, str):
        raise SpecError(key, f"takes a string, got {type(arg).__name__}")
    return arg


def _str(key: str, arg: Any) -> Any:
    if not isinstance(arg, str) or not arg:
        raise SpecError(key, "takes a non-empty string")
    return arg


def _decimal(key: str, arg: Any) -> Any:
    if arg not in (None, ",", "."):
        raise SpecError(key, 'the decimal mark must be "," or "."')
    return arg


def _count(key: str, arg: Any) -> Any:
    if isinstance(arg, bool) or not isinstance(arg, int) or arg < 1:
        raise SpecError(key, "takes a whole number of at least 1")
    return arg


def _unit(key: str, arg: Any) -> Any:
    if arg is not None and str(arg).lower() not in numbers.KM_PER:
        raise SpecError(key, f"unknown unit {arg!r} (known: {', '.join(sorted(numbers.KM_PER))})")
    return arg


def _pattern(key: str, arg: Any) -> Any:
    try:
        return re.compile(_str(key, arg))
    except re.error as exc:
        raise SpecError(key, f"not a regular expression: {exc}") from None


def _replace(key: str, arg: Any) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)):
        raise SpecError(key, "takes [pattern, replacement]")
    return (_pattern(key, arg[0]), arg[1])


@dataclass(frozen=True, slots=True)
class Transform:
    """A named transform: what it does to a value, and how its argument is checked."""

    run: Callable[[Any, Any], Any]
    check: Callable[[str, Any], Any]
    on_list: bool = False  # sees the whole list rather than each entry


TRANSFORMS: dict[str, Transform] = {
    "trim": Transform(text.trim, _none),
    "collapse": Transform(text.collapse, _none),
    "lower": Transform(text.lower, _none),
    "upper": Transform(text.upper, _none),
    "html_text": Transform(text.html_text, _none),
    "slug": Transform(text.slug, _none),
    "phone": Transform(text.phone, _none),
    "email": Transform(text.email, _none),
    "prefix": Transform(text.prefix, _str),
    "regex_extract": Transform(text.regex_extract, _pattern),
    "regex_replace": Transform(text.regex_replace, _replace),
    "number": Transform(numbers.number, _decimal),
    "int": Transform(numbers.integer, _decimal),
    "amount": Transform(numbers.amount, _optional_str),
    "unit": Transform(numbers.unit, _unit),
    "bool": Transform(numbers.boolean, _none),
    "date": Transform(dates.to_date, _optional_str),
    "split": Transform(lists.split, _optional_str, on_list=True),
    "drop_empty": Transform(lists.drop_empty, _none, on_list=True),
    "drop": Transform(lists.drop, _pattern, on_list=True),
    "take": Transform(lists.take, _count, on_list=True),
    "first": Transform(lists.first, _none, on_list=True),
    "join": Transform(lists.join, _optional_str, on_list=True),
    "unique": Transform(lists.unique, _none, on_list=True),
}
"""Every transform by name (``map`` — a value map — is handled by ``apply.py``)."""


def run(name: str, value: Any, arg: Any) -> Any:
    """Apply one transform to a value (each entry of a list for scalar transforms)."""
    transform = TRANSFORMS[name]
    if transform.on_list:
        return transform.run(value if isinstance(value, list) else [value], arg)
    if isinstance(value, list):
        return [transform.run(v, arg) for v in value]
    return transform.run(value, arg)
