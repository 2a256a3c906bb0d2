"""Adapter (feeds): CSV exports (Excel, web shops) as neutral records, one per row.

The encoding is detected unless given: UTF-8 (a BOM is dropped), else
Windows-1252, else ISO-8859-1. The delimiter is the one of ``; , <tab> |``
that the header line uses most, unless given. Quoted cells may span lines.
Decisions (docs/mapping.md): a short row has empty trailing cells; a long row
is an error of that record; a header naming a column twice keeps every cell as
``Name#1``, ``Name#2`` and the bare ``Name`` gives them all; an undecodable byte
(only possible under a fixed encoding, or after a UTF-8 BOM) is an error of that
record's column, and one in the header a feed error naming the encoding; a cell
over :data:`MAX_CELL` characters is an error of its record. The text is decoded
as it is read (only the file's bytes are held, not a copy of its text).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from syncd.core.models import Issue, Origin
from syncd.errors import FeedError
from syncd.feeds.mapped import SourceRecord

DELIMITERS = (";", ",", "\t", "|")
_FALLBACKS = ("utf-8", "cp1252", "latin-1")
_UNDECODED = re.compile("[\udc80-\udcff]")
_CHUNK = 1 << 20  # bytes decoded at a time: the text is never held whole
MAX_CELL = 1 << 20
"""Assumption: no cell of a stock export is a million characters long (an HTML
description is a few thousand; the API takes a body of 10 000): a larger one is
a broken export, an error of its record (line and column named)."""
_PARSER_LIMIT = 2**31 - 1  # a C long everywhere
_END = "\ufdd0syncd-end-of-file"
"""A line the parser is given after the file's own: read as a row of its own when the
file ends cleanly, swallowed into the last cell when the file ends inside a quoted cell.
Python's parser (not strict) closes an open quote at the end of the data silently, so
a file cut inside a quoted cell (a description with line breaks), or one whose quote is
never closed, would read as fewer, shorter records, and their ads would be updated with
a cut text or deleted. (A noncharacter: no export holds it.)"""


def decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding used; undecodable bytes of a fixed encoding are kept
    as surrogate escapes so that only their records fail."""
    name, skip = encoding_of(data, encoding)
    strict = encoding is None and skip == 0
    return data[skip:].decode(name, "strict" if strict else "surrogateescape"), name


def encoding_of(data: bytes, encoding: str | None) -> tuple[str, int]:
    """The encoding to read ``data`` with, and how many bytes to skip (a UTF-8 BOM):
    ``encoding`` when given, else the first of UTF-8, Windows-1252 and ISO-8859-1
    that decodes every byte."""
    if data.startswith(codecs.BOM_UTF8):
        # Assumption: these three bytes are a byte-order mark whatever the encoding
        # set (a Windows-1252 file saved "with BOM"): never the first column's name.
        return encoding or "utf-8", len(codecs.BOM_UTF8)
    if encoding is not None:
        return encoding, 0
    for name in _FALLBACKS:
        if _decodes(data, name):
            return name, 0
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether every byte decodes, found a chunk at a time (no copy of the whole text)."""
    if encoding == "latin-1" or (encoding == "utf-8" and data.isascii()):
        return True
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text(data: bytes, encoding: str, skip: int) -> io.TextIOWrapper:
    """The text of ``data`` as a stream, decoded as it is read (see ``decode``)."""
    raw = io.BytesIO(data)  # shares the bytes: no copy
    raw.seek(skip)
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def _header_line(data: bytes, encoding: str, skip: int) -> str:
    """The text up to the first line feed, which ``sniff`` reads."""
    end = data.find(b"\n", skip)
    head = data[skip : end if end >= 0 else len(data)]
    if not "a\n".encode(encoding, "ignore").endswith(b"a\n"):  # UTF-16 and the like
        return decode(Path(), data, encoding)[0].split("\n", 1)[0]
    return head.decode(encoding, "surrogateescape")


def sniff(text: str) -> str:
    """The delimiter the header line uses most (``;`` from Excel in Swedish, ``,`` else)."""
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def header_names(header: list[str]) -> list[str]:
    """Header names, a name used twice made ``Name#1``, ``Name#2`` (see the module doc)."""
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    result = []
    for name in names:
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            result.append(f"{name}#{seen[name]}")
        else:
            result.append(name)
    return result


def _record(names: list[str], header: list[str], row: list[str]) -> dict[str, tuple[str, ...]]:
    record: dict[str, tuple[str, ...]] = {}
    cells = row + [""] * (len(names) - len(row))
    for name, bare, cell in zip(names, header, cells, strict=False):
        record[name] = (cell,)
        if name != bare:  # a duplicated column: the bare name holds every cell
            record[bare] = (*record.get(bare, ()), cell)
    return record


def _issues(names: list[str], row: list[str], encoding: str) -> tuple[Issue, ...]:
    issues = []
    if len(row) > len(names):
        issues.append(Issue("record", f"has {len(row)} cells; the header has {len(names)} columns"))
    for name, cell in zip(names, row, strict=False):
        bad = _UNDECODED.search(cell)
        if bad:
            byte = ord(bad.group()) - 0xDC00
            issues.append(Issue(f"column {name!r}", f"byte 0x{byte:02X} is not valid {encoding}"))
    return tuple(issues)


def _check_header(path: Path, header: list[str], encoding: str, *, bom: bool) -> None:
    """A header that does not decode is the encoding's fault, not the mapping's: say so."""
    for number, name in enumerate(header, start=1):
        bad = _UNDECODED.search(name)
        if bad is None:
            continue
        byte = ord(bad.group()) - 0xDC00
        shown = _UNDECODED.sub("?", name)
        why = (
            "although it starts with a UTF-8 byte-order mark (a Windows-1252 file saved "
            "with a BOM?); "
            if bom and encoding in ("utf-8", "utf-8-sig")
            else ""
        )
        raise FeedError(
            f"{path}:1: the header is not valid {encoding}: byte 0x{byte:02X} in column "
            f"{number} ({shown!r}), {why}set feeds.encoding to the file's encoding "
            f"(e.g. cp1252); nothing is sent"
        )


def _oversized(names: list[str], row: list[str]) -> list[Issue]:
    return [
        Issue(
            f"column {name!r}",
            f"the cell is {len(cell)} characters long, over the limit of {MAX_CELL} "
            f"(a broken export?)",
        )
        for name, cell in zip(names, row, strict=False)
        if len(cell) > MAX_CELL
    ]


def _unclosed(path: Path, line: int) -> FeedError:
    return FeedError(
        f"{path}:{line}: the file ends inside a quoted cell of the record on this line "
        f"(a truncated export, or a quote never closed); nothing is sent"
    )


class _Lines:
    """A text's lines, remembering whether the last one ended with a line break."""

    def __init__(self, text: Iterable[str]) -> None:
        self._text = text
        self.ended = True  # no line at all: nothing was cut

    def __iter__(self) -> Iterator[str]:
        for line in self._text:
            self.ended = line.endswith(("\n", "\r"))
            yield line


def _cut_short(record: SourceRecord, width: int) -> SourceRecord:
    """The file's last record, short of the header's columns with no line break after
    it: an export cut off inside that record (a description cut mid-cell, the columns
    after it lost). Its own error, so its ad is left as it is rather than updated with
    a cut text; the other records are whole.

    Assumption: an exporter that leaves out a row's trailing empty cells still ends its
    file with a line break (Excel, LibreOffice and the DMS exports seen all do); a
    short last row without one is taken for a cut file.
    """
    origin, fields, issues = record
    cut = Issue(
        "record",
        f"the file ends in this record, short of the header's {width} columns and with "
        f"no line break after it: a truncated export? (its ad is left as it is)",
    )
    return origin, fields, (*issues, cut)


class CsvFormat:
    """Turns a CSV file's bytes into records (a ``Format`` of ``mapped.py``), streamed:
    the text is decoded as the rows are read, so only the file's bytes are held."""

    def __init__(self, *, encoding: str | None = None, delimiter: str | None = None) -> None:
        self._encoding = encoding
        self._delimiter = delimiter

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        encoding, skip = encoding_of(data, self._encoding)
        # Only a fixed encoding (or a BOM's) can leave undecodable bytes: a detected
        # one decodes every byte, so its rows need no look for them.
        escaped = self._encoding is not None or skip > 0
        delimiter = self._delimiter or sniff(_header_line(data, encoding, skip))
        # The parser's own limit (131 072 characters, for the whole process) would stop
        # the file at one huge cell: it is lifted, and a cell over MAX_CELL is an error
        # of its record alone (the file is bounded by feeds.max_bytes anyway).
        csv.field_size_limit(max(csv.field_size_limit(), _PARSER_LIMIT))
        lines = _Lines(_text(data, encoding, skip))
        reader = csv.reader(itertools.chain(lines, (_END,)), delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None or header == [_END]:
                raise FeedError(f"{path}: no header line")
            if header[-1].endswith(_END):
                raise _unclosed(path, 1)
            if escaped:
                _check_header(path, header, encoding, bom=skip > 0)
            yield from self._rows(path, reader, header, encoding, escaped=escaped, lines=lines)
        except csv.Error as exc:
            raise FeedError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None

    def _rows(
        self,
        path: Path,
        reader: Any,
        header: list[str],
        encoding: str,
        *,
        escaped: bool,
        lines: _Lines,
    ) -> Iterator[SourceRecord]:
        names = header_names(header)
        bare = [h.strip() for h in header]
        plain = names == bare  # no column named twice: one cell per name
        width = len(names)
        start = reader.line_num + 1
        where = str(path)
        # Each record is yielded once the next row is read: the last one is judged with
        # the file's end in sight (see _cut_short).
        pending: SourceRecord | None = None
        short = False
        for row in reader:
            joined = "".join(row)
            if joined.endswith(_END):
                if row != [_END]:
                    raise _unclosed(path, start)
                # The file ended outside any quoted cell.
                if pending is not None:
                    yield _cut_short(pending, width) if short and not lines.ended else pending
                return
            if joined.strip():  # a row of empty cells is no record
                if plain and len(row) == width:
                    # {name: (cell,) for ...} at C speed: zip(row) gives the 1-tuples.
                    record: dict[str, tuple[str, ...]] = dict(zip(names, zip(row), strict=True))
                else:
                    record = _record(names, bare, row)
                issues = _issues(names, row, encoding) if escaped or len(row) > width else ()
                if len(joined) > MAX_CELL:
                    issues = (*issues, *_oversized(names, row))
                if pending is not None:
                    yield pending
                pending = (Origin(where, start), record, issues)  # path, line
                short = len(row) < width
            start = reader.line_num + 1
