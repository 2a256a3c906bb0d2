"""A formula error cell (#DIV/0!, #N/A, #REF!, ...) is an error of its record, named by
sheet row, column and error, never read as an empty cell that clears a field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncd.core.map import parse_mapping
from syncd.core.models import InvalidItem
from syncd.core.validate.feed import validate_feed
from syncd.errors import FeedError
from syncd.feeds.mapped import MappedFeedReader
from syncd.feeds.xlsx import XlsxFormat
from syncd.feeds.xlsx_errors import error_cells
from tests.settle import AT_ONCE, read
from tests.xlsx_writer import Cell, FormulaError, write_xlsx, xlsx_bytes

MAPPING = {
    "fields": {
        "source_id": "Id",
        "category_id": {"const": 2048},
        "title": "Titel",
        "body": "Text",
        "url": {"source": "Länk", "optional": True},
        "price[type=list]": {"source": "Pris", "transforms": ["amount"]},
        "contact.name": {"const": "Anna"},
        "contact.phone": {"const": "0701234567"},
        "contact.email": {"const": "anna@example.com"},
    }
}


def records(tmp_path: Path, rows: list[list[Cell]]) -> list[Any]:
    """The records of a one-sheet workbook of ``rows``."""
    path = tmp_path / "lager.xlsx"
    write_xlsx(path, {"Lager": rows})
    return list(XlsxFormat()(path, path.read_bytes()))


@pytest.mark.parametrize("code", ["#DIV/0!", "#N/A", "#REF!", "#VALUE!", "#NAME?", "#NUM!"])
def test_an_error_cell_is_an_issue_naming_cell_column_and_error(tmp_path: Path, code: str):
    """The record holding it gets one issue: its column's name, the cell, the error."""
    found = records(tmp_path, [["Id", "Pris"], ["A", 100], ["B", FormulaError(code)]])
    assert found[0][2] == ()
    origin, _, issues = found[1]
    assert origin.line == 3
    ((field, reason),) = [(i.field, i.reason) for i in issues]
    assert field == "column 'Pris'"
    assert reason == f"cell B3 holds the formula error {code} instead of a value"


def test_a_row_of_only_error_cells_is_not_skipped_as_empty(tmp_path: Path):
    """Skipped, its ad would look absent from the feed and be deleted."""
    rows: list[Cell] = [FormulaError("#REF!"), FormulaError("#REF!")]
    found = records(tmp_path, [["Id", "Pris"], ["A", 1], rows])
    assert [o.line for o, _, _ in found] == [2, 3]
    assert [i.reason[:8] for i in found[1][2]] == ["cell A3 ", "cell B3 "]


def test_an_error_cell_in_the_header_is_a_feed_error(tmp_path: Path):
    """The columns cannot be known: nothing is read, nothing sent."""
    with pytest.raises(FeedError, match=r"header cell B1 holds the formula error #REF!"):
        records(tmp_path, [["Id", FormulaError("#REF!")], ["A", 1]])


def test_a_row_of_only_error_cells_above_the_header_is_skipped(tmp_path: Path):
    """A stray formula above the table (D1 = #N/A) is no header: the header below is."""
    rows: list[list[Cell]] = [[None, None, None, FormulaError("#N/A")], ["Id", "Pris"], ["A", 1]]
    found = records(tmp_path, rows)
    assert [(o.line, r["Id"], i) for o, r, i in found] == [(3, ("A",), ())]


def test_an_error_under_no_header_name_is_an_issue_of_the_record(tmp_path: Path):
    """A column without a name: the issue is the record's, the cell still named."""
    found = records(tmp_path, [["Id", None, "Pris"], ["A", FormulaError("#N/A"), 1]])
    assert [(i.field, i.reason) for i in found[0][2]] == [
        ("record", "cell B2 holds the formula error #N/A instead of a value")
    ]


def test_a_sheet_whose_data_starts_righter_names_the_sheet_column(tmp_path: Path):
    """The error's column is the sheet's (calamine drops the empty columns left of it)."""
    found = records(tmp_path, [[None, "Id", "Pris"], [None, "A", FormulaError("#DIV/0!")]])
    assert [(i.field, i.reason) for i in found[0][2]] == [
        ("column 'Pris'", "cell C2 holds the formula error #DIV/0! instead of a value")
    ]


def test_the_item_is_invalid_with_its_source_id_and_the_others_go_on(tmp_path: Path):
    """Through the mapping and validation: a required title gone to #N/A does not pass as
    missing, an optional url gone to #DIV/0! does not clear the live ad's url; the other
    rows are valid."""
    path = tmp_path / "lager.xlsx"
    rows: list[list[Cell]] = [
        ["Id", "Titel", "Text", "Pris", "Länk"],
        ["A", "Soffa", "Bra", 100, "https://example.com/a"],
        ["B", FormulaError("#N/A"), "Bra", 200, "https://example.com/b"],
        ["C", "Stol", "Bra", 300, FormulaError("#DIV/0!")],
    ]
    write_xlsx(path, {"Lager": rows})
    reader = MappedFeedReader(
        XlsxFormat(), parse_mapping(MAPPING), max_bytes=10**6, stillness=AT_ONCE
    )
    feed = validate_feed(read(reader, path), dealer_code="D1", api_version=4)
    assert [i.source_id for i in feed.items] == ["A"]
    invalid: list[InvalidItem] = list(feed.invalid)
    assert [(str(i.origin), i.source_id) for i in invalid] == [
        (f"{path}:3", "B"),
        (f"{path}:4", "C"),
    ]
    assert [[(x.field, x.reason) for x in i.issues] for i in invalid] == [
        [
            ("column 'Titel'", "cell B3 holds the formula error #N/A instead of a value"),
            ("title", "is required"),
        ],
        [("column 'Länk'", "cell E4 holds the formula error #DIV/0! instead of a value")],
    ]


def test_a_workbook_without_errors_finds_none_and_a_non_zip_is_left_to_calamine() -> None:
    """The scan finds nothing where there is nothing, and never raises."""
    assert error_cells(xlsx_bytes({"S": [["Id"], ["A"]]}), "S") == {}
    assert error_cells(b"not a workbook", "S") == {}
    assert error_cells(xlsx_bytes({"S": [["Id"], [FormulaError("#N/A")]]}), "T") == {}
