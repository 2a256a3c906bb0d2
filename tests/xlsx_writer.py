"""Test helper: a tiny, deterministic .xlsx writer (strings, numbers, booleans, dates,
formula errors).

syncd only reads .xlsx (python-calamine cannot write), so the tests, the
benchmark and the example under examples/ write their workbooks with this:
the parts Excel itself writes (shared strings, a styles part whose number
formats mark date cells), fixed zip timestamps, so the same rows always give
the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class FormulaError:
    """A formula cell whose cached value is an error, as Excel writes it (``#DIV/0!``)."""

    code: str
    formula: str = "1/0"


Cell = str | int | float | bool | date | FormulaError | None

_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with the 1900 leap-year bug folded in)
_STAMP = (2024, 1, 1, 0, 0, 0)
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

# Style 1: a date (numFmt 14, "m/d/yyyy" as Excel shows it); 2: a date and time.
_STYLES = (
    f'<styleSheet xmlns="{_NS}"><numFmts count="1"><numFmt numFmtId="164" '
    'formatCode="yyyy-mm-dd hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf/>'
    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: Cell, strings: dict[str, int]) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, FormulaError):
        return f'<c r="{ref}" t="e"><f>{escape(value.formula)}</f><v>{escape(value.code)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        serial = (value.date() - _EPOCH).days + seconds / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        serial = (value - _EPOCH).days
        return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    index = strings.setdefault(value, len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def _sheet(rows: Iterable[Sequence[Cell]], strings: dict[str, int]) -> str:
    out = [f'<worksheet xmlns="{_NS}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{_column(c)}{r}", v, strings) for c, v in enumerate(row))
        out.append(f'<row r="{r}">{cells}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def _shared(strings: dict[str, int]) -> str:
    items = "".join(
        f'<si><t xml:space="preserve">{escape(s)}</t></si>'
        for s in sorted(strings, key=strings.get)  # type: ignore[arg-type]
    )
    return f'<sst xmlns="{_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'


def write_xlsx(path: Path, sheets: dict[str, Iterable[Sequence[Cell]]]) -> None:
    """Write ``sheets`` (name -> rows, the first row the header) as an .xlsx file."""
    path.write_bytes(xlsx_bytes(sheets))


def xlsx_bytes(sheets: dict[str, Iterable[Sequence[Cell]]]) -> bytes:
    """``sheets`` (name -> rows, the first row the header) as the bytes of an .xlsx file."""
    strings: dict[str, int] = {}
    parts = {
        f"xl/worksheets/sheet{i}.xml": _sheet(rows, strings)
        for i, rows in enumerate(sheets.values(), 1)
    }
    names = list(sheets)
    book = "".join(
        f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    n = len(names)
    rels += (
        f'<Relationship Id="rId{n + 1}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    )
    rels += f'<Relationship Id="rId{n + 2}" Type="{_REL}/styles" Target="styles.xml"/>'
    overrides = "".join(
        f'<Override PartName="/{p}" ContentType="{_SHEET_CT}.worksheet+xml"/>' for p in parts
    )
    files = {
        "[Content_Types].xml": (
            f'<Types xmlns="{_CT}"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_CT}.sheet.main+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_SHEET_CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_SHEET_CT}.styles+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{book}</sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}">{rels}</Relationships>',
        "xl/styles.xml": _STYLES,
        **parts,
        "xl/sharedStrings.xml": _shared(strings),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(
                info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text
            )
    return out.getvalue()
