"""Adapter (feeds): a native feed read a slice at a time, its items kept packed.

orjson parses a whole JSON document at once, so a 100 000-ad array would be held
as Python objects all together (about four times the file) beside the file's
bytes, then hashed, then mostly never looked at again (a no-op run skips every
unchanged item by its raw hash). Here the array is parsed in slices of about
:data:`SLICE` bytes, and each item is kept as a :class:`~syncd.core.models.Packed`
record (its canonical text, raw hash and source_id) as soon as it is parsed: the
run holds the file and the packed items, never every item's objects at once.

Slices are cut before an item that starts like the array's first one
(``}, {"<first key>"``) and each is checked by parsing it: a cut anywhere but
between two items of the array cannot parse (a slice ending inside an item leaves
that item's brace open; one ending inside a string leaves the string open), so
every slice that parses is a run of whole items, and together they are the
array. The other readings of a duplicated key (the text's colons against those of
the items' canonical texts: ``strict.py``) are summed over the slices.

Whenever this way does not apply (not an array, an escaped colon in the text, no
place to cut, a slice or the whole not valid JSON, a key given twice), it gives
None and the caller parses the whole document as before, with the same errors:
this module never decides that a feed is broken, and never changes what is read.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from syncd.core.models import Origin, RawRecord
from syncd.core.validate.known import pack_all
from syncd.feeds import strict

SLICE = 1 << 20
"""Bytes parsed at once (about a thousand ads): small beside a large feed."""
_MAX_MISSES = 8  # cuts inside an item before the whole document is parsed instead
# JSON's whitespace only: ``\s`` would also take \f and \v, and a cut over them would
# drop from the text what the whole document refuses (orjson takes these four only).
_WS = rb"[ \t\r\n]*"
_FIRST_KEY = re.compile(rb"\[" + _WS + rb"\{" + _WS + rb'"((?:[^"\\]|\\.)*)"' + _WS + rb":")
_WHITESPACE = b" \t\r\n"


def packed_array(path: Path, data: bytes, start: int = 0) -> tuple[RawRecord, ...] | None:
    """The records of a JSON array of items (from byte ``start``), packed; None when the
    caller must parse the whole document itself (see the module docstring)."""
    opened = _FIRST_KEY.match(data, _skip_space(data, start))
    end = len(data.rstrip(_WHITESPACE)) - 1
    if opened is None or end <= opened.end() or data[end] != ord("]"):
        return None
    if strict.has_escaped_colon(data):
        return None  # strict.py's slower count decides those
    first_key = re.escape(opened.group(1))
    cut = re.compile(
        rb"\}" + _WS + rb"," + _WS + rb"(?=\{" + _WS + rb'"' + first_key + rb'"' + _WS + rb":)"
    )
    where = str(path)
    records: list[RawRecord] = []
    colons = 0
    begin = opened.start() + 1  # just after the "["
    while begin < end:
        parsed = _next_slice(data, begin, end, cut)
        if parsed is None:
            return None
        items, begin = parsed
        packed = pack_all(items)
        if packed is None:
            return None
        del items  # each slice's objects go as soon as they are packed
        colons += b"".join([p.text for p in packed]).count(b":")
        first = len(records)
        records.extend(
            RawRecord(Origin(where, None, first + i), None, (), (), p) for i, p in enumerate(packed)
        )
    if colons != data.count(b":"):
        return None  # a key given twice somewhere: strict.py names it
    return tuple(records)


def _next_slice(
    data: bytes, begin: int, end: int, cut: re.Pattern[bytes]
) -> tuple[list[object], int] | None:
    """The items of the next slice from ``begin`` and where the one after starts."""
    search_from = min(begin + SLICE, end)
    for _ in range(_MAX_MISSES):
        found = cut.search(data, search_from, end)
        stop, after = (found.start() + 1, found.end()) if found else (end, end)
        try:
            items = orjson.loads(b"[" + data[begin:stop] + b"]")
        except orjson.JSONDecodeError:
            if found is None:
                return None
            search_from = found.end()
            continue
        if not isinstance(items, list):
            return None
        return items, after
    return None


def _skip_space(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in _WHITESPACE:
        at += 1
    return at
