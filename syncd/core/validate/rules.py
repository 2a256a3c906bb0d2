"""Core: field rules for feed items, the checks behind ``feed.py``.

Pure: no I/O here. Each check takes a raw value from the feed, the dotted field
name to report, and the list of issues to add to. It returns the normalised
value, or None when the value is absent or wrong; the caller drops the payload
of any item that collected an issue, so a wrong value's return is never sent.
Checks never raise on bad input.

The rules come from the seed document and ``api-notes.md``; where they are
silent the assumption is written next to the code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syncd.core import source_ids
from syncd.core.models import Issue

Issues = list[Issue]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits for feed items; the API documents only ``max_images``.

    Assumption: the others are syncd's own guards against absurd input (the
    API publishes no maximum lengths); raise them in config if a feed needs it.
    ``max_model_year`` None means "the year after the feed file was written"
    (``validate_feed`` fills it in; ``validate_item`` alone then skips the check).
    """

    max_images: int = 38  # seed: "maximum 38 image URLs"
    max_source_id: int = source_ids.MAX_LENGTH  # why: core/source_ids.py
    max_title: int = 200
    max_body: int = 10_000
    max_text: int = 1_000  # any other string (contact, category_fields values)
    max_url: int = 2_048
    max_items: int = 200  # entries of any other array (equipments, fuels, ...)
    max_depth: int = 4  # nesting of objects inside category_fields
    max_amount: int = 10_000_000_000  # SEK; also keeps amounts inside 64 bits
    min_model_year: int = 1900
    max_model_year: int | None = None
    # Assumption: the seed's own example image URLs ("https://cdn.io/image1/")
    # have no file extension, so by default only URLs that visibly name another
    # format (.gif, .webp, ...) are refused; strict mode demands .jpg/.jpeg/.png.
    strict_image_extensions: bool = False


def kind(value: Any) -> str:
    """The JSON type name of a value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shown(value: Any, width: int = 60) -> str:
    """A short repr of a value for an error message (long strings are cut)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


# C0 control characters and DEL, but for the whitespace ones (TAB, LF, VT, FF, CR): see text().
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def text(
    value: Any,
    field: str,
    issues: Issues,
    max_len: int,
    *,
    controls: bool = True,
) -> str | None:
    """A non-blank string of at most ``max_len`` characters, kept as given.

    Assumption: whitespace inside a value is content, so strings are not
    trimmed; a string of only whitespace counts as empty.

    A control character (NUL, ESC, ... and DEL) is refused: no ad text has one, a NUL
    ends the string in C code (a ``"\x00"`` title would be empty there) and PostgreSQL
    refuses it in text, and the others are an exporter's garbage. The whitespace ones
    (tab, line feed, vertical tab, form feed, carriage return) are content, in every
    field. Assumption: the spec is silent on line breaks (seed 000: ``title`` "string"),
    syncd sent them before it refused any control character, and dealers' data has
    them: an Excel title with Alt+Enter, Word's manual line break (VT) in a pasted body;
    refused, each such ad would stop being updated. ``controls`` False leaves control
    characters to the caller (a source_id: ``core/source_ids.py`` refuses them with its
    reason).
    """
    if not isinstance(value, str):
        issues.append(Issue(field, f"must be a string, got {kind(value)}"))
        return None
    if controls and not value.isprintable() and (reason := control_problem(value)):
        issues.append(Issue(field, reason))
        return None
    if not value.strip():
        issues.append(Issue(field, "must not be empty"))
        return None
    if len(value) > max_len:
        issues.append(Issue(field, f"is {len(value)} characters long; at most {max_len}"))
        return None
    return value


def control_problem(value: str) -> str | None:
    """Why ``value`` cannot be an ad's text for its control characters, or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    where = f"{found.group()!r} at character {found.start() + 1}"
    return f"must not contain control characters ({where})"


def whole(value: Any, field: str, issues: Issues, low: int, high: int) -> int | None:
    """A whole number in ``low..high``; an integral float (``7000.0``) counts as one."""
    if type(value) is int and low <= value <= high:
        return value  # the common case: what the rest returns for it
    if isinstance(value, bool) or not isinstance(value, int | float):
        issues.append(Issue(field, f"must be a whole number, got {kind(value)}"))
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            issues.append(Issue(field, f"must be a finite number, got {value}"))
            return None
        if not value.is_integer():
            issues.append(Issue(field, f"must be a whole number, got {value}"))
            return None
    number = int(value)
    if number < low:
        reason = "must not be negative" if low == 0 else f"must be at least {low}"
        issues.append(Issue(field, f"{reason}, got {number}"))
        return None
    if number > high:
        issues.append(Issue(field, f"must be at most {high}, got {number}"))
        return None
    return number


def code(
    value: Any,
    field: str,
    issues: Issues,
    pattern: re.Pattern[str],
    wanted: str,
    *,
    upper: bool = False,
) -> str | None:
    """A string that matches ``pattern`` whole (after upper-casing, with ``upper``).

    ``wanted`` says the format in the reason (``"4 or 6 digits"``). With ``upper``
    the value is normalised to upper case, so ``abc123`` is ``ABC123``.
    """
    if not isinstance(value, str):
        issues.append(Issue(field, f"must be a string of {wanted}, got {kind(value)}"))
        return None
    normal = value.upper() if upper else value
    if not pattern.fullmatch(normal):
        issues.append(Issue(field, f"must be {wanted}, got {shown(value)}"))
        return None
    return normal


def flag(value: Any, field: str, issues: Issues) -> bool | None:
    """A JSON boolean (``"true"`` and ``1`` are not)."""
    if not isinstance(value, bool):
        issues.append(Issue(field, f"must be true or false, got {kind(value)}"))
        return None
    return value


def one_of(value: Any, field: str, issues: Issues, choices: tuple[str, ...]) -> str | None:
    """One of a fixed set of strings."""
    if value not in choices or not isinstance(value, str):
        wanted = ", ".join(repr(c) for c in choices)
        issues.append(Issue(field, f"must be one of {wanted}, got {shown(value)}"))
        return None
    return value


def unknown_keys(
    data: Mapping[str, Any], known: frozenset[str], prefix: str, issues: Issues
) -> None:
    """Report every key of ``data`` not in ``known`` (typos must not pass silently)."""
    if known.issuperset(data):
        return
    for key in data:
        if key not in known:
            issues.append(Issue(f"{prefix}{key}", "unknown field"))


def obj(value: Any, field: str, issues: Issues) -> dict[str, Any] | None:
    """A JSON object.

    Feed items are parsed JSON, whose objects are dicts; checking ``dict``
    rather than ``Mapping`` avoids the slow ABC check on the hot path.
    """
    if not isinstance(value, dict):
        issues.append(Issue(field, f"must be an object, got {kind(value)}"))
        return None
    return value


# --- URLs -----------------------------------------------------------------------

# Assumption: hosts are checked loosely: letters (any script, for IDN hosts), digits,
# "_" (found in real CDN bucket names), dots and dashes, or an IPv6 literal; a port.
_HOST = r"(?:\w(?:[\w.-]*\w)?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
_SAFE = r"[^\s\x00-\x1f\x7f"  # an open character class: no whitespace, no control characters
# The scheme's case spelled out rather than re.IGNORECASE, which slows every character
# of the match (and lets a long s, U+017F, pass for the s of https); the rest has no
# letter to fold.
_GOOD_URL = re.compile(
    rf"[hH][tT][tT][pP][sS]?://{_HOST}(/{_SAFE}?#]*)?(?:\?{_SAFE}#]*)?(?:#{_SAFE}]*)?"
)


def good_url_where(after_path: str) -> re.Pattern[str]:
    """The pattern :func:`url_path` applies, with ``after_path`` (a lookbehind, say)
    right after its path group (``fields.image_urls`` checks the extension so)."""
    return re.compile(
        rf"[hH][tT][tT][pP][sS]?://{_HOST}(/{_SAFE}?#]*)?{after_path}"
        rf"(?:\?{_SAFE}#]*)?(?:#{_SAFE}]*)?"
    )


_HTTP = re.compile(r"https?://([^/?#]*)", re.IGNORECASE)
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def url(value: Any, field: str, issues: Issues, max_len: int) -> str | None:
    """An absolute http(s) URL without credentials, whitespace or control characters."""
    if url_path(value, max_len) is not None:
        return str(value)
    issues.append(Issue(field, url_problem(value, max_len)))
    return None


def url_path(value: Any, max_len: int) -> str | None:
    """The path of an acceptable URL (``""`` when it has none); None when not acceptable.

    The fast path of every URL check: one regular expression, no message built.
    """
    if isinstance(value, str) and len(value) <= max_len:
        match = _GOOD_URL.fullmatch(value)
        if match is not None:
            return match.group(1) or ""
    return None


def url_problem(value: Any, max_len: int) -> str:
    """Why ``url_path`` refused a value, in words a dealer can act on."""
    if not isinstance(value, str):
        return f"must be a URL string, got {kind(value)}"
    if len(value) > max_len:
        return f"is {len(value)} characters long; at most {max_len}"
    if _BAD_CHARS.search(value):
        return "must not contain spaces or control characters (percent-encode them)"
    match = _HTTP.match(value)
    if match is None:
        return f"must be an http or https URL, got {shown(value)}"
    if "@" in match.group(1):
        # Never echo this URL: it carries a password.
        return "must not carry credentials (user:password@host)"
    return f"has no valid host, got {shown(value)}"
