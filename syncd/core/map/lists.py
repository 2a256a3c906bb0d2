"""Core: transforms of lists: split, drop, take, first, join, unique.

Pure: no I/O here. Each takes the value as a list (a single string counts as a
list of one) and its checked argument.
"""

from __future__ import annotations

import re
from typing import Any


def split(values: list[Any], arg: Any) -> list[str]:
    """Each string cut at ``arg`` (default ``,``); pieces trimmed, empty ones dropped."""
    sep = arg or ","
    return [piece for v in values for p in str(v).split(sep) if (piece := p.strip())]


def drop_empty(values: list[Any], arg: Any) -> list[Any]:
    """Entries that are empty or only whitespace dropped."""
    return [v for v in values if str(v).strip()]


def drop(values: list[Any], arg: Any) -> list[Any]:
    """Entries matching the regular expression ``arg`` (searched) dropped."""
    pattern: re.Pattern[str] = arg
    return [v for v in values if not pattern.search(str(v))]


def take(values: list[Any], arg: Any) -> list[Any]:
    """The first ``arg`` entries."""
    return values[: int(arg)]


def first(values: list[Any], arg: Any) -> Any:
    """The first entry (None when there is none)."""
    return values[0] if values else None


def join(values: list[Any], arg: Any) -> str:
    """The entries joined by ``arg`` (default ``", "``)."""
    sep = ", " if arg is None else str(arg)
    return sep.join(str(v) for v in values)


def unique(values: list[Any], arg: Any) -> list[Any]:
    """Repeated entries dropped, the first of each kept."""
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen
