"""After a partial run (exit 6), `syncd status` says which items were invalid and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def ad(source_id: str, **changes: Any) -> dict[str, Any]:
    """A valid furniture ad, with ``changes`` applied (a value None removes the field)."""
    doc = {
        "source_id": source_id,
        "category_id": 2048,
        "title": "Bord",
        "body": "Ek.",
        "price": [{"type": "list", "amount": 100}],
        "contact": {"name": "Butik", "phone": "0701234567", "email": "b@example.com"},
    } | changes
    return {k: v for k, v in doc.items() if v is not None}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m syncd --config syncd.toml ARGS`, output captured (bounded by a timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_CONFIG": ""},
    )


def test_status_lists_both_invalid_items_of_a_partial_run(tmp_path: Path) -> None:
    """Two invalid items exit 6; `status --json` names each: record, source_id, field, reason."""
    feed = [ad("ok-1"), ad("no-price", price=None), ad("bad\u202eid")]
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
