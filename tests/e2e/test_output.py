"""stdout carries only the command's result, and no feed value can forge a line of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.syncd_process import furniture, run

pytestmark = pytest.mark.slow


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A config holding a token, readable by others (so syncd warns), and a hostile feed."""
    feed = [
        furniture("ok-1"),
        furniture("forged\nrun 99 dealer X: success ()"),
        furniture("rtl-\u202eevil"),
        furniture("x" * 5000),
    ]
    (tmp_path / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    config = tmp_path / "syncd.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "embedded-sandbox"\n'
        'token = "a-token-in-the-file-123"\n[sync]\nreconcile_wait = 10\npoll_interval = 0.1\n'
        '[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\n',
        encoding="utf-8",
    )
    config.chmod(0o644)
    return tmp_path


def test_json_output_is_one_valid_document_and_warnings_go_to_stderr(folder: Path) -> None:
    """With a warning to give, `run-once --json` still prints exactly one JSON document."""
    result = run(folder, "run-once", "--json")
    assert result.returncode == 6, result.stderr[-2000:]
    reports = json.loads(result.stdout)
    assert reports[0]["counts"]["invalid"] == 3
    assert "config_token_readable_by_others" in result.stderr
    assert "\u202e" not in result.stdout


def test_text_output_escapes_and_cuts_what_a_feed_holds(folder: Path) -> None:
    """A source_id's newline, bidi mark or 5 000 characters cannot forge or flood a line."""
    result = run(folder, "run-once")
    assert result.returncode == 6, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("run 99")]
    assert "forged\\nrun 99" in result.stdout
    assert "rtl-\\u202eevil" in result.stdout
    assert "\u202e" not in result.stdout + result.stderr
    assert max(len(line) for line in lines) < 1000
