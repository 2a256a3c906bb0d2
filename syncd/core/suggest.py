"""Core: the closest valid value to a mistyped one ("did you mean 'volkswagen'?").

Pure: no I/O here. Matching is case-insensitive and treats spaces and
underscores as the hyphens of a slug (``Land Rover`` → ``land-rover``).
Assumption: stdlib :mod:`difflib` (Ratcliff/Obershelp) with its usual cutoff of
0.6 is good enough for brand, model, body type and fuel slugs, which are short
and few; nothing under the cutoff is suggested rather than a wild guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

CUTOFF = 0.6
_SEPARATORS = re.compile(r"[\s_]+")


def slug_form(value: str) -> str:
    """The value as a slug would spell it: lower case, spaces and underscores as ``-``."""
    return _SEPARATORS.sub("-", value.strip().lower())


def closest(value: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The choice most like ``value``, or None when none is close enough."""
    wanted = slug_form(value)
    by_form: dict[str, str] = {}
    for choice in choices:
        by_form.setdefault(slug_form(choice), choice)
    if wanted in by_form:  # only the case or the separators differ
        return by_form[wanted]
    found = difflib.get_close_matches(wanted, list(by_form), n=1, cutoff=cutoff)
    return by_form[found[0]] if found else None


def did_you_mean(what: str, value: str, choices: Iterable[str]) -> str:
    """The reason for a value not in ``choices``, with the closest one when there is one."""
    reason = f"{what} {value!r} is not valid"
    suggestion = closest(value, choices)
    return f"{reason}; did you mean {suggestion!r}?" if suggestion is not None else reason
