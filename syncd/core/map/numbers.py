"""Core: transforms of numbers, amounts, units and booleans, as dealers' exports write them.

Pure: no I/O here. Each function takes one string (or an already parsed value)
and its checked argument, and returns the parsed value or raises
:class:`~syncd.core.map.model.TransformError` with a reason a dealer can act on.
"""

from __future__ import annotations

import math
import re
from typing import Any

from syncd.core.map.model import NumberText, TransformError

# One run of digits with the separators exporters put in numbers: spaces
# (also no-break and thin spaces), dots, commas and apostrophes.
_NUMBER = re.compile(r"[-+]?\d(?:[\d.,' \u00a0\u202f]*\d)?")
_SPACES = re.compile(r"[' \u00a0\u202f]")
_CURRENCY = re.compile(r"\b([A-Z]{3})\b")
_SEK_WORDS = re.compile(r"(?i)\bkr\b|:-|\bsek\b")

_EXACT_DIGITS = 16  # up to 15 digits a float holds a whole number, and it plus 0.5, exactly
KM_PER = {"km": 1.0, "mil": 10.0, "miles": 1.609344, "mile": 1.609344, "mi": 1.609344, "m": 0.001}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "ja", "j", "x", "on", "sant"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nej", "off", "falskt", ""})


def _normalise(digits: str, decimal: str | None) -> str:
    """``264.000`` -> ``264000``, ``1 234,50`` -> ``1234.50`` (see docs/mapping.md)."""
    digits = _SPACES.sub("", digits)
    if decimal is not None:
        thousands = "," if decimal == "." else "."
        return digits.replace(thousands, "").replace(decimal, ".")
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:  # both: the last one is the decimal mark
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        return _normalise(digits, decimal)
    mark = "." if dots else ","
    count = dots or commas
    if count == 0:
        return digits
    # Assumption: one mark followed by exactly three digits groups thousands
    # (``264.000``, ``2,777``); set ``decimal`` where an export means 264.000 SEK as 264.
    if count > 1 or re.search(rf"\{mark}\d{{3}}$", digits):
        return digits.replace(mark, "")
    return digits.replace(mark, ".")


def parse_number(value: Any, decimal: str | None = None) -> int | float:
    """The number in a string such as ``129 900 kr``, ``59.600:-`` or ``10,499.00 USD``."""
    if isinstance(value, bool):
        raise TransformError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value)
    if _plain(text):
        return int(text)  # the fast path: what the rest would make of plain digits
    if isinstance(value, NumberText):
        return _typed(value)
    runs = _NUMBER.findall(text)
    if len(runs) != 1:
        why = "no number in it" if not runs else "more than one number in it"
        raise TransformError(f"{text!r} is not a number ({why})")
    try:
        number = float(_normalise(runs[0], decimal))
    except ValueError:
        raise TransformError(f"{text!r} is not a number") from None
    return int(number) if number.is_integer() else number


def _typed(value: NumberText) -> int | float:
    """A number the file typed as one: read as written (``1.125``, ``1e16``, ``-5``)."""
    try:
        number = float(value)
    except ValueError:
        raise TransformError(f"{str(value)!r} is not a number") from None
    if not math.isfinite(number):
        raise TransformError(f"{str(value)!r} is not a number")
    return int(number) if number.is_integer() else number


def _plain(text: str) -> bool:
    """Plain ASCII digits, few enough that the float below would be exact."""
    return text.isdigit() and len(text) < _EXACT_DIGITS and text.isascii()


def number(value: Any, arg: Any) -> int | float:
    """A number; ``arg`` is the decimal mark (``","`` or ``"."``) or None to guess."""
    return parse_number(value, arg)


def integer(value: Any, arg: Any) -> int:
    """A whole number, rounded half up (``12 499,50`` -> 12500)."""
    if isinstance(value, str) and _plain(value):
        return int(value)
    return int(parse_number(value, arg) + 0.5)


def amount(value: Any, arg: Any) -> dict[str, Any]:
    """``131100 PLN`` -> ``{"amount": 131100, "currency": "PLN"}``; ``arg`` is the
    currency when the text names none (default SEK; ``kr`` and ``:-`` mean SEK)."""
    text = str(value)
    code = _CURRENCY.search(text)
    if code is not None:
        currency = code.group(1)
    elif _SEK_WORDS.search(text):
        currency = "SEK"
    else:
        currency = arg or "SEK"
    number = value if isinstance(value, NumberText) else _CURRENCY.sub("", text)
    return {"amount": integer(number, None), "currency": currency}


def unit(value: Any, arg: Any) -> int:
    """A distance in km (rounded); ``arg`` is the unit the value is in (``mil``,
    ``miles``, ``km``), else the unit written after the number (``2,777 miles``)."""
    text = str(value)
    name = arg
    if name is None:
        words = re.findall(r"[A-Za-z]+", text)
        name = words[-1].lower() if words else "km"
    factor = KM_PER.get(str(name).lower())
    if factor is None:
        known = ", ".join(sorted(KM_PER))
        raise TransformError(f"unknown unit {name!r} in {text!r} (known: {known})")
    return int(parse_number(value if isinstance(value, NumberText) else text) * factor + 0.5)


def boolean(value: Any, arg: Any) -> bool:
    """``1``/``0``, ``TRUE``/``FALSE``, ``yes``/``no``, ``ja``/``nej``, ``x``/empty."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise TransformError(f"{value!r} is not a yes/no value (1/0, true/false, yes/no, ja/nej)")
