"""The xlsx reader on real workbooks: header, typed cells as strings, sheets, broken files."""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.core.map import parse_mapping
from syncd.errors import FeedError
from syncd.feeds.mapped import MappedFeedReader
from syncd.feeds.xlsx import XlsxFormat, cell_text
from tests.settle import AT_ONCE, read
from tests.xlsx_writer import Cell, write_xlsx

HEADER: list[Cell] = ["Id", "Modell", "År", "Pris", "Längd", "Inkommen", "Visad", "Ny"]


def records(tmp_path: Path, sheets: dict[str, list[list[Cell]]], sheet: str | None = None) -> Any:
    path = tmp_path / "lager.xlsx"
    write_xlsx(path, sheets)
    return list(XlsxFormat(sheet)(path, path.read_bytes()))


def test_typed_cells_become_the_strings_a_csv_would_hold(tmp_path: Path):
    """Whole numbers lose Excel's ``.0``, dates are ISO, booleans true/false."""
    seen = datetime(2024, 3, 1, 9, 30)  # noqa: DTZ001 - Excel's times have no zone
    row: list[Cell] = ["B1", "Cross 63", 2019, 249900.5, 6.3, date(2024, 3, 1), seen, True]
    ((origin, record, issues),) = records(tmp_path, {"Lager": [HEADER, row]})
    assert dict(record) == {
        "Id": ("B1",),
        "Modell": ("Cross 63",),
        "År": ("2019",),
        "Pris": ("249900.5",),
        "Längd": ("6.3",),
        "Inkommen": ("2024-03-01",),
        "Visad": ("2024-03-01 09:30:00",),
        "Ny": ("true",),
    }
    assert issues == ()
    assert origin.line == 2


def test_cell_text_of_each_kind_of_cell():
    """Each kind calamine gives is written the way the transforms read it."""
    assert [cell_text(v) for v in ("x", 12.0, 0.1, 7, False, date(2020, 1, 2))] == [
        "x", "12", "0.1", "7", "false", "2020-01-02"
    ]  # fmt: skip


def test_empty_rows_are_skipped_and_lines_are_sheet_rows(tmp_path: Path):
    """A blank row between records is no record; each record's line is its row number."""
    rows: list[list[Cell]] = [["Id", "Pris"], ["A", 1], [None, None], ["B", 2], ["C"]]
    found = records(tmp_path, {"Lager": rows})
    assert [(o.line, dict(r)) for o, r, _ in found] == [
        (2, {"Id": ("A",), "Pris": ("1",)}),
        (4, {"Id": ("B",), "Pris": ("2",)}),
        (5, {"Id": ("C",), "Pris": ("",)}),
    ]


def test_a_header_naming_a_column_twice_keeps_both(tmp_path: Path):
    """``Bild`` twice gives ``Bild#1``, ``Bild#2`` and the bare name both, as in a CSV."""
    ((_, record, _),) = records(
        tmp_path, {"Lager": [["Id", "Bild", "Bild"], ["A", "1.jpg", "2.jpg"]]}
    )
    assert record["Bild"] == ("1.jpg", "2.jpg")
    assert record["Bild#2"] == ("2.jpg",)


def test_a_cell_under_no_header_is_an_error_of_its_record(tmp_path: Path):
    """A value right of the last named column makes that record alone invalid."""
    found = records(tmp_path, {"Lager": [["Id", None, None], ["A"], ["B", None, "stray"]]})
    assert [len(issues) for _, _, issues in found] == [0, 1]
    assert "column C has 'stray'" in found[1][2][0].reason


def test_a_sheet_whose_data_starts_lower_and_righter_names_its_own_rows_and_columns(
    tmp_path: Path,
):
    """Empty rows above the header and empty columns left of it: the lines are still the
    sheet's row numbers, a stray cell is named by its sheet column (calamine's iter_rows
    keeps the empty rows and drops the empty columns: this pins both)."""
    rows: list[list[Cell]] = [
        [None], [None], [None, None, "Id", "Pris"], [None, None, "A", 1], [None],
        [None, None, "B", 2, "stray"],
    ]  # fmt: skip
    found = records(tmp_path, {"Lager": rows})
    assert [(o.line, dict(r)) for o, r, _ in found] == [
        (4, {"Id": ("A",), "Pris": ("1",)}),
        (6, {"Id": ("B",), "Pris": ("2",)}),
    ]
    assert found[1][2][0].reason == "column E has 'stray' but no header name"


def test_the_configured_sheet_is_read_else_the_first(tmp_path: Path):
    """``sheet`` picks one sheet by name; without it the first sheet is read."""
    sheets: dict[str, list[list[Cell]]] = {"Info": [["Note"], ["hej"]], "Lager": [["Id"], ["A"]]}
    assert dict(records(tmp_path, sheets, "Lager")[0][1]) == {"Id": ("A",)}
    assert dict(records(tmp_path, sheets)[0][1]) == {"Note": ("hej",)}


def test_a_sheet_the_workbook_lacks_is_a_feed_error_listing_the_sheets(tmp_path: Path):
    """A wrong sheet name stops the run and says which sheets there are."""
    with pytest.raises(FeedError, match=r"no sheet 'Stock' in the workbook \(sheets: 'Lager'\)"):
        records(tmp_path, {"Lager": [["Id"], ["A"]]}, "Stock")


def test_a_file_that_is_not_a_workbook_is_a_feed_error(tmp_path: Path):
    """A CSV saved as .xlsx (or a truncated upload) is refused: nothing is sent."""
    path = tmp_path / "lager.xlsx"
    path.write_bytes(b"Id;Pris\nA;1\n")
    reader = MappedFeedReader(
        XlsxFormat(),
        parse_mapping({"fields": {"source_id": "Id"}}),
        max_bytes=10**6,
        stillness=AT_ONCE,
    )
    with pytest.raises(FeedError, match="not a readable Excel workbook"):
        read(reader, path)


def test_a_sheet_without_any_row_is_a_feed_error(tmp_path: Path):
    """An empty sheet has no header, so nothing can be mapped: a feed error."""
    with pytest.raises(FeedError, match="has no header row"):
        records(tmp_path, {"Lager": []})


def test_rows_are_read_one_at_a_time_python_side(tmp_path: Path):
    """The reader yields a record per sheet row as it goes: reading 20 000 rows holds
    about one row of Python objects at a time, not the rows (calamine's own cells are
    native memory, not counted by tracemalloc). Measured: ~0.25 MB (a transient of
    calamine's read of the bytes) against ~6.3 MB for the rows as lists (``to_python()``
    or ``list(iter_rows())``); the bound between them is generous both ways."""
    n = 20_000
    header: list[Cell] = ["Id", "Modell", "År", "Pris", "Text"]
    path = tmp_path / "lager.xlsx"
    write_xlsx(
        path, {"Lager": [header, *([f"B{i}", "Cross", 2019, 9.5, f"t {i}"] for i in range(n))]}
    )
    data = path.read_bytes()
    last = 0
    tracemalloc.start()
    tracemalloc.reset_peak()  # counted from here, were it traced before
    try:
        before, _ = tracemalloc.get_traced_memory()
        for origin, _, _ in XlsxFormat()(path, data):
            last = origin.line
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last == n + 1
    assert peak - before < 1_500_000, peak - before


def test_an_invalid_row_is_named_by_file_line_source_id_and_field(tmp_path: Path):
    """A row whose value the mapping refuses is that item alone, named where it is."""
    path = tmp_path / "lager.xlsx"
    write_xlsx(path, {"Lager": [["Id", "Pris"], ["A", 100], ["B", "gratis"], ["C", 300]]})
    reader = MappedFeedReader(
        XlsxFormat(),
        parse_mapping(
            {"fields": {"source_id": "Id", "price": {"source": "Pris", "transforms": ["int"]}}}
        ),
        max_bytes=10**6,
        stillness=AT_ONCE,
    )
    records = read(reader, path).records
    bad = [r for r in records if r.issues]
    assert [(str(r.origin), r.value()["source_id"]) for r in bad] == [(f"{path}:3", "B")]
    assert [i.field for i in bad[0].issues] == ["price"]


def test_a_workbook_unpacking_past_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A small file whose zip unpacks to far more (a zip bomb) stops the feed, nothing
    unpacked; one under the limit reads as before."""
    from syncd.feeds import xlsx  # noqa: PLC0415 - the module whose limit is lowered

    monkeypatch.setattr(xlsx, "MAX_UNPACKED", 200_000)
    assert len(records(tmp_path, {"Lager": [["Id", "Text"], ["A", "x" * 1_000]]})) == 1
    path = tmp_path / "lager.xlsx"
    write_xlsx(path, {"Lager": [["Id", "Text"], ["A", "x" * 300_000]]})
    assert path.stat().st_size < 200_000  # the file itself is small
    with pytest.raises(FeedError, match=r"the workbook unpacks to \d+ bytes, over the limit"):
        list(XlsxFormat()(path, path.read_bytes()))
