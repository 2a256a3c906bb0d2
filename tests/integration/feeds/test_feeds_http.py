"""A feed at an http(s) URL: fetched whole or refused, conditional GET, cache, auth, formats."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from syncd import bootstrap, config
from syncd.core.models import RawFeed
from syncd.errors import ConfigError, FeedError
from syncd.feeds.http_cache import cache_name
from syncd.logs import REDACTOR
from syncd.ports import FeedReader
from tests.feed_server import FeedServer, Reply, feed_server

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ADS = [{"source_id": f"s-{i}", "title": f"Soffa {i}"} for i in range(3)]
BODY = json.dumps(ADS).encode()
TOKEN = "feed-token-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A feed server for the test."""
    with feed_server() as s:
        yield s


def url_feed(url: str, tmp_path: Path, **extra: object) -> config.FeedSettings:
    """A native JSON feed at ``url``, its cache in ``tmp_path``."""
    return config.FeedSettings.model_validate({"url": url, "cache_dir": tmp_path, **extra})


def read(reader: FeedReader) -> RawFeed:
    """One read of the URL feed (the path argument is not looked at)."""
    return asyncio.run(reader.read("ignored"))


def test_a_url_feed_is_read_like_a_file_and_a_second_run_reuses_the_cache_on_304(
    server: FeedServer, tmp_path: Path
) -> None:
    """The second fetch sends If-None-Match; the 304 gives the same records from the cache."""
    server.routes["/stock.json"] = Reply(BODY, etag='"abc"')
    feed = url_feed(server.url("/stock.json"), tmp_path)
    first = read(bootstrap.feed_reader(feed))
    assert [r.value()["source_id"] for r in first.records] == ["s-0", "s-1", "s-2"]
    assert first.meta.path == server.url("/stock.json")
    assert (tmp_path / cache_name(feed.source)).is_file()
    with capture_logs() as events:
        second = read(bootstrap.feed_reader(feed))
    assert server.headers_of("/stock.json")[1]["if-none-match"] == '"abc"'
    assert [s.answered for s in server.seen] == [200, 304]
    assert second.records == first.records
    assert second.meta.checksum == first.meta.checksum
    assert any(e["event"] == "feed_not_modified" for e in events)


def test_last_modified_is_sent_back_and_dates_the_feed(server: FeedServer, tmp_path: Path) -> None:
    """Without an ETag, If-Modified-Since carries the Last-Modified; it is the feed's age."""
    stamp = "Tue, 01 Dec 2026 10:00:00 GMT"
    server.routes["/stock.json"] = Reply(BODY, etag=None, last_modified=stamp)
    feed = url_feed(server.url("/stock.json"), tmp_path)
    raw = read(bootstrap.feed_reader(feed))
    read(bootstrap.feed_reader(feed))
    assert server.headers_of("/stock.json")[1]["if-modified-since"] == stamp
    assert raw.meta.modified_at.isoformat() == "2026-12-01T10:00:00+00:00"


def test_a_damaged_cache_file_makes_the_next_fetch_ask_for_the_whole_body(
    server: FeedServer, tmp_path: Path
) -> None:
    """A cache whose body does not match its checksum is not used: the feed is fetched whole."""
    server.routes["/stock.json"] = Reply(BODY)
    feed = url_feed(server.url("/stock.json"), tmp_path)
    read(bootstrap.feed_reader(feed))
    cache = tmp_path / cache_name(feed.source)
    cache.write_bytes(cache.read_bytes()[:-5])
    again = read(bootstrap.feed_reader(feed))
    assert len(again.records) == 3
    assert [s.answered for s in server.seen] == [200, 304, 200]
    assert "if-none-match" not in server.headers_of("/stock.json")[2]


def test_a_gzip_encoded_body_is_decoded(server: FeedServer, tmp_path: Path) -> None:
    """Content-Encoding: gzip, whole, reads as the plain body."""
    server.routes["/stock.json"] = Reply(BODY, mode="gzip")
    raw = read(bootstrap.feed_reader(url_feed(server.url("/stock.json"), tmp_path)))
    assert len(raw.records) == 3


HTML = b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Sign in</body></html>"
FAILURES = {
    "server error": (Reply(BODY, status=500), r"HTTP 500"),
    "not found": (Reply(BODY, status=404), r"HTTP 404"),
    "dropped mid-body": (Reply(BODY, mode="drop"), r"could not be fetched"),
    "content-length lies": (Reply(BODY, mode="lie"), r"could not be fetched"),
    "cut gzip": (Reply(BODY * 50, mode="cut-gzip"), r"gzip body was cut short"),
    "html page with 200": (Reply(HTML, content_type="text/html"), r"an HTML page"),
    "xhtml page with 200": (Reply(b'<?xml version="1.0"?>\n<html xmlns="x"/>'), r"an HTML page"),
    "over the size limit": (Reply(b" " * 2000 + BODY), r"over the limit of 1000 \("),
    "endless body": (Reply(mode="endless"), r"over the limit of 1000 bytes"),
    "stalled body": (Reply(BODY, mode="stall"), r"no whole answer within 0.5 s"),
    "trickled body": (Reply(BODY, mode="trickle"), r"no whole answer within 0.5 s"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_every_failed_or_partial_fetch_is_a_feed_error_naming_the_url(
    server: FeedServer, tmp_path: Path, case: str
) -> None:
    """Each way a fetch goes wrong stops the read with the URL (and no query secret) named."""
    reply, message = FAILURES[case]
    server.routes["/export"] = reply
    # A short timeout only where the answer never ends: elsewhere a loaded machine's slow
    # answer must not pass for the failure under test.
    timeout = 0.5 if reply.mode in ("stall", "trickle") else 60.0
    feed = url_feed(
        server.url("/export?key=query-secret-42"), tmp_path, max_bytes=1000, fetch_timeout=timeout
    )
    with pytest.raises(FeedError, match=message) as caught:
        read(bootstrap.feed_reader(feed))
    assert str(caught.value).startswith(server.url("/export?key=[REDACTED]"))
    assert "query-secret-42" not in str(caught.value)
    assert not (tmp_path / cache_name(feed.source)).exists()


def test_an_unreachable_server_is_a_feed_error(tmp_path: Path) -> None:
    """A refused connection is a FeedError naming the URL."""
    with feed_server() as gone:
        url = gone.url("/stock.json")
    with pytest.raises(FeedError, match=re.escape(url) + r": the feed could not be fetched"):
        read(bootstrap.feed_reader(url_feed(url, tmp_path)))


def test_an_endless_body_is_cut_off_at_the_limit_while_streaming(
    server: FeedServer, tmp_path: Path
) -> None:
    """A body without end is refused once over max_bytes: the limit holds while it streams."""
    server.routes["/export"] = Reply(mode="endless")
    feed = url_feed(server.url("/export"), tmp_path, max_bytes=300_000)
    with pytest.raises(FeedError, match=r"over the limit of 300000 bytes"):
        read(bootstrap.feed_reader(feed))


def test_the_bearer_token_is_sent_and_never_logged_nor_in_an_error(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auth_env's token goes in the Authorization header, and nowhere a person reads."""
    monkeypatch.setenv("DMS_FEED_TOKEN", TOKEN)
    server.routes["/stock.json"] = Reply(BODY)
    server.routes["/broken.json"] = Reply(BODY, status=403)
    ok = url_feed(server.url("/stock.json"), tmp_path, auth_env="DMS_FEED_TOKEN")
    bad = url_feed(server.url("/broken.json"), tmp_path, auth_env="DMS_FEED_TOKEN")
    with capture_logs() as events:
        read(bootstrap.feed_reader(ok))
        with pytest.raises(FeedError) as caught:
            read(bootstrap.feed_reader(bad))
    assert server.headers_of("/stock.json")[0]["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(caught.value)
    assert "feeds.auth_env" in str(caught.value)
    assert events
    assert TOKEN not in repr(events)
    assert REDACTOR(None, "info", {"event": f"x {TOKEN}"})["event"] == "x [REDACTED]"


def test_basic_auth_comes_from_two_environment_variables(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auth_user_env and auth_password_env give basic auth."""
    monkeypatch.setenv("DMS_USER", "dealer")
    monkeypatch.setenv("DMS_PASSWORD", "hunter2-hunter2")
    server.routes["/stock.json"] = Reply(BODY)
    feed = url_feed(
        server.url("/stock.json"),
        tmp_path,
        auth_user_env="DMS_USER",
        auth_password_env="DMS_PASSWORD",
    )
    read(bootstrap.feed_reader(feed))
    header = server.headers_of("/stock.json")[0]["authorization"]
    assert header == "Basic ZGVhbGVyOmh1bnRlcjItaHVudGVyMg=="


def test_a_credential_variable_that_is_not_set_is_a_config_error_naming_it(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No request goes out without the credentials the config asks for."""
    monkeypatch.delenv("DMS_FEED_TOKEN", raising=False)
    server.routes["/stock.json"] = Reply(BODY)
    feed = url_feed(server.url("/stock.json"), tmp_path, auth_env="DMS_FEED_TOKEN")
    with pytest.raises(ConfigError, match=r"\$DMS_FEED_TOKEN is not set"):
        read(bootstrap.feed_reader(feed))
    assert server.seen == []


@pytest.mark.parametrize(
    ("example", "served"),
    [
        ("bilhandlare-csv", "lager.csv"),
        ("bilhandlare-xml", "lager.xml"),
        ("batar-xlsx", "lager.xlsx"),
        ("bilgrupp-json", "lager.json"),
        ("google-merchant-rss", "produkter.xml"),
    ],
)
def test_every_format_reads_the_same_from_a_url_as_from_the_file(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str, served: str
) -> None:
    """An example served over HTTP maps to exactly the payloads of the same file on disk."""
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    monkeypatch.chdir(folder)
    server.routes[f"/{served}"] = Reply((folder / served).read_bytes())
    settings = config.load(folder / "syncd.toml")
    local = settings.feeds[0].model_copy(update={"settle_seconds": 0})
    remote = local.model_copy(update={"path": None, "url": server.url(f"/{served}")})
    for dealer in local.dealers:
        from_file = bootstrap.feed_reader(local, dealer)
        from_url = bootstrap.feed_reader(remote, dealer, tmp_path)
        expected = asyncio.run(from_file.read(str(local.path))).records
        got = read(from_url).records
        assert [r.value() for r in got] == [r.value() for r in expected]
        assert got


def test_a_url_feed_of_the_native_jsonl_format(server: FeedServer, tmp_path: Path) -> None:
    """JSON Lines at a URL reads one ad per line."""
    server.routes["/stock.jsonl"] = Reply(b"\n".join(json.dumps(a).encode() for a in ADS))
    raw = read(
        bootstrap.feed_reader(url_feed(server.url("/stock.jsonl"), tmp_path, format="jsonl"))
    )
    assert len(raw.records) == 3


def test_an_empty_200_body_is_still_refused_as_a_failed_export(
    server: FeedServer, tmp_path: Path
) -> None:
    """A 0-byte answer is not an empty stock: the readers' refusal holds for URLs too."""
    server.routes["/stock.csv"] = Reply(b"")
    src = EXAMPLES / "bilhandlare-csv" / "syncd.toml"
    settings = config.load(src)
    feed = settings.feeds[0].model_copy(
        update={"path": None, "url": server.url("/stock.csv"), "cache_dir": tmp_path}
    )
    with pytest.raises(FeedError, match=r"/stock\.csv: feed file is empty"):
        read(bootstrap.feed_reader(feed, feed.dealers[0]))


def test_the_local_file_path_is_unchanged_by_a_url_feed_beside_it(tmp_path: Path) -> None:
    """A path feed still reads the file (and notices a change) as before."""
    path = tmp_path / "inventory.json"
    path.write_bytes(BODY)
    feed = config.FeedSettings(path=path, settle_seconds=0)
    reader = bootstrap.feed_reader(feed)
    raw = asyncio.run(reader.read(str(path)))
    assert raw.meta.stamp is not None
    path.write_bytes(BODY + b"\n")
    assert reader.changed(raw.meta)


def test_a_cached_body_over_the_limit_is_not_reused_on_304_but_fetched_and_refused(
    server: FeedServer, tmp_path: Path
) -> None:
    """``max_bytes`` lowered below the body cached earlier: the 304 path does not hand the
    cached body on past the limit; the feed is asked for whole (no If-None-Match) and
    refused over the limit, as a fetched body is."""
    server.routes["/stock.json"] = Reply(BODY, etag='"abc"')
    read(bootstrap.feed_reader(url_feed(server.url("/stock.json"), tmp_path)))
    smaller = url_feed(server.url("/stock.json"), tmp_path, max_bytes=len(BODY) - 1)
    with pytest.raises(FeedError, match=r"over the limit of"):
        read(bootstrap.feed_reader(smaller))
    assert "if-none-match" not in server.headers_of("/stock.json")[1]
