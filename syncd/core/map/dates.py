"""Core: the date transform: the ways exports write a date, to the API's ``YYYY-MM-DD``.

Pure: no I/O here, and no clock: epoch seconds are counted from 1970-01-01 UTC
by arithmetic, not by asking the system's time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.core.map.model import TransformError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_EPOCH_SECONDS = re.compile(r"\d{9,11}")
_EPOCH_MILLIS = re.compile(r"\d{12,14}")


def _iso(text: str) -> str | None:
    # ISO 8601, with or without time and offset: the date as written (the
    # dealer's local date), not moved to UTC.
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def _guess(text: str) -> str | None:
    if _EPOCH_SECONDS.fullmatch(text):
        return (_EPOCH + timedelta(seconds=int(text))).date().isoformat()
    if _EPOCH_MILLIS.fullmatch(text):
        return (_EPOCH + timedelta(milliseconds=int(text))).date().isoformat()
    month = _MONTH.fullmatch(text)
    if month:  # Assumption: a month alone (``2014-07``) means its first day.
        return f"{int(month.group(1)):04d}-{int(month.group(2)):02d}-01"
    day = _DAY_FIRST.fullmatch(text)
    if day:
        return f"{day.group(3)}-{int(day.group(2)):02d}-{int(day.group(1)):02d}"
    return _iso(text)


def to_date(value: Any, arg: Any) -> str:
    """``2014-07``, epoch seconds, ``DD-MM-YYYY HH:MM:SS``, ISO 8601 -> ``YYYY-MM-DD``;
    ``arg`` is a ``strptime`` format for any other way of writing it."""
    text = str(value).strip()
    if arg is not None:
        try:
            return datetime.strptime(text, arg).replace(tzinfo=UTC).date().isoformat()
        except ValueError:
            raise TransformError(f"{text!r} is not a date written {arg!r}") from None
    result = _guess(text)
    if result is None:
        raise TransformError(f"{text!r} is not a date (YYYY-MM-DD, YYYY-MM, DD-MM-YYYY, epoch)")
    try:
        datetime.strptime(result, "%Y-%m-%d")  # noqa: DTZ007 - only checks the calendar
    except ValueError:
        raise TransformError(f"{text!r} is not a calendar date") from None
    return result
