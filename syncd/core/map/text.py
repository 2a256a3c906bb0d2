"""Core: transforms of text: whitespace, HTML, slugs, phones, e-mails, URLs, regexes.

Pure: no I/O here. Each function takes one string and its checked argument and
returns a string, or raises :class:`~syncd.core.map.model.TransformError`.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from typing import Any

from syncd.core.map.model import TransformError

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>")
_ITEM = re.compile(r"(?i)<\s*li\b[^>]*>")
_EMAIL = re.compile(r"[^\s,;<>]+@[^\s,;<>]+\.[^\s,;<>]+")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def trim(value: Any, arg: Any) -> str:
    """Leading and trailing whitespace removed."""
    return str(value).strip()


def collapse(value: Any, arg: Any) -> str:
    """Every run of whitespace made one space, ends trimmed."""
    return " ".join(str(value).split())


def lower(value: Any, arg: Any) -> str:
    """Lower case."""
    return str(value).lower()


def upper(value: Any, arg: Any) -> str:
    """Upper case."""
    return str(value).upper()


def html_text(value: Any, arg: Any) -> str:
    """Tags removed (line breaks kept for ``<br>``, ``</p>``, list items), entities decoded."""
    text = _ITEM.sub("\n- ", str(value))
    text = _TAG.sub("", _BREAK.sub("\n", text))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def slug(value: Any, arg: Any) -> str:
    """``Mercedes-Benz  C 220`` -> ``mercedes-benz-c-220`` (accents and å, ä, ö dropped)."""
    return _slug(str(value))


@functools.lru_cache(maxsize=4096)  # brands and models repeat from record to record
def _slug(text: str) -> str:
    folded = text if text.isascii() else _ascii(text)
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def phone(value: Any, arg: Any) -> str:
    """Digits only, a leading ``+`` kept (``" 070-123 45 67"`` -> ``0701234567``)."""
    text = str(value).strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise TransformError(f"{text!r} holds no phone number")
    return ("+" if text.startswith("+") else "") + digits


def email(value: Any, arg: Any) -> str:
    """The first e-mail address of several (separated by commas, semicolons or spaces)."""
    found = _EMAIL.search(str(value))
    if found is None:
        raise TransformError(f"{value!r} holds no e-mail address")
    return found.group()


def prefix(value: Any, arg: Any) -> str:
    """A relative path made absolute under the base URL ``arg``; absolute URLs are kept."""
    text = str(value).strip()
    if _SCHEME.match(text) or text.startswith("//"):
        return text
    return str(arg).rstrip("/") + "/" + text.lstrip("/")


def regex_extract(value: Any, arg: Any) -> str:
    """The first group (or the whole match) of the pattern ``arg``, searched."""
    pattern: re.Pattern[str] = arg
    found = pattern.search(str(value))
    if found is None:
        raise TransformError(f"{value!r} does not match {pattern.pattern!r}")
    return found.group(1) if pattern.groups else found.group()


def regex_replace(value: Any, arg: Any) -> str:
    """Every match of ``arg[0]`` replaced by ``arg[1]`` (``\\1`` names a group)."""
    pattern, replacement = arg
    return str(pattern.sub(replacement, str(value)))
