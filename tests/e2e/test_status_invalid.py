"""After a partial run (exit 6), `syncd status` says which items were invalid and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.syncd_process import furniture, run

pytestmark = pytest.mark.slow


def test_status_lists_both_invalid_items_of_a_partial_run(tmp_path: Path) -> None:
    """Two invalid items exit 6; `status --json` names each: record, source_id, field, reason."""
    feed = [furniture("ok-1"), furniture("no-price", price=None), furniture("bad\u202eid")]
    (tmp_path / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    (tmp_path / "syncd.toml").write_text(
        '[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "embedded-sandbox"\n'
        "[sync]\nreconcile_wait = 10\npoll_interval = 0.1\n"
        '[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\n',
        encoding="utf-8",
    )
    result = run(tmp_path, "run-once")
    assert result.returncode == 6, result.stderr[-2000:]

    status = run(tmp_path, "status", "--json")
    assert status.returncode == 0, status.stderr[-2000:]
    doc = json.loads(status.stdout)
    found = {(i["record"].rsplit("/", 1)[-1], i["source_id"], i["field"]) for i in doc["invalid"]}
    assert found == {
        ("feed.json[1]", "no-price", "price"),
        ("feed.json[2]", "bad\u202eid", "source_id"),
    }
    assert all(i["reason"] and i["run_id"] == doc["runs"][0]["run_id"] for i in doc["invalid"])
    assert doc["invalid_omitted"] == []
    assert "\u202e" not in status.stdout  # escaped as \\u202e: JSON that cannot forge

    table = run(tmp_path, "status")
    assert table.returncode == 0, table.stderr[-2000:]
    assert "Invalid items (last run)" in table.stdout
    assert "no-price" in table.stdout
    assert "bad\\u202eid" in table.stdout
