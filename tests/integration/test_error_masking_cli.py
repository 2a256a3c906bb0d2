"""Every command's error, as the real command line prints it: contact data masked, paths,
dealer codes and source_ids whole, and the API token never shown.

In-process (click's CliRunner) on real SQLite files: the embedded sandbox where the API
is not reached, a local stub (:mod:`tests.feed_server`) for an API or a feed server that
echoes the token or the credentials it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from syncd.cli import ExitCode
from syncd.core.contacts import PHONE_HIDDEN
from tests.feed_server import FeedServer, Reply, feed_server
from tests.integration.cli_sandbox import invoke

DEALER = "0701234567"  # an all-digit dealer code: it reads like a phone number
PHONE = "070.123.45.67"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJkZWFsZXIiOiIwNzAxMjM0NTY3In0.c2lnbmF0dXJlLXNlY3JldA"


def _config(folder: Path, feed: str, base_url: str = "embedded-sandbox", key: str = "path") -> Path:
    config = folder / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{folder / "syncd.db"}"\n'
        f'[api]\nbase_url = "{base_url}"\nsandbox_state = "{folder / "sandbox.db"}"\n'
        "retry_attempts = 2\nretry_timeout = 5\n"
        f'[[feeds]]\nsettle_seconds = 0\n{key} = "{feed}"\ndealer_code = "{DEALER}"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def quoting_feed(tmp_path: Path) -> tuple[Path, Path]:
    """A feed in an all-digit dealer folder whose error quotes a phone number from the
    file (a key given twice), and a config for it on the embedded sandbox."""
    folder = tmp_path / DEALER
    folder.mkdir()
    feed = folder / "stock.json"
    # Two equal keys at the top: syncd refuses the feed and names the key, quoted.
    feed.write_text(f'{{"ads": [], "ring {PHONE}": 1, "ring {PHONE}": 2}}', encoding="utf-8")
    return feed, _config(tmp_path, str(feed))


def _run(config: Path, *args: str, token: str = TOKEN) -> Result:
    return invoke(
        ["--config", str(config), *args],
        env={"SYNCD_API_TOKEN": token, "SYNCD_CONFIG": ""},
    )


def _said(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("syncd: ")]


@pytest.mark.parametrize("command", ["run-once", "plan", "validate"])
def test_a_feeds_error_is_printed_masked_with_its_path_whole(
    quoting_feed: tuple[Path, Path], command: str
) -> None:
    """The one line on stderr (run-once and plan through the error handler, validate's
    file-unreadable line): the quoted phone masked, the path with its all-digit dealer
    folder whole; exit 4; the log lines (stderr) hold no phone either."""
    feed, config = quoting_feed
    result = _run(config, command)
    assert result.exit_code == ExitCode.FEED, result.output
    expected = (
        f"syncd: {feed}: the top-level object gives 'ring {PHONE_HIDDEN}' more than once; "
        "not using the feed (strict JSON)"
    )
    assert expected in _said(result)
    assert PHONE not in result.stdout + result.stderr


def test_validate_json_gives_the_error_masked(quoting_feed: tuple[Path, Path]) -> None:
    """``validate --json``: the report's error is the same masked text, the path whole."""
    feed, config = quoting_feed
    result = _run(config, "validate", "--json")
    assert result.exit_code == ExitCode.FEED
    [report] = json.loads(result.stdout)
    assert report["error"].startswith(f"{feed}: the top-level object gives 'ring {PHONE_HIDDEN}'")
    assert report["path"] == str(feed)


@pytest.mark.parametrize("command", ["run-once", "plan"])
def test_run_once_and_plan_json_give_a_failed_entry_for_an_unreadable_feed(
    quoting_feed: tuple[Path, Path], command: str
) -> None:
    """``run-once --json`` and ``plan --json`` on a broken feed (exit 4): stdout is not
    ``[]`` (or nothing) but the feed's entry, saying it failed, with the exit's name and
    the error masked as ``validate --json`` gives it; stderr has the same line."""
    feed, config = quoting_feed
    result = _run(config, command, "--json")
    assert result.exit_code == ExitCode.FEED, result.output
    [entry] = json.loads(result.stdout)
    assert entry["dealer_code"] == DEALER
    assert (entry["exit"], entry["exit_code"]) == ("FEED", 4)
    assert entry["error"].startswith(f"{feed}: the top-level object gives 'ring {PHONE_HIDDEN}'")
    assert (entry["counts"], entry["guard"]) == ({}, None)
    if command == "run-once":
        assert (entry["run_id"], entry["outcome"], entry["problems"]) == (None, "failed", [])
    assert f"syncd: {entry['error']}" in _said(result)
    assert PHONE not in result.stdout


def test_plan_saves_no_file_when_a_feed_cannot_be_read(
    quoting_feed: tuple[Path, Path], tmp_path: Path
) -> None:
    """``plan --out``: a plan missing a feed is not saved for ``apply``; stderr says so."""
    _, config = quoting_feed
    out = tmp_path / "plan.json"
    result = _run(config, "plan", "--out", str(out))
    assert result.exit_code == ExitCode.FEED
    assert not out.exists()
    assert f"syncd: plan not saved to {out}" in _said(result)


def test_status_says_the_feed_is_unreadable_masked(quoting_feed: tuple[Path, Path]) -> None:
    """``syncd status`` (table and --json): the feed's error for the withheld deletes is
    masked, its path and the dealer code whole."""
    feed, config = quoting_feed
    table = _run(config, "status")
    doc = _run(config, "status", "--json")
    assert (table.exit_code, doc.exit_code) == (0, 0), table.output + doc.output
    [withheld] = json.loads(doc.stdout)["withheld"]
    assert withheld["dealer_code"] == DEALER
    assert withheld["error"].startswith(f"{feed}: the top-level object gives 'ring {PHONE_HIDDEN}'")
    assert DEALER in table.stdout
    assert "feed unreadable" in table.stdout
    assert PHONE not in table.stdout + table.stderr + doc.stdout + doc.stderr


@pytest.fixture
def api() -> Iterator[FeedServer]:
    """A stub of the API on a local port (the answers are set per test)."""
    with feed_server() as server:
        yield server


ECHOED = b'{"detail": "bad request; headers: X-Auth-Token: {echo}; call 070-123 45 67"}'


@pytest.mark.parametrize(
    ("status", "content_type", "code"),
    [
        (401, "application/json", ExitCode.AUTH),  # refused, and echoed
        (403, "application/json", ExitCode.AUTH),
        (500, "application/json", ExitCode.TEMPORARY),  # a server error, retried, echoed
        (418, "application/json", ExitCode.INTERNAL),  # an answer syncd cannot understand
        (200, "text/html", ExitCode.TEMPORARY),  # a proxy's debug page
    ],
)
def test_an_api_that_echoes_the_token_never_gets_it_shown(
    tmp_path: Path, api: FeedServer, status: int, content_type: str, code: ExitCode
) -> None:
    """``syncd show`` of an ad the mirror does not know asks the API, which answers with
    the token header echoed in its body: the command fails with its exit code, and
    neither its line nor any log line (at debug) shows the token or a part of it; the
    phone the answer quotes is masked, the all-digit source_id whole."""
    source_id = "0709876543"
    api.routes[f"/v4/ad/{source_id}"] = Reply(
        ECHOED, status=status, content_type=content_type, echo="X-Auth-Token", etag=None
    )
    feed = tmp_path / "stock.json"
    feed.write_text('{"ads": []}', encoding="utf-8")
    config = _config(tmp_path, str(feed), base_url=api.url(""))
    result = _run(config, "--log-level", "debug", "show", source_id)
    assert api.headers_of(f"/v4/ad/{source_id}")[0]["x-auth-token"] == TOKEN  # it was sent
    assert result.exit_code == code, result.output
    [line] = _said(result)
    assert source_id in line
    shown = result.stdout + result.stderr
    for part in (TOKEN, *TOKEN.split(".")):
        assert part not in shown
    assert "070-123 45 67" not in shown
    assert "X-Auth-Token: {echo}" not in shown  # the stub did echo it (checked above)


def test_a_feed_url_with_credentials_never_shows_them(tmp_path: Path) -> None:
    """A feed URL with a user, a short password (too short for the redactor) and a query
    token that answers 500 with the basic auth header echoed: ``run-once`` at debug exits
    4, its line names the URL without them, and no log line shows them (httpx logs the
    URL it fetched); nor the API token."""
    password, query = "pw-0701", "q-secret-abcdef123"
    with feed_server() as server:
        server.routes["/export/stock.json"] = Reply(
            b"error for {echo}", status=500, echo="Authorization", etag=None
        )
        url = server.url(f"/export/stock.json?token={query}").replace(
            "http://", f"http://dealer:{password}@"
        )
        config = _config(tmp_path, url, key="url")
        result = _run(config, "--log-level", "debug", "run-once")
        sent = server.headers_of("/export/stock.json")
    assert sent, "the feed was fetched"
    assert result.exit_code == ExitCode.FEED, result.output
    [line] = _said(result)
    assert "/export/stock.json" in line
    assert "answered HTTP 500" in line
    shown = result.stdout + result.stderr
    for secret in (password, query, TOKEN, sent[0].get("authorization", "-").split()[-1]):
        assert secret not in shown, secret
