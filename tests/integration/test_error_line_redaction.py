"""The one-line error a command prints never shows the API token, whatever the error
quotes (a library's message, a path): the log redactor runs on it too."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from syncd.cli import ExitCode
from tests.integration.cli_sandbox import Cli, invoke
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A config on the reset sandbox whose feed path holds the configured token (a
    stand-in for any error message that quotes it: the feed is not found)."""
    http_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    c = Cli(tmp_path, http_sandbox)
    token = c.env["SYNCD_API_TOKEN"]
    leaky = tmp_path / f"feeds-{token}" / "inventory.json"
    text = c.config.read_text(encoding="utf-8").replace(str(c.feed), str(leaky))
    c.config.write_text(text, encoding="utf-8")
    return c


@pytest.mark.parametrize("json_flag", [False, True], ids=["lines", "json"])
def test_an_error_quoting_the_token_is_printed_without_it(cli: Cli, json_flag: bool) -> None:
    """`run-once` on a feed whose error message holds the token: exit 4, the error line
    (and the ``--json`` entry's ``error``) says what failed, the token replaced."""
    token = cli.env["SYNCD_API_TOKEN"]
    result = cli("run-once", *(["--json"] if json_flag else []))
    assert result.exit_code == ExitCode.FEED, result.output
    assert "feed file not found" in result.stderr
    assert "[REDACTED]" in result.stderr
    assert token not in result.stderr
    assert token not in result.stdout
    if json_flag:
        [entry] = json.loads(result.stdout)
        assert "[REDACTED]" in entry["error"]


def test_an_error_before_the_api_client_is_built_is_printed_without_the_token(
    tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configuration error raised before the adapters exist (no feed configured, in a
    config whose path holds the token) is printed with the token masked as well: the
    redactor learns it as soon as the settings are read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    # A token no earlier test told the (process-wide) redactor: only this run can.
    token = "tok-" + secrets.token_urlsafe(24)
    folder = tmp_path / f"conf-{token}"
    folder.mkdir()
    config = folder / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n'
        f'[api]\nbase_url = "{http_sandbox.url}"\n',
        encoding="utf-8",
    )
    result = invoke(["--config", str(config), "run-once"], env={"SYNCD_API_TOKEN": token})
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "no [[feeds]] configured" in result.stderr
    assert token not in result.stderr


def test_status_shows_an_unreadable_feed_without_the_token(cli: Cli) -> None:
    """`status` (table and --json) says why the withheld deletes are unknown (the feed's
    error) with the token replaced, as the error line does."""
    token = cli.env["SYNCD_API_TOKEN"]
    table = cli("status")
    doc = cli("status", "--json")
    assert (table.exit_code, doc.exit_code) == (0, 0), table.output + doc.output
    [withheld] = json.loads(doc.stdout)["withheld"]
    assert "feed file not found" in withheld["error"]
    assert "[REDACTED]" in withheld["error"]
    for result in (table, doc):
        assert token not in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
        assert token not in result.stderr
