"""The pieces of a URL feed: its public name, its config keys, HTML sniffing, bounded gunzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from syncd import bootstrap, config
from syncd.errors import ConfigError, FeedError
from syncd.feeds.http import UrlPath
from syncd.feeds.http_auth import public_url, url_secrets
from syncd.feeds.http_body import Gunzip, looks_like_html


def test_the_public_url_drops_user_info_and_masks_query_values() -> None:
    """Credentials in the URL and query values never show; host, port and path do."""
    url = "https://dealer:pa55word@dms.example:8443/export/stock.xml?token=abc123&dealer=7"
    assert public_url(url) == (
        "https://dms.example:8443/export/stock.xml?token=[REDACTED]&dealer=[REDACTED]"
    )
    assert set(url_secrets(url)) == {"abc123", "7", "pa55word", "dealer"}


def test_a_url_label_prints_as_the_url_and_is_no_file() -> None:
    """The readers name the URL in their errors; nothing can open it as a path."""
    label = UrlPath.of("https://dms.example/stock.csv")
    assert f"{label}:3: not valid CSV" == "https://dms.example/stock.csv:3: not valid CSV"
    assert label.name == "stock.csv"
    with pytest.raises(TypeError):
        open(label, "rb")  # noqa: SIM115 - it must not be a file


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html></html>",
        b"\xef\xbb\xbf\r\n  <HTML lang=sv>",
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">',
        b"<head><title>502</title></head>",
        b"<body>Error</body>",
        b"<h1>503 Service Unavailable</h1>",
        b"<div class=error>Database down</div>",
    ],
)
def test_html_pages_are_recognised(body: bytes) -> None:
    """A login or error page is HTML however it starts."""
    assert looks_like_html(body)


def test_a_page_served_as_html_with_an_html_element_later_is_html() -> None:
    """Served as text/html, a page holding <html> after a comment is HTML too."""
    page = b"<!-- generated --><html><body>Sign in</body></html>"
    assert looks_like_html(page, "text/html; charset=utf-8")
    assert not looks_like_html(page, "application/xml")


def test_a_feed_served_as_text_html_is_still_a_feed() -> None:
    """A PHP export script's default Content-Type does not make its CSV or XML a page."""
    assert not looks_like_html(b"Regnr;Pris\nABC123;1000\n", "text/html")
    assert not looks_like_html(b"<lager><bil><title>V70</title></bil></lager>", "text/html")


@pytest.mark.parametrize(
    "body",
    [b'<?xml version="1.0"?><lager><bil/></lager>', b"Regnr;Pris\n", b'{"ads": []}', b"PK\x03\x04"],
)
def test_feeds_are_not_taken_for_html(body: bytes) -> None:
    """XML, CSV, JSON and XLSX feeds are not HTML."""
    assert not looks_like_html(body)


def test_gunzip_never_decodes_far_past_the_bytes_allowed() -> None:
    """A small gzip of a huge body (a bomb) is decoded only to just over the limit."""
    bomb = gzip.compress(b"\0" * 50_000_000)
    out = Gunzip("u").feed(bomb, 1000)
    assert 1000 < len(out) <= 1001


def test_gunzip_refuses_a_cut_stream_and_data_after_its_end() -> None:
    """A gzip body must end whole, and nothing may follow it."""
    whole = gzip.compress(b"x" * 10_000)
    cut = Gunzip("u")
    cut.feed(whole[:-8], 1_000_000)
    with pytest.raises(FeedError, match="cut short"):
        cut.finish()
    with pytest.raises(FeedError, match="data after the end"):
        Gunzip("u").feed(whole + b"junk", 1_000_000)


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        ({}, r"give path \(a file\) or url"),
        ({"path": "a.json", "url": "https://x.example/a"}, r"exactly one"),
        ({"url": "ftp://x.example/a"}, r"url: must be an http"),
        ({"url": "https://x.example/a", "ready_file": "done"}, r"ready_file: only for a file"),
        ({"url": "https://x.example/a", "auth_user_env": "U"}, r"basic auth needs both"),
        (
            {"url": "https://x.example/a", "auth_env": "T", "auth_user_env": "U"},
            r"auth_env: give auth_env",
        ),
        ({"url": "https://x.example/a", "auth_env": "not a name"}, r"environment variable"),
        ({"path": "a.json", "auth_env": "T"}, r"only for a url"),
    ],
)
def test_url_feed_settings_are_checked_at_start(feed: dict[str, str], message: str) -> None:
    """A wrong combination of keys is a config error naming the key, never the URL."""
    with pytest.raises(ConfigError, match=message) as caught:
        config.parse({"feeds": [feed]}, source="t.toml")
    assert "x.example" not in str(caught.value)


def test_a_url_feed_is_named_by_its_file_and_keeps_its_cache_beside_the_mirror(
    tmp_path: Path,
) -> None:
    """Its label is the URL's last part; the cache goes beside the SQLite mirror."""
    settings = config.parse(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "feeds": [{"url": "https://dms.example/export/lager.xml?k=v"}],
        },
        source="t.toml",
    )
    assert settings.feeds[0].label == "lager.xml"
    assert bootstrap.feed_cache_dir(settings) == tmp_path
    (_, job), *_ = bootstrap.feed_pairs(settings)
    assert job.path == "https://dms.example/export/lager.xml?k=[REDACTED]"
