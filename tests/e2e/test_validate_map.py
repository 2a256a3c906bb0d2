"""``syncd validate`` and ``syncd map`` through click: reports, exit codes, nothing sent."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from syncd.cli import main

CONFIG = """
[database]
url = "sqlite:///syncd.db"
[[feeds]]
settle_seconds = 0
name = "shop"
path = "stock.csv"
format = "csv"
dealer_code = "D1"
[feeds.mapping.maps.cat]
Soffa = 2048
[feeds.mapping.fields]
source_id = "id"
category_id = { source = "typ", transforms = [{ map = "cat" }] }
title = "namn"
body = "namn"
"price[type=list].amount" = { source = "pris", transforms = ["int"] }
"location.zipcode" = { const = "11122" }
"contact.name" = { const = "Möbelhallen" }
"contact.phone" = { const = "0701234567" }
"contact.email" = { const = "butik@example.com" }
"""


def run(tmp_path: Path, csv: bytes, *args: str) -> object:
    (tmp_path / "syncd.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "stock.csv").write_bytes(csv)
    return CliRunner().invoke(main, ["--config", str(tmp_path / "syncd.toml"), *args])


def test_validate_reports_each_problem_and_exits_6(tmp_path: Path):
    """A value-map miss and an unparsable price are named with record, field, value; exit 6."""
    csv = "id;typ;namn;pris\n1;Soffa;Grå soffa;2500\n2;Fåtölj;Stol;100\n3;Soffa;Röd;ring\n"
    result = run(tmp_path, csv.encode(), "validate", "--json")
    assert result.exit_code == 6, result.output
    (report,) = orjson.loads(result.stdout)
    assert report["counts"] == {"items": 3, "valid": 1, "invalid": 2}
    assert [
        (p["record"].rsplit(":", 1)[1], p["source_id"], p["field"], p["value"])
        for p in report["problems"]
    ] == [
        ("3", "2", "category_id", "Fåtölj"),
        ("4", "3", "price[type=list].amount", "ring"),
    ]


def test_validate_exits_4_on_an_empty_file(tmp_path: Path):
    """A 0-byte file cannot be validated: exit 4 and the reason on stderr."""
    result = run(tmp_path, b"", "validate")
    assert result.exit_code == 4
    assert "empty" in result.stderr


def test_validate_exits_0_with_a_table_when_all_are_valid(tmp_path: Path):
    """All valid: a table on stdout and exit 0."""
    result = run(tmp_path, "id;typ;namn;pris\n1;soffa;Grå soffa;2500\n".encode(), "validate")
    assert result.exit_code == 0, result.output
    assert "1 items: 1 valid, 0 invalid" in result.stdout


def test_map_shows_records_beside_payloads(tmp_path: Path):
    """``map --source-id`` shows the record as read and the payload it maps to."""
    csv = "id;typ;namn;pris\n1;Soffa;Grå soffa;2500\n2;Soffa;Bord;900\n"
    result = run(tmp_path, csv.encode(), "map", "--source-id", "2", "--json")
    assert result.exit_code == 0, result.output
    (shown,) = orjson.loads(result.stdout)
    assert shown["source"] == {"id": "2", "typ": "Soffa", "namn": "Bord", "pris": "900"}
    assert shown["payload"]["price"] == [{"type": "list", "amount": 900}]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ('title = "namn"', 'title = { source = "namn", transforms = ["trimm"] }'),
        ('title = "namn"', 'titel = "namn"'),
        ('[{ map = "cat" }]', '[{ map = "kat" }]'),
    ],
)
def test_a_wrong_mapping_is_a_config_error_naming_the_key(tmp_path: Path, change: str, key: str):
    """An unknown transform, target or value map stops syncd at start with exit 3."""
    (tmp_path / "syncd.toml").write_text(CONFIG.replace(change, key), encoding="utf-8")
    (tmp_path / "stock.csv").write_bytes(b"id\n1\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "syncd.toml"), "validate"])
    assert result.exit_code == 3
    assert "feeds.0" in result.stderr
    assert "mapping.fields." in result.stderr


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


def test_map_finds_a_source_id_in_a_native_feed_holding_items_that_are_no_objects(
    tmp_path: Path,
):
    """A native feed's items may be any JSON value: ``map --source-id`` passes over an
    array or a string (they have no source_id) instead of failing on them."""
    (tmp_path / "syncd.toml").write_text(NATIVE, encoding="utf-8")
    items = [[1, 2], "text", {"source_id": "a2", "title": "Stol"}]
    (tmp_path / "stock.json").write_bytes(orjson.dumps(items))
    args = ["--config", str(tmp_path / "syncd.toml"), "map", "--source-id", "a2", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (shown,) = orjson.loads(result.stdout)
    assert shown["payload"] == {"source_id": "a2", "title": "Stol"}
