"""Adapter (feeds): the native feed reader: JSON (an array, or ``{"ads": [...]}``) and JSON Lines.

Each item is an ad in the Pro Import API's own request shape. When the file
may be read (whole, still, unchanged) is decided by ``files.py`` for every
format; this module parses its bytes. Nothing here judges the items (that is
``core/validate``), except that a key given twice in one object is recorded on
its item (``strict.py``), for validation to refuse it. Anything that makes the
file unusable as a whole (not UTF-8, not JSON, truncated, the wrong shape)
raises :class:`~syncd.errors.FeedError` naming the file and the line, so a
broken feed stops the run before anything is sent and never takes ads offline. Each one is
chained from the error behind it: no secret is at stake here (a parser's message
gives a position, never the feed's contents).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from syncd.core.models import DuplicateKey, Issue, Origin, Packed, RawRecord
from syncd.core.validate.feed import UNREADABLE
from syncd.core.validate.known import pack
from syncd.errors import FeedError
from syncd.feeds import chunks, json_items, strict
from syncd.feeds.files import FileFeedReader, Sleep, Stillness

BOM = b"\xef\xbb\xbf"


def _text(path: Path, data: bytes) -> bytes:
    # Assumption: a UTF-8 byte-order mark is tolerated (Windows exporters add one);
    # anything that is not valid UTF-8 stops the run with the line it is on.
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FeedError(f"{path}:{line}: not valid UTF-8 (byte offset {exc.start})") from exc
    return data


def _position(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def _items(path: Path, doc: Any) -> list[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("ads"), list):
        items: list[Any] = doc["ads"]
        return items
    if isinstance(doc, list):
        return doc
    raise FeedError(f'{path}: expected a JSON array of ads or an object {{"ads": [...]}}')


def parse_json(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """Parse a JSON feed: an array of ads or an object with an ``ads`` array.

    An array is read a slice at a time into packed records (``chunks.py``); anything
    else, and any array that way cannot read, is parsed whole here.
    """
    records = chunks.packed_array(path, data, len(BOM) if data.startswith(BOM) else 0)
    return records if records is not None else _whole_or_salvaged(path, data)


def _whole_or_salvaged(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """:func:`whole_json`, or, when orjson refused the document for one item's value (a
    number past a float's range, nesting past 1024 levels) and the document is otherwise
    well-formed, its records with each such item unreadable (``json_items.py``)."""
    try:
        return whole_json(path, data)
    except FeedError as exc:
        cause = exc.__cause__
        if not isinstance(cause, orjson.JSONDecodeError) or not json_items.is_value_error(cause):
            raise
        salvaged = json_items.salvage(_text(path, data))
        if salvaged is None:
            raise
        rebuilt, bad = salvaged
        try:
            records = list(whole_json(path, rebuilt))
        except FeedError as again:
            if isinstance(again.__cause__, orjson.JSONDecodeError):
                # A bad value outside every item: the first error, where the file has it.
                raise exc from cause
            raise
        for item in bad:
            records[item.index] = _unreadable(Origin(str(path), index=item.index), item)
        return tuple(records)


def _unreadable(origin: Origin, item: json_items.Unreadable) -> RawRecord:
    """The record of an item the reader could not read: the issue, its source_id if found."""
    data = None if item.source_id is None else {"source_id": item.source_id}
    return RawRecord(origin, data, (), (Issue(UNREADABLE, item.reason),))


def whole_json(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """:func:`parse_json` of the whole document at once, items as parsed (not packed)."""
    data = _text(path, data)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FeedError(
            f"{path}:{_position(data, exc.pos)}: not valid JSON "
            f"({exc.msg}); truncated or broken file"
        ) from exc
    items = _items(path, doc)
    repeated: dict[int, tuple[DuplicateKey, ...]] = {}
    if strict.may_repeat(data, doc):
        marked = strict.parse_marked(data)
        twice = strict.repeated_keys(marked)
        if twice:  # which of two "ads" lists is the feed cannot be known
            raise FeedError(
                f"{path}: the top-level object gives {', '.join(map(repr, twice))} more than "
                f"once; not using the feed (strict JSON)"
            )
        for index, item in enumerate(_items(path, marked)):
            if found := strict.duplicates_in(item):
                repeated[index] = found
    where = str(path)
    return tuple(
        RawRecord(Origin(where, index=i), item, repeated.get(i, ())) for i, item in enumerate(items)
    )


def parse_jsonl(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """Parse a JSON Lines feed: one ad per line; blank lines are skipped.

    Each item is kept packed as soon as its line is parsed; a line with a key given
    twice is kept as it is, with its duplicates named. A file with a line that does
    not parse is read again by the whole-file way below, for its error.
    """
    records = _packed_lines(path, data)
    return records if records is not None else whole_jsonl(path, data)


def whole_jsonl(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """:func:`parse_jsonl` of the whole file at once, items as parsed (not packed)."""
    data = _text(path, data)
    parsed: list[tuple[int, Any]] = []
    bad: dict[int, RawRecord] = {}
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            parsed.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            if (unreadable := _unreadable_line(path, number, line, exc)) is None:
                raise FeedError(
                    f"{path}:{number}:{exc.pos + 1}: not valid JSON ({exc.msg}); "
                    f"truncated or broken line"
                ) from exc
            bad[number] = unreadable
    if bad:  # after the loop: a broken line anywhere still stops the feed
        return _with_unreadable(path, lines, parsed, bad)
    # Assumption: a missing final newline is accepted (many exporters omit it). A line
    # cut mid-object does not parse and stops the run above; a file cut exactly at a line
    # boundary is kept out by files.py (it must hold still, and be unchanged after).
    where = str(path)
    if not strict.may_repeat(data, [item for _, item in parsed]):
        return tuple(RawRecord(Origin(where, line=number), item) for number, item in parsed)
    return tuple(
        RawRecord(Origin(where, line=number), item, _repeated(lines[number - 1], item))
        for number, item in parsed
    )


def _unreadable_line(
    path: Path, number: int, line: bytes, exc: orjson.JSONDecodeError
) -> RawRecord | None:
    """The record of a well-formed line orjson refused for a value (``json_items.py``);
    None for a broken line."""
    if not json_items.is_value_error(exc):
        return None
    # Read as the one item of an array: "[" shifts each offset by one, as a column is.
    salvaged = json_items.salvage(b"[" + line + b"]", lambda pos: f"column {pos}")
    if salvaged is None:
        return None
    return _unreadable(Origin(str(path), line=number), salvaged[1][0])


def _with_unreadable(
    path: Path, lines: list[bytes], parsed: list[tuple[int, Any]], bad: dict[int, RawRecord]
) -> tuple[RawRecord, ...]:
    """The lines' records in file order, the unreadable ones among them."""
    where = str(path)
    read = {
        number: RawRecord(Origin(where, line=number), item, _repeated(lines[number - 1], item))
        for number, item in parsed
    }
    return tuple((read | bad)[number] for number in sorted(read.keys() | bad.keys()))


def _packed_lines(path: Path, data: bytes) -> tuple[RawRecord, ...] | None:
    """The records of a JSON Lines file, packed line by line; None on any line that
    does not parse (the caller's way names the line and the problem)."""
    where = str(path)
    records: list[RawRecord] = []
    at = len(BOM) if data.startswith(BOM) else 0
    number = 0
    while at <= len(data):
        newline = data.find(b"\n", at)
        stop = len(data) if newline < 0 else newline
        line = data[at:stop]
        at, number = stop + 1, number + 1
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        origin = Origin(where, line=number)
        packed = pack(item)
        if packed is not None and not _may_repeat_line(line, packed):
            records.append(RawRecord(origin, None, packed=packed))
        else:
            records.append(RawRecord(origin, item, _repeated(line, item)))
    return tuple(records)


def _may_repeat_line(line: bytes, packed: Packed) -> bool:
    """``strict.may_repeat`` of one line, with its item's canonical text at hand."""
    if strict.has_escaped_colon(line):
        return True  # strict.may_repeat's own count then decides
    return line.count(b":") != packed.text.count(b":")


def _repeated(line: bytes, item: Any) -> tuple[DuplicateKey, ...]:
    if not strict.may_repeat(line, item):
        return ()
    return strict.duplicates_in(strict.parse_marked(line))


_PARSERS = {"json": parse_json, "jsonl": parse_jsonl}


class NativeFeedReader(FileFeedReader):
    """Reads a native JSON or JSON Lines feed file (implements ``FeedReader``)."""

    def __init__(
        self,
        fmt: str,
        *,
        max_bytes: int,
        stillness: Stillness | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if fmt not in _PARSERS:
            raise ValueError(f"unknown native feed format {fmt!r}")
        super().__init__(max_bytes=max_bytes, stillness=stillness, sleep=sleep)
        self._parse = _PARSERS[fmt]

    def parse(self, path: Path, data: bytes) -> tuple[RawRecord, ...]:
        """The records of a JSON or JSON Lines file's bytes."""
        return self._parse(path, data)
