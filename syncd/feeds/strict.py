"""Adapter (feeds): strict JSON: keys given more than once in one object.

JSON leaves a duplicated key's meaning open, and orjson and the standard
library both keep the last value silently: ``{"source_id": "a", ...,
"source_id": "b"}`` would delete the live ad ``a`` and create ``b``. The
readers of JSON-based formats parse with orjson (fast) and ask this module
whether the text held a duplicate; only then is the text parsed a second time,
by the standard library with an ``object_pairs_hook`` that sees every pair, to
say which object and which key.

The fast check is exact in one direction: :func:`key_bound` counts an upper
bound of the keys written in the text (every key's colon follows its closing
quote or whitespace; the same two bytes inside a string value only raise the
bound), :func:`key_count` counts the keys the parser kept. Equal counts prove
that no key was dropped; a difference sends the text to the slow path, which
finds the duplicates or finds none (a string value holding ``":``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from syncd.core.models import DuplicateKey

# Every key ends with its closing quote, optional whitespace, then ":"; the byte just
# before the colon is one of these, so each key adds one to exactly one count.
_KEY_ENDS = (b'":', b" :", b"\t:", b"\n:", b"\r:")
# A source_id given twice keeps its values, so that the ads of both can be protected.
_KEEP_VALUES = frozenset({"source_id"})


def key_bound(data: bytes) -> int:
    """At least as many as the keys written in this JSON text (see the module docstring)."""
    return sum(data.count(end) for end in _KEY_ENDS)


def key_count(value: Any) -> int:
    """How many keys the objects of a parsed JSON value hold, at any depth."""
    count = 0
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        if type(node) is dict:
            count += len(node)
            push([v for v in node.values() if type(v) is dict or type(v) is list])
        elif type(node) is list:
            push([v for v in node if type(v) is dict or type(v) is list])
    return count


def may_repeat(data: bytes, parsed: Any) -> bool:
    """False when the text certainly has no duplicated key (the parser dropped nothing)."""
    return key_bound(data) != key_count(parsed)


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
