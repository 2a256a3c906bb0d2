"""Adapter (feeds): Excel workbooks (.xlsx, also .xlsm/.xls/.ods) as neutral records, one per row.

Read with python-calamine (Rust's calamine; pyproject says why). The sheet is
``sheet`` when given, else the workbook's first visible worksheet. Its first
non-empty row is the header: the column names, as in a CSV (a name used twice
gives ``Name#1``, ``Name#2`` and the bare ``Name`` holds them all). Each later
non-empty row is one record whose origin line is its row number in the sheet.

Cells become the strings a CSV of the same sheet would hold, so the same
transforms read them: text as written; a whole number without ``.0``
(``2019``, not ``2019.0``: Excel keeps every number as a float); other numbers
in their shortest form with a decimal point (``12.5``), both as
:class:`~syncd.core.map.model.NumberText` (their ``.`` is a decimal point); a date cell
``YYYY-MM-DD``; a date-and-time cell ``YYYY-MM-DD HH:MM:SS``; a boolean
``true``/``false``; formulas by their cached value. A cell under no header
name is an error of that record, and so is a formula error cell (``#DIV/0!``,
``#N/A``, ...: ``xlsx_errors.py``), named by its cell and column, never read as an
empty cell; one in the header row is a feed error (a row of only error cells above the
header is skipped). A file that is not a workbook, or a sheet
that is not in it, is a feed error: nothing is sent.

Memory: the rows are read one at a time (``iter_rows()``): the Python side
holds one row's objects, however long the sheet. calamine itself holds the
whole sheet's cells (native memory, about 100 bytes a cell: 100 000 rows of 10
columns take ~95 MB beside ~2 MB of Python; ``bench/xlsx_memory.py``) and
reads all of it before the first row: python-calamine has no lazy reader.
``feeds.max_bytes`` bounds the file like any feed's, and :data:`MAX_UNPACKED`
what its zip unpacks to.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from syncd.core.map.model import NumberText
from syncd.core.models import Issue, Origin
from syncd.errors import FeedError
from syncd.feeds.csv import header_names
from syncd.feeds.mapped import SourceRecord
from syncd.feeds.xlsx_errors import error_cells

CellValue = int | float | str | bool | time | date | datetime | timedelta


def cell_text(value: CellValue) -> str:
    """One cell as the string the transforms read (see the module doc)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # a number cell: its "." is a decimal point
        return NumberText(int(value) if value.is_integer() else repr(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int):
        return NumberText(value)
    return str(value)


MAX_UNPACKED = 512 << 20
"""Assumption: no stock export's workbook unpacks to more than 512 MiB of XML (100 000
ads are some 200 MB). The zip's own directory says what it unpacks to: a larger total
is a broken or hostile file (a zip bomb: a 400 KB file unpacking to 400 MB took 2 GB of
memory and 15 s), refused before calamine unpacks anything. (A directory that lies
about the sizes is calamine's to catch.)"""


def _unpacked_size(data: bytes) -> int | None:
    """What a zip (.xlsx, .xlsm, .ods) says it unpacks to; None for another file (.xls)."""
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # calamine names what is wrong with it


def _open(path: Path, data: bytes) -> CalamineWorkbook:
    unpacked = _unpacked_size(data)
    if unpacked is not None and unpacked > MAX_UNPACKED:
        raise FeedError(
            f"{path}: the workbook unpacks to {unpacked} bytes, over the limit of "
            f"{MAX_UNPACKED} (a broken export?); nothing is sent"
        )
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise FeedError(f"{path}: not a readable Excel workbook ({exc})") from None


def _sheet_name(path: Path, book: CalamineWorkbook, wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in book.sheet_names:
            known = ", ".join(repr(n) for n in book.sheet_names)
            raise FeedError(f"{path}: no sheet {wanted!r} in the workbook (sheets: {known})")
        return wanted
    for sheet in book.sheets_metadata:
        if sheet.typ == SheetTypeEnum.WorkSheet and sheet.visible == SheetVisibleEnum.Visible:
            return sheet.name
    raise FeedError(f"{path}: the workbook has no visible worksheet")


def column_letter(index: int) -> str:
    """The sheet's name of a 0-based column: ``A``, ..., ``Z``, ``AA``, ..."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _record(
    names: Sequence[str], bare: Sequence[str], cells: Sequence[str], first_col: int
) -> tuple[dict[str, tuple[str, ...]], tuple[Issue, ...]]:
    record: dict[str, tuple[str, ...]] = {}
    issues = []
    for i, cell in enumerate(cells):
        if i >= len(names) or not bare[i]:
            if cell.strip():
                column = column_letter(first_col + i)
                issues.append(Issue("record", f"column {column} has {cell!r} but no header name"))
            continue
        record[names[i]] = (cell,)
        if names[i] != bare[i]:  # a duplicated column: the bare name holds every cell
            record[bare[i]] = (*record.get(bare[i], ()), cell)
    for name in names[len(cells) :]:
        record.setdefault(name, ("",))
    return record, tuple(issues)


def _error_issues(
    names: Sequence[str], bare: Sequence[str], failed: dict[int, str], first_col: int, row: int
) -> Iterator[Issue]:
    """One issue per formula error cell of a record's row: its cell, column and error.

    Assumption: an error in any named column makes the record invalid, mapped or not
    (the reader does not know the mapping): a row whose formulas fail is not a sound
    export of that ad, and its live ad is left as it is rather than updated with a
    field gone blank."""
    for column, error in sorted(failed.items()):
        i = column - first_col
        named = 0 <= i < len(names) and bare[i]
        field = f"column {names[i]!r}" if named else "record"
        cell = f"{column_letter(column)}{row}"
        yield Issue(field, f"cell {cell} holds the formula error {error} instead of a value")


def _header_error(path: Path, sheet: str, row: int, failed: dict[int, str]) -> FeedError:
    column, error = min(failed.items())
    return FeedError(
        f"{path}: sheet {sheet!r}: header cell {column_letter(column)}{row} holds the "
        f"formula error {error}: the columns cannot be known; nothing is sent"
    )


class XlsxFormat:
    """Turns a workbook's bytes into records of one sheet (a ``Format`` of ``mapped.py``)."""

    def __init__(self, sheet: str | None = None) -> None:
        self._sheet = sheet

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        book = _open(path, data)
        try:
            name = _sheet_name(path, book, self._sheet)
            sheet = book.get_sheet_by_name(name)
            # iter_rows gives every row from the sheet's first (row 1: the empty rows
            # above the data too) but the columns from the data's first (python-calamine
            # 0.9, its issue #177); tests/integration/feeds/test_xlsx.py pins both.
            first_col = (sheet.start or (0, 0))[1]
            rows = sheet.iter_rows()
        except CalamineError as exc:
            raise FeedError(f"{path}: cannot read sheet of the workbook ({exc})") from None
        errors = error_cells(data, name)
        names: list[str] | None = None
        bare: list[str] = []
        for number, row in enumerate(rows, start=1):
            cells = [cell_text(v) for v in row]
            failed = errors.get(number)
            if not failed and not any(c.strip() for c in cells):
                continue  # a row of only error cells is no empty row: its ad must not go
            if names is None:
                if failed and not any(c.strip() for c in cells):
                    # Above the header a row of only error cells (a stray formula above
                    # the table) is skipped, as it was while an error cell read as empty:
                    # no ad's row can be there.
                    continue
                if failed:
                    raise _header_error(path, name, number, failed)
                bare = [c.strip() for c in cells]
                names = header_names(bare)
                continue
            record, issues = _record(names, bare, cells, first_col)
            if failed:
                issues = (*issues, *_error_issues(names, bare, failed, first_col, number))
            yield Origin(str(path), line=number), record, issues
        if names is None:
            raise FeedError(f"{path}: sheet {name!r} has no header row")
