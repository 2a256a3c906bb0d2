"""bench/feeds.py keeps working: each format's export is read, mapped and validated whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import xlsx_memory
from bench.feeds import TARGET, measure, write
from tests.xlsx_writer import write_xlsx


@pytest.mark.parametrize("fmt", sorted(TARGET))
def test_every_car_the_benchmark_writes_is_valid_in_both_modes(fmt: str, tmp_path: Path):
    """50 cars written as the benchmark writes them come out as 50 valid items."""
    path = tmp_path / f"feed.{fmt}"
    feed = write(fmt, 50, path)
    for mode in ("run", "stream"):
        result = measure(mode, path, feed)
        assert (result["records"], result["valid"]) == (50, 50), mode


@pytest.mark.parametrize("mode", ["rows", "all"])
def test_the_xlsx_memory_benchmark_reads_every_row_both_ways(mode: str, tmp_path: Path):
    """bench/xlsx_memory.py: both ways of reading give a record per row written."""
    path = tmp_path / "lager.xlsx"
    write_xlsx(path, {"Lager": xlsx_memory.rows(50)})
    assert xlsx_memory.measure(mode, path, traced=True)["records"] == 50
