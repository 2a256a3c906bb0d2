"""Adapter (feeds): the formula error cells (``#DIV/0!``, ``#N/A``, ``#REF!``, ...) of a
workbook's sheet, by row and column.

python-calamine 0.9 gives an error cell as ``""``, the value of an empty cell: a
required field would silently go missing, an optional one be cleared on the live ad.
calamine cannot tell them apart through its Python binding, so the sheet's own XML
says which cells hold an error (``<c r="B2" t="e"><v>#DIV/0!</v></c>``). The part is
first scanned as raw bytes for ``t="e"``, a chunk at a time: a sheet without an error
(nearly every one) costs one decompression and no parse. Only .xlsx/.xlsm (a zip with
``xl/workbook.xml``) are read so; for .xls and .ods this finds nothing (assumption: the
binary and ODF formats are rare for stock exports; their error cells stay ``""``).
The XML is parsed by lxml locked down as ``xml.py`` locks it: no entity expanded, no
DTD loaded, nothing fetched.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import IO

from lxml import etree

ErrorCells = dict[int, dict[int, str]]
"""Sheet row (1-based) -> 0-based column -> the error as the sheet shows it."""

_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_CHUNK = 1 << 16
_OVERLAP = 16  # longer than any spelling of ' t="e"' the pattern takes
_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def error_cells(data: bytes, sheet: str) -> ErrorCells:
    """The error cells of ``sheet`` in the workbook ``data``; empty when there are none,
    or when the file is not a zip workbook (see the module doc)."""
    if not data.startswith(b"PK"):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            part = _sheet_part(book, sheet)
            if part is None or not _has_errors(book, part):
                return {}
            with book.open(part) as xml:
                return _parse(xml)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, etree.LxmlError):
        return {}  # calamine read the sheet: what it could not find here is not an error


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member of the sheet named ``sheet`` (workbook.xml, then its rels)."""
    workbook = etree.fromstring(book.read("xl/workbook.xml"), _parser())
    rid = None
    for element in workbook.iter():
        if str(element.tag).endswith("}sheet") and element.get("name") == sheet:
            rid = element.get(f"{{{_REL_NS}}}id")
    if rid is None:
        return None
    rels = etree.fromstring(book.read("xl/_rels/workbook.xml.rels"), _parser())
    for rel in rels:
        if rel.get("Id") == rid and (target := rel.get("Target")):
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _has_errors(book: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML has an error cell: a chunk at a time (small: the reader
    holds one row of Python objects at a time, this holds one chunk), each chunk's
    start searched again with the previous chunk's end."""
    with book.open(part) as xml:
        tail = b""
        while chunk := xml.read(_CHUNK):
            if _ERROR_TYPE.search(tail + chunk[:_OVERLAP]) or _ERROR_TYPE.search(chunk):
                return True
            tail = chunk[-_OVERLAP:]
    return False


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _parse(xml: IO[bytes]) -> ErrorCells:
    found: ErrorCells = {}
    row, column = 0, -1
    events = etree.iterparse(
        xml, events=("start", "end"), resolve_entities=False, load_dtd=False, no_network=True
    )
    for event, element in events:
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row = int(element.get("r") or row + 1)
                column = -1
            continue
        if tag == "c":
            column = _column_of(element.get("r"), column + 1)
            if element.get("t") == "e":
                value = next((v.text for v in element if _local(v.tag) == "v"), None)
                found.setdefault(row, {})[column] = (value or "").strip() or "an error"
            element.clear()
        elif tag == "row":
            element.clear()
    return found


def _local(tag: object) -> str:
    """An element's name without its namespace."""
    return str(tag).rsplit("}", 1)[-1]


def _column_of(ref: str | None, default: int) -> int:
    """The 0-based column of a cell reference (``B2``: 1); ``default`` without one."""
    match = _CELL_REF.fullmatch(ref or "")
    if match is None:
        return default
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1
