"""A feed at a URL synced end to end through the CLI against the sandbox over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.cli.exits import ExitCode
from tests.feed_server import FeedServer, Reply, feed_server
from tests.integration.cli_sandbox import DEALER, Cli, said
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer

TOKEN = "dms-feed-token-5up3r-s3cr3t"
QUERY_SECRET = "q-secret-0123456789"
FEED = json.dumps({"ads": [goods(i) for i in range(3)]}).encode()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """The DMS's web server, publishing the dealer's feed."""
    with feed_server() as s:
        s.routes["/export/stock.json"] = Reply(FEED, etag='"stock-1"')
        yield s


@pytest.fixture
def cli(
    tmp_path: Path, http_sandbox: SandboxServer, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """A dealer whose feed is at a URL (bearer token from the environment), no ads yet."""
    monkeypatch.chdir(tmp_path)
    sandbox = http_sandbox
    sandbox.reset()
    c = Cli(tmp_path, sandbox)
    url = feeds.url(f"/export/stock.json?key={QUERY_SECRET}")
    c.config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "syncd.db"}"\n'
        f'[api]\nbase_url = "{sandbox.url}"\nrequests_per_second = 200\n'
        "[sync]\nreconcile_wait = 20\npoll_interval = 0.05\n"
        f'[[feeds]]\nurl = "{url}"\ndealer_code = "{DEALER}"\nauth_env = "DMS_FEED_TOKEN"\n'
        "fetch_timeout = 60\n",
        encoding="utf-8",
    )
    c.env["DMS_FEED_TOKEN"] = TOKEN
    return c


def test_a_url_feed_syncs_and_the_next_run_reuses_the_body_on_304(
    cli: Cli, feeds: FeedServer
) -> None:
    """run-once creates the ads from the URL; the next run asks If-None-Match, gets a 304
    and sends nothing; neither the token nor the query secret is in any output."""
    first = cli("run-once", "--log-level", "debug")
    assert first.exit_code == 0, first.stderr
    assert sorted(sid for _, sid in cli.sandbox.ads()) == ["sofa-0", "sofa-1", "sofa-2"]
    cli.sandbox.clear_journal()
    second = cli("run-once", "--log-level", "debug")
    assert second.exit_code == 0, second.stderr
    assert [s.answered for s in feeds.seen] == [200, 304]
    assert feeds.headers_of("/export/stock.json")[1]["if-none-match"] == '"stock-1"'
    assert all(
        h["authorization"] == f"Bearer {TOKEN}" for h in feeds.headers_of("/export/stock.json")
    )
    assert cli.sandbox.mutations() == []
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert TOKEN not in output
        assert QUERY_SECRET not in output
    assert "feed_not_modified" in second.stderr


@pytest.mark.parametrize(
    "reply",
    [
        Reply(FEED, status=500),
        Reply(b"<html><body>Service unavailable</body></html>", content_type="text/html"),
        Reply(FEED, mode="drop"),
        Reply(FEED, mode="lie"),
        Reply(FEED, mode="cut-gzip"),
    ],
    ids=["500", "html-200", "dropped", "short-body", "cut-gzip"],
)
def test_a_failed_fetch_stops_the_run_with_exit_4_and_sends_nothing(
    cli: Cli, feeds: FeedServer, reply: Reply
) -> None:
    """After a good run, a broken fetch is a feed error naming the URL: no call, no ad offline."""
    assert cli("run-once").exit_code == 0
    cli.sandbox.clear_journal()
    feeds.routes["/export/stock.json"] = reply
    feeds.routes["/export/stock.json"].etag = '"stock-2"'
    result = cli("run-once")
    assert result.exit_code == ExitCode.FEED, result.stderr
    assert f"{feeds.url('/export/stock.json')}?key=[REDACTED]" in said(result)
    assert cli.sandbox.mutations() == []
    assert len(cli.sandbox.ads()) == 3
    assert TOKEN not in result.stderr
    assert QUERY_SECRET not in result.stderr


def test_validate_and_map_read_a_url_feed(cli: Cli) -> None:
    """`syncd validate` exits 0 on the URL feed and `syncd map` shows its records; nothing sent."""
    report = cli.json("validate")
    assert report[0]["counts"]["valid"] == 3
    shown = cli.json("map", "--show", "2")
    assert len(shown) == 2
    assert cli.sandbox.mutations() == []
