"""Adapter (feeds): CSV exports (Excel, web shops) as neutral records, one per row.

The encoding is detected unless given: UTF-8 (a BOM is dropped), else
Windows-1252, else ISO-8859-1. The delimiter is the one of ``; , <tab> |``
that the header line uses most, unless given. Quoted cells may span lines.
Decisions (docs/mapping.md): a short row has empty trailing cells; a long row
is an error of that record; a header naming a column twice keeps every cell as
``Name#1``, ``Name#2`` and the bare ``Name`` gives them all; an undecodable byte
(only possible under a fixed encoding) is an error of that record's column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from syncd.core.models import Issue, Origin
from syncd.errors import FeedError
from syncd.feeds.mapped import SourceRecord

DELIMITERS = (";", ",", "\t", "|")
_FALLBACKS = ("utf-8", "cp1252", "latin-1")
_UNDECODED = re.compile("[\udc80-\udcff]")


def decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding used; undecodable bytes of a fixed encoding are kept
    as surrogate escapes so that only their records fail."""
    if data.startswith(codecs.BOM_UTF8) and encoding in (None, "utf-8", "utf-8-sig"):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "surrogateescape"), "utf-8"
    if encoding is not None:
        return data.decode(encoding, "surrogateescape"), encoding
    for name in _FALLBACKS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


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


class CsvFormat:
    """Turns a CSV file's bytes into records (a ``Format`` of ``mapped.py``)."""

    def __init__(self, *, encoding: str | None = None, delimiter: str | None = None) -> None:
        self._encoding = encoding
        self._delimiter = delimiter

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        text, encoding = decode(path, data, self._encoding)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter or sniff(text))
        try:
            header = next(reader, None)
            if header is None:
                raise FeedError(f"{path}: no header line")
            names = header_names(header)
            bare = [h.strip() for h in header]
            start = reader.line_num + 1
            for row in reader:
                if any(cell.strip() for cell in row):
                    origin = Origin(str(path), line=start)
                    yield origin, _record(names, bare, row), _issues(names, row, encoding)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise FeedError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
