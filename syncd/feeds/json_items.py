"""Adapter (feeds): a JSON feed that orjson refuses for one item's *value* is read item
by item, that item made an error of its own.

orjson refuses a whole document for a number it cannot hold (``1e400``, a 5000-digit
integer: "number is infinity when parsed as double") and for nesting deeper than 1024
levels ("depth limit exceeded"). Both are well-formed JSON: one item's fault, not a
broken file. So when, and only when, orjson gives one of these two reasons, the
document is checked here by a grammar scanner of its own (an explicit stack: no depth
limit, no value converted), which finds each item's bytes. Each item orjson cannot
read alone (or that nests past orjson's limit) becomes an *unreadable* record: an
issue of field ``item`` naming its line and column and the reason, its ``source_id``
when its top level gives one as a string (so its live ad is kept, and named). The
rest of the document is then parsed as before, the unreadable items as ``null``.

Anything else stays the caller's feed error, as before: a document the scanner finds
not well-formed (a truly broken file: nothing is sent), no array of items where the
reader expects one, a bad value outside every item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson

VALUE_ERRORS = ("number is infinity when parsed as double", "depth limit exceeded")
"""orjson's reasons for refusing well-formed JSON (its messages as of orjson 3.10)."""

MAX_DEPTH = 1024  # orjson's: a document nesting deeper is refused
NATIVE: tuple[tuple[str, ...], ...] = ((), ("ads",))
"""Where a native feed's items are: the top-level array, or ``{"ads": [...]}``."""
# A \u escape is a character or a whole surrogate pair: orjson refuses half a pair
# ("\ud800" alone, "\udc00" first), wherever it is, so the scanner does too (a document
# holding one is broken, even when orjson stopped at a number before it).
_ESCAPE = (
    rb"u(?:[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|(?![dD][89a-fA-F])[0-9a-fA-F]{4})"
)
_TOKEN = re.compile(
    rb'[ \t\r\n]*(?:(?P<s>"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|' + _ESCAPE + rb'))*")'
    rb"|(?P<n>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    rb"|(?P<l>true|false|null)|(?P<p>[][{}:,]))"
)
_WHITESPACE = b" \t\r\n"
_CLOSE = {b"[": b"]", b"{": b"}"}


def is_value_error(exc: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused well-formed JSON for a value (see the module doc)."""
    return exc.msg.startswith(VALUE_ERRORS)


@dataclass(frozen=True, slots=True)
class Span:
    """One item's bytes in the document, how deep it nests, its top-level source_id."""

    start: int
    end: int
    depth: int  # the deepest the document's nesting goes inside it
    source_id: str | None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item orjson cannot read: its index among the items, the reason, its source_id."""

    index: int
    reason: str
    source_id: str | None
    start: int  # its bytes in the document
    end: int


def salvage(
    data: bytes,
    where: Callable[[int], str] | None = None,
    paths: tuple[tuple[str, ...], ...] = NATIVE,
) -> tuple[bytes, list[Unreadable]] | None:
    """The document with each unreadable item replaced by ``null``, and those items;
    None when it is not well-formed JSON with an array of items (``spans``), or an item
    is refused for a reason other than its value. ``where`` names a byte offset for a
    reason (default: the line and column in ``data``); ``paths`` where the items are.
    """
    found = spans(data, paths=paths)
    if found is None:
        return None
    parts: list[bytes] = []
    bad: list[Unreadable] = []
    at = 0
    for index, span in enumerate(found):
        reason = _unreadable(data, span, where or (lambda pos: position(data, pos)))
        if reason == _OTHER:
            return None  # refused for another reason (a lone surrogate): the feed's error
        if reason is not None:
            parts += [data[at : span.start], b"null"]
            at = span.end
            bad.append(Unreadable(index, reason, span.source_id, span.start, span.end))
    if not bad:
        return None
    parts.append(data[at:])
    return b"".join(parts), bad


_OTHER = ""  # _unreadable's answer for an item refused for another reason


def _unreadable(data: bytes, span: Span, position_of: Callable[[int], str]) -> str | None:
    """Why orjson cannot read the item (a reason naming where), or None."""
    if span.depth > MAX_DEPTH:
        where = position_of(span.start)
        return f"is nested more than {MAX_DEPTH} levels deep (item from {where}); not read"
    try:
        orjson.loads(data[span.start : span.end])
    except orjson.JSONDecodeError as exc:
        where = position_of(span.start + exc.pos)
        if exc.msg.startswith(VALUE_ERRORS[0]):
            return f"holds a number too large to be read (past 1.8e308) at {where}"
        if exc.msg.startswith(VALUE_ERRORS[1]):
            return f"is nested more than {MAX_DEPTH} levels deep (at {where}); not read"
        return _OTHER
    return None


def position(data: bytes, pos: int) -> str:
    """A byte offset of ``data`` as its line and column."""
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


class _Scan:
    """A JSON grammar check over tokens, with an explicit stack (see :func:`spans`).

    ``expect`` is what may come next: ``value``, ``value_or_close`` (after ``[``),
    ``key``, ``key_or_close`` (after ``{``), ``colon``, ``comma_or_close`` or ``end``.
    Each step returns False on a token the grammar does not allow there.
    """

    def __init__(self, paths: tuple[tuple[bytes, ...], ...]) -> None:
        self.stack: list[bytes] = []
        self.keys: list[bytes | None] = []  # each open object's current key (quoted)
        self.paths = paths
        self.expect = "value"
        self.items_level: int | None = None  # len(stack) inside the array of items
        self.item: int | None = None  # where the current item starts
        self.depth = 0
        self.source_id: str | None = None
        self.spans: list[Span] = []
        self.named = False  # the key naming the items was given

    def step(self, kind: str, token: bytes, at: int, end: int) -> bool:
        """Take one token (``kind`` its group: s, n, l or p) from ``at`` to ``end``."""
        expect = self.expect
        if expect == "colon":
            self.expect = "value"
            return token == b":"
        if expect == "comma_or_close":
            if token == b",":
                self.expect = "value" if self.stack[-1] == b"[" else "key"
                return True
            return token == _CLOSE[self.stack[-1]] and self._close(end)
        if expect in ("key", "key_or_close"):
            if kind == "s":
                return self._key(token)
            return expect == "key_or_close" and token == b"}" and self._close(end)
        if expect == "value_or_close" and token == b"]":
            return self._close(end)
        if expect == "end" or (kind == "p" and token not in _CLOSE):
            return False
        self._value(kind, token, at, end)
        return True

    def _on_path(self) -> bool:
        """Whether the value about to start is where one of ``paths`` names the items."""
        stack, keys = self.stack, self.keys
        return any(
            len(path) == len(stack)
            and all(f == b"{" and k == want for f, k, want in zip(stack, keys, path, strict=True))
            for path in self.paths
        )

    def _key(self, token: bytes) -> bool:
        self.keys[-1] = token
        if self.paths != ((),) and self._on_path():
            if self.named:
                return False  # the key of the items given twice: which is meant is unknown
            self.named = True
        self.expect = "colon"
        return True

    def _value(self, kind: str, token: bytes, at: int, end: int) -> None:
        stack = self.stack
        if self.items_level is not None and len(stack) == self.items_level:
            self.item, self.depth, self.source_id = at, len(stack), None
        if kind != "p":
            self._scalar(kind, token)
            self._done(end)
            return
        if token == b"[" and self.items_level is None and self._on_path():
            self.items_level = len(stack) + 1
        stack.append(token)
        self.keys.append(None)
        if self.item is not None:
            self.depth = max(self.depth, len(stack))
        self.expect = "value_or_close" if token == b"[" else "key_or_close"

    def _scalar(self, kind: str, token: bytes) -> None:
        """A scalar value: kept as the item's source_id when it is its top-level one."""
        level = self.items_level
        if (
            kind == "s"
            and level is not None
            and len(self.stack) == level + 1
            and self.stack[-1] == b"{"
            and self.keys[-1] == b'"source_id"'
        ):
            self.source_id = orjson.loads(token)

    def _close(self, end: int) -> bool:
        self.stack.pop()
        self.keys.pop()
        self._done(end)
        return True

    def _done(self, end: int) -> None:
        """A value ended at ``end``: an item's span when it was one."""
        if self.item is not None and len(self.stack) == self.items_level:
            self.spans.append(Span(self.item, end, self.depth, self.source_id))
            self.item = None
        self.expect = "comma_or_close" if self.stack else "end"


def spans(
    data: bytes, start: int = 0, paths: tuple[tuple[str, ...], ...] = NATIVE
) -> list[Span] | None:
    """The items of a well-formed JSON document (from byte ``start``): the elements of
    the first array found at one of ``paths`` (keys from the top: ``()`` is the
    top-level array); None when it is not well-formed, has no such array, or gives a
    key of the path twice where it names the items. Assumption: a key is matched as
    orjson writes it (a key spelled with escapes is not found: the caller's error)."""
    quoted = tuple(tuple(orjson.dumps(key) for key in path) for path in paths)
    scan = _Scan(quoted)
    pos = start
    while (match := _TOKEN.match(data, pos)) is not None:
        kind = str(match.lastgroup)  # every alternative is a named group
        at, pos = match.start(kind), match.end()
        if not scan.step(kind, match.group(kind), at, pos):
            return None
    if scan.expect != "end" or data[pos:].strip(_WHITESPACE) or scan.items_level is None:
        return None
    return scan.spans
