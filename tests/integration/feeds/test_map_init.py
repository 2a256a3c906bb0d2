"""``syncd map init`` on every example export prints a mapping that loads as a valid feed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncd import bootstrap, config
from syncd.cli import main
from tests.settle import read

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXPORTS = sorted(p for p in EXAMPLES.glob("*/*") if p.suffix in (".csv", ".xml", ".json", ".xlsx"))


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.parent.name)
def test_the_starting_mapping_loads_and_reads_the_export(export: Path, tmp_path: Path):
    """The output is a valid config feed whose every source is in the file it came from."""
    result = CliRunner().invoke(main, ["map", "init", str(export)])
    assert result.exit_code == 0, result.output
    (feed,) = tomllib.loads(result.stdout)["feeds"]
    settings = config.parse({"feeds": [{**feed, "settle_seconds": 0}]}, source="map init")
    (job, *_) = bootstrap.feed_jobs(settings)
    records = read(job.reader, job.path).records  # a source no record has would raise
    assert records


def test_it_lists_the_sources_and_maps_the_fuels_found():
    """The car CSV's columns are listed with examples; Diesel and Bensin get a value map."""
    result = CliRunner().invoke(main, ["map", "init", str(EXAMPLES / "bilhandlare-csv/lager.csv")])
    assert "#   Miltal       9 812,5 | 4 500 | 12 000" in result.stdout
    fuels = tomllib.loads(result.stdout)["feeds"][0]["mapping"]["maps"]["fuel"]
    assert fuels == {"Diesel": "diesel", "Bensin": "petrol"}


def test_a_file_whose_format_cannot_be_told_is_a_feed_error(tmp_path: Path):
    """An unknown suffix without --format exits 4 and names the known ones."""
    (tmp_path / "export.dat").write_text("a;b\n1;2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["map", "init", str(tmp_path / "export.dat")])
    assert result.exit_code == 4
    assert "cannot tell the format" in result.stderr
