"""``syncd map --source-id ID`` checks its id as ``pin`` and ``show`` do, against the feed
(not the mirror): an id no ad can have and no record has is a usage error naming the
reason; a record that has it is shown with the reason its item is invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from syncd.cli import main

NATIVE = """
[database]
url = "sqlite:///syncd.db"
[[feeds]]
settle_seconds = 0
name = "native"
path = "stock.json"
format = "json"
dealer_code = "D1"
"""


def map_of(tmp_path: Path, items: list[Any], source_id: str) -> Result:
    """``syncd map --source-id ID --json`` over a native feed of ``items``."""
    (tmp_path / "syncd.toml").write_text(NATIVE, encoding="utf-8")
    (tmp_path / "stock.json").write_bytes(orjson.dumps(items))
    args = ["--config", str(tmp_path / "syncd.toml"), "map", "--source-id", source_id, "--json"]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(
    "source_id",
    ["a/b", "a,b", "..", "a\u31641", "x" * 101],
    ids=["slash", "comma", "dots", "filler", "long"],
)
def test_an_id_no_ad_can_have_and_no_record_has_is_a_usage_error(
    tmp_path: Path, source_id: str
) -> None:
    """Exit 2 with the validator's reason, nothing on stdout; no mirror needed."""
    result = map_of(tmp_path, [{"source_id": "a1", "title": "Stol"}], source_id)
    assert result.exit_code == 2, result.output
    assert "no ad can have it" in result.stderr
    assert "no record of the feed has it" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "syncd.db").exists()


def test_a_record_with_an_invalid_id_is_shown_with_the_reason(tmp_path: Path) -> None:
    """The record the feed has under a blank-looking id is shown, its source_id issue
    (the validator's reason) beside its payload."""
    bad = "car\u31641"
    result = map_of(tmp_path, [{"source_id": "a1"}, {"source_id": bad, "title": "Bil"}], bad)
    assert result.exit_code == 0, result.output
    (shown,) = orjson.loads(result.stdout)
    assert shown["payload"] == {"source_id": bad, "title": "Bil"}
    [issue] = shown["issues"]
    assert issue["field"] == "source_id"
    assert "U+3164 (HANGUL FILLER) at character 4" in issue["reason"]


def test_an_integer_id_is_found_by_its_digits_and_said_to_be_no_string(tmp_path: Path) -> None:
    """``"source_id": 4711`` is what ``--source-id 4711`` means; the issue says why its
    item is invalid."""
    result = map_of(tmp_path, [{"source_id": 4711, "title": "Stol"}], "4711")
    assert result.exit_code == 0, result.output
    (shown,) = orjson.loads(result.stdout)
    [issue] = shown["issues"]
    assert issue["field"] == "source_id"
    assert "must be a string" in issue["reason"]


def test_a_valid_id_shows_its_record_without_issues_or_nothing(tmp_path: Path) -> None:
    """A usable id: its record as before, and no record is no error (exit 0, [])."""
    result = map_of(tmp_path, [{"source_id": "a1", "title": "Stol"}], "a1")
    assert result.exit_code == 0, result.output
    (shown,) = orjson.loads(result.stdout)
    assert shown["issues"] == []
    missing = map_of(tmp_path, [{"source_id": "a1"}], "a2")
    assert missing.exit_code == 0, missing.output
    assert orjson.loads(missing.stdout) == []
