"""Adapter (feeds): the native reader — JSON (an array, or ``{"ads": [...]}``) and JSON Lines.

Each item is an ad in the Pro Import API's own request shape. The file is read
whole, checked for size, checksummed and parsed; nothing here judges the items
(that is ``validate.py``). Anything that makes the file unusable as a whole
(missing, too large, changed while read, not UTF-8, not JSON, truncated) raises
:class:`~syncd.errors.FeedError` naming the file and the line, so a broken feed
stops the run before anything is sent and never takes ads offline. Each one is
chained from the error behind it: no secret is at stake here (a parser's message
gives a position, never the feed's contents).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import orjson

from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord
from syncd.errors import FeedError

BOM = b"\xef\xbb\xbf"


def read_bytes(path: Path, *, max_bytes: int) -> tuple[bytes, FeedMeta]:
    """Read a feed file whole, refusing one that is too large or changes while read."""
    try:
        before = path.stat()
        if before.st_size > max_bytes:
            raise FeedError(
                f"{path}: feed is {before.st_size} bytes, over the limit of "
                f"{max_bytes} (feeds.max_bytes)"
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
        after = path.stat()
    except FileNotFoundError as exc:
        raise FeedError(f"{path}: feed file not found") from exc
    except IsADirectoryError as exc:
        raise FeedError(f"{path}: is a directory, not a feed file") from exc
    except OSError as exc:
        raise FeedError(f"{path}: cannot read feed: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise FeedError(f"{path}: feed grew over the limit of {max_bytes} bytes while read")
    changed = (before.st_mtime_ns, before.st_size) != (after.st_mtime_ns, after.st_size)
    if changed or len(data) != after.st_size:
        raise FeedError(
            f"{path}: feed changed while it was read; not using it (is the "
            f"exporter still writing? write to a temp file and rename)"
        )
    meta = FeedMeta(
        path=str(path),
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        modified_at=datetime.fromtimestamp(after.st_mtime, tz=UTC),
    )
    return data, meta


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


def parse_json(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """Parse a JSON feed: an array of ads or an object with an ``ads`` array."""
    data = _text(path, data)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FeedError(
            f"{path}:{_position(data, exc.pos)}: not valid JSON "
            f"({exc.msg}); truncated or broken file"
        ) from exc
    if isinstance(doc, dict) and isinstance(doc.get("ads"), list):
        items = doc["ads"]
    elif isinstance(doc, list):
        items = doc
    else:
        raise FeedError(f'{path}: expected a JSON array of ads or an object {{"ads": [...]}}')
    return tuple(RawRecord(Origin(str(path), index=i), item) for i, item in enumerate(items))


def parse_jsonl(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """Parse a JSON Lines feed: one ad per line; blank lines are skipped."""
    data = _text(path, data)
    records = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise FeedError(
                f"{path}:{number}:{exc.pos + 1}: not valid JSON ({exc.msg}); "
                f"truncated or broken line"
            ) from exc
        records.append(RawRecord(Origin(str(path), line=number), item))
    # Assumption: a missing final newline is accepted (many exporters omit it). A line
    # cut mid-object does not parse and stops the run above; a file cut exactly at a line
    # boundary cannot be told from a shorter feed, which the mass-delete guard covers.
    return tuple(records)


_PARSERS = {"json": parse_json, "jsonl": parse_jsonl}


class NativeFeedReader:
    """Reads a native JSON or JSON Lines feed file (implements ``FeedReader``)."""

    def __init__(self, fmt: str, *, max_bytes: int) -> None:
        if fmt not in _PARSERS:
            raise ValueError(f"unknown native feed format {fmt!r}")
        self._parse = _PARSERS[fmt]
        self._max_bytes = max_bytes

    def read(self, path: str) -> RawFeed:
        """Read and parse the whole file; raises FeedError if it cannot be used."""
        p = Path(os.fspath(path))
        data, meta = read_bytes(p, max_bytes=self._max_bytes)
        return RawFeed(meta=meta, records=self._parse(p, data))
