"""Adapter (feeds): strict JSON: keys given more than once in one object.

JSON leaves a duplicated key's meaning open, and orjson and the standard
library both keep the last value silently: ``{"source_id": "a", ...,
"source_id": "b"}`` would delete the live ad ``a`` and create ``b``. The
readers of JSON-based formats parse with orjson (fast) and ask this module
whether the text held a duplicate; only then is the text parsed a second time,
by the standard library with an ``object_pairs_hook`` that sees every pair, to
say which object and which key (``bench/feed.py`` measures the cost).

The fast check (:func:`may_repeat`) compares the colons of the text with those
of orjson's re-encoding of what it parsed: a dropped key takes its colon with
it. Equal counts prove that no key was dropped; a difference sends the text to
the slow path, which finds the duplicates. A text that escapes a colon as
``\\u003a`` is checked by a walk instead: :func:`key_bound` (an upper bound of
the keys written: every key's colon follows its closing quote or whitespace)
against :func:`key_count` (the keys kept).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson

from syncd.core.models import DuplicateKey

# Every key ends with its closing quote, optional whitespace, then ":"; the byte just
# before the colon is one of these, so each key adds one to exactly one count.
_KEY_ENDS = (b'":', b" :", b"\t:", b"\n:", b"\r:")
_ESCAPED_COLON, _ESCAPED_COLON_UPPER = b"\\u003a", b"\\u003A"
# A source_id given twice keeps its values, so that the ads of both can be protected.
_KEEP_VALUES = frozenset({"source_id"})


def key_bound(data: bytes) -> int:
    """At least as many as the keys written in this JSON text (see the module docstring)."""
    return sum(data.count(end) for end in _KEY_ENDS)


def key_count(value: Any) -> int:
    """How many keys the objects of a parsed JSON value hold, at any depth."""
    # Iterative (a deeply nested feed must not hit the recursion limit), and written for
    # speed: it visits every object of a 100 000-ad feed (bench/feed.py).
    count = 0
    children: Iterable[Any]
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if type(node) is dict:
            count += len(node)
            children = node.values()
        elif type(node) is list:
            children = node
        else:
            continue
        for child in children:
            if type(child) is dict or type(child) is list:
                push(child)
    return count


def has_escaped_colon(data: bytes) -> bool:
    """Whether the text writes a colon as ``\\u003a`` (the colon counts do not apply)."""
    return _ESCAPED_COLON in data or _ESCAPED_COLON_UPPER in data


def may_repeat(data: bytes, parsed: Any) -> bool:
    """False when the text certainly has no duplicated key (the parser dropped nothing).

    Every key is followed by one colon, and a colon inside a string is written as
    it is re-encoded, unless the text escapes it (``\\u003a``). So, without that
    escape, the text and orjson's re-encoding of ``parsed`` hold as many colons
    exactly when no key was dropped: two byte counts and one ``orjson.dumps``, all
    at C speed. With the escape, :func:`key_bound` against :func:`key_count`.
    """
    if has_escaped_colon(data):
        return key_bound(data) != key_count(parsed)
    try:
        encoded = orjson.dumps(parsed)
    except orjson.JSONEncodeError:  # nested past orjson's 255 levels: counted the slow way
        return key_bound(data) != key_count(parsed)
    return data.count(b":") != encoded.count(b":")


class _Repeated(dict[str, Any]):
    """An object that had duplicated keys: ``repeated`` maps each to the values given."""

    repeated: dict[str, list[Any]]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Repeated(obj)
    twice = [key for key, n in Counter(key for key, _ in pairs).items() if n > 1]
    marked.repeated = {key: [v for k, v in pairs if k == key] for key in twice}
    return marked


def parse_marked(data: bytes) -> Any:
    """Parse JSON text that orjson already accepted, marking objects with duplicated keys.

    Assumption: the standard library parses whatever orjson accepted to the same
    structure (orjson is the stricter of the two), so indexes and paths agree.
    """
    return json.loads(data, object_pairs_hook=_pairs)


def repeated_keys(marked: Any) -> tuple[str, ...]:
    """The duplicated keys of this object itself (not of the objects inside it)."""
    return tuple(marked.repeated) if isinstance(marked, _Repeated) else ()


def duplicates_in(marked: Any, prefix: str = "") -> tuple[DuplicateKey, ...]:
    """Every duplicated key of a value from :func:`parse_marked`, by dotted path."""
    found: list[DuplicateKey] = []
    stack: list[tuple[str, Any]] = [(prefix, marked)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _Repeated):
                for key, values in node.repeated.items():
                    kept = tuple(values) if not path and key in _KEEP_VALUES else ()
                    found.append(DuplicateKey(_join(path, key), len(values), kept))
            stack.extend((_join(path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
    return tuple(sorted(found, key=lambda d: d.field))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
