"""Benchmark: the memory of reading an .xlsx sheet, row by row (syncd) beside all rows first.

Writes one workbook of ``--rows`` rows (default 100 000) and 10 columns (text,
whole and decimal numbers, a date, a boolean), then, each in a fresh
subprocess, reads its records and drops each one at once:

* **rows**: ``syncd.feeds.xlsx.XlsxFormat``, what a feed run uses: calamine's
  ``iter_rows()``, one row of Python objects at a time;
* **all**: the same records from every row materialised first
  (``CalamineSheet.to_python()``, then a list of records), the approach a lazy
  reader avoids.

Printed for each: the Python-side peak (tracemalloc: Python objects only), the
process's peak RSS growth (VmHWM after the bytes are read: calamine's native
cells included, which tracemalloc does not see) and the time (wall clock; the
tracemalloc run is timed apart from the plain one, tracing slows Python down).

Measured (python-calamine 0.9.1, 100 000 x 10, a 5.5 MB file, a shared 2-core
machine): rows 2.5 s, 2.1 MB Python peak (a transient of calamine's read of the
bytes), 98 MB RSS (calamine's cells of the whole sheet); all 3.5 s, 179 MB
Python peak, 247 MB RSS. The
native part cannot be cut from Python: python-calamine reads the whole sheet
before its first row (calamine has no lazy reader; its issue #27).

Run: .venv/bin/python bench/xlsx_memory.py  [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEADER = [
    "Regnr",
    "Märke",
    "Modell",
    "Årsmodell",
    "Miltal",
    "Pris",
    "Inkommen",
    "Ny",
    "Bild",
    "Text",
]


def rss_mb() -> float:
    """Peak RSS so far (Linux VmHWM, this process's own; see bench/feeds.py)."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kb) / 1024


def rows(n: int) -> Iterator[list[Any]]:
    yield HEADER
    for i in range(n):
        yield [
            f"ABC{i:06d}", ("Volvo", "Kia")[i % 2], "XC60", 2010 + i % 14, 1000 + i,
            199_900.5 + i, date(2024, 1, 1 + i % 28), i % 3 == 0,
            f"https://img.example/{i}.jpg", f"Bil nummer {i}, servicebok finns",
        ]  # fmt: skip


def all_rows_first(path: Path, data: bytes) -> Iterator[tuple[int, dict[str, tuple[str, ...]]]]:
    """The records as from every row materialised first (the approach not taken)."""
    import io  # noqa: PLC0415

    from python_calamine import CalamineWorkbook  # noqa: PLC0415

    from syncd.feeds.xlsx import cell_text  # noqa: PLC0415

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    table = sheet.to_python()
    names = [str(c) for c in table[0]]
    records = [
        (line, {n: (cell_text(v),) for n, v in zip(names, row, strict=False)})
        for line, row in enumerate(table[1:], start=2)
    ]
    yield from records


def measure(mode: str, path: Path, traced: bool) -> dict[str, float]:
    """One read in this process (called in a fresh subprocess)."""
    from syncd.feeds.xlsx import XlsxFormat  # noqa: PLC0415

    data = path.read_bytes()
    base = rss_mb()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    count = 0
    records = XlsxFormat()(path, data) if mode == "rows" else all_rows_first(path, data)
    for _ in records:
        count += 1
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
    tracemalloc.stop()
    return {"records": count, "seconds": seconds, "python_mb": peak, "rss_mb": rss_mb() - base}


def run_one(mode: str, path: Path, traced: bool) -> dict[str, float]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from bench.xlsx_memory import measure; from pathlib import Path; "
        "print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]), sys.argv[4] == '1')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), mode, str(path), "1" if traced else "0"],
        capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.xlsx_writer import write_xlsx  # noqa: PLC0415 - a test helper, not installed

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lager.xlsx"
        write_xlsx(path, {"Lager": rows(args.rows)})
        size = path.stat().st_size / 1e6
        print(f"{args.rows} rows x {len(HEADER)} columns, {size:.1f} MB")
        print(
            f"{'read':5} {'records':>8} {'seconds':>8} {'python peak MB':>15} {'RSS peak MB':>12}"
        )
        for mode in ("rows", "all"):
            plain = run_one(mode, path, traced=False)
            traced = run_one(mode, path, traced=True)
            assert plain["records"] == traced["records"] == args.rows, (plain, traced)
            print(
                f"{mode:5} {args.rows:>8} {plain['seconds']:>8.2f} "
                f"{traced['python_mb']:>15.1f} {plain['rss_mb']:>12.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
