"""``syncd map init URL``: a sample fetched as a URL feed is (limits, credentials, errors).

Against the local feed server (``tests/feed_server.py``); each test runs in a folder
of its own with no ``syncd.toml`` unless it writes one.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syncd import bootstrap, config
from syncd.cli import main
from tests.feed_server import FeedServer, Reply, feed_server
from tests.settle import read

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CSV = (EXAMPLES / "bilhandlare-csv/lager.csv").read_bytes()
TOKEN = "feed-token-0123456789abcdef"
SECRET = "query-secret-42"
PASSWORD = "hunter2-hunter2"
MAPPING = {"fields": {"source_id": {"source": "Regnr"}, "category_id": {"const": 1020}}}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A feed server for the test."""
    with feed_server() as s:
        yield s


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder without a configuration (nor $SYNCD_CONFIG)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config.CONFIG_ENV, raising=False)
    monkeypatch.setenv("DMS_FEED_TOKEN", TOKEN)
    monkeypatch.setenv("DMS_USER", "dealer")
    monkeypatch.setenv("DMS_PASSWORD", PASSWORD)
    return tmp_path


def map_init(*args: str) -> Result:
    return CliRunner().invoke(main, ["map", "init", *args])


def configured(folder: Path, url: str, **extra: object) -> Path:
    """A syncd.toml with one csv feed at ``url`` (its token from $DMS_FEED_TOKEN)."""
    feed = {"url": url, "format": "csv", "auth_env": "DMS_FEED_TOKEN", **extra}
    lines = ["[[feeds]]", *(f"{k} = {json.dumps(v)}" for k, v in feed.items())]
    lines += ["[feeds.mapping.fields]", 'source_id = { source = "Regnr" }']
    lines += ["category_id = { const = 1020 }"]
    path = folder / "syncd.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def unsaid(result: Result, *secrets: str) -> None:
    """None of ``secrets`` is in the command's output nor its error."""
    for secret in secrets:
        assert secret not in result.stdout
        assert secret not in result.stderr


@pytest.mark.parametrize(
    ("example", "served"),
    [
        ("bilhandlare-csv", "lager.csv"),
        ("batar-xlsx", "lager.xlsx"),
        ("bilhandlare-xml", "lager.xml"),
    ],
)
def test_a_url_sample_drafts_what_the_file_does_and_the_draft_reads_the_url(
    server: FeedServer, folder: Path, example: str, served: str
) -> None:
    """The URL's draft is the file's, but for ``url``; pasted as it is, it reads the feed."""
    local = EXAMPLES / example / served
    server.routes[f"/{served}"] = Reply(local.read_bytes(), etag='"v1"')
    url = server.url(f"/{served}")
    fetched = map_init(url)
    assert fetched.exit_code == 0, fetched.output
    from_file = map_init(str(local))
    assert fetched.stdout.replace(url, "X") == from_file.stdout.replace(str(local), "X").replace(
        'path = "X"', 'url = "X"'
    )
    assert len(server.seen) == 1
    # A look that leaves no trace: the ETag's cache file is written nowhere.
    assert not list(folder.rglob("syncd-feed-*"))
    (feed,) = tomllib.loads(fetched.stdout)["feeds"]
    settings = config.parse(
        {"feeds": [{**feed, "cache_dir": str(folder / "cache")}]}, source="map init"
    )
    (job,) = bootstrap.feed_jobs(settings)
    assert read(job.reader, job.path).records


def test_the_configured_feed_of_the_public_url_lends_its_secrets_which_are_never_printed(
    server: FeedServer, folder: Path
) -> None:
    """Named as syncd shows it (query masked), the configured feed is fetched: its query
    secret and token are sent, its format used (the URL's name has no suffix), its cache
    left alone; the draft names the variable, masks the query and says to put it back."""
    server.routes["/export"] = Reply(CSV, etag='"v1"')
    configured(folder, server.url(f"/export?key={SECRET}"), cache_dir=str(folder / "cache"))
    result = map_init(server.url("/export?key=[REDACTED]"))
    assert result.exit_code == 0, result.output
    (seen,) = server.seen
    assert seen.path == f"/export?key={SECRET}"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    (feed,) = tomllib.loads(result.stdout)["feeds"]
    assert feed["url"] == server.url("/export?key=[REDACTED]")
    assert "TODO: its query values are masked" in result.stdout
    assert (feed["format"], feed["auth_env"], feed["delimiter"]) == ("csv", "DMS_FEED_TOKEN", ";")
    assert "Regnr" in str(feed["mapping"]["fields"]["source_id"])
    assert not list(folder.rglob("syncd-feed-*"))  # its cache, nor one beside the config
    unsaid(result, TOKEN, SECRET)


def test_a_url_s_user_info_is_sent_but_left_out_of_the_draft(server: FeedServer) -> None:
    """``https://user:password@host/...``: basic auth from the URL, the draft without it."""
    server.routes["/lager.csv"] = Reply(CSV)
    url = server.url("/lager.csv").replace("://", f"://dealer:{PASSWORD}@")
    result = map_init(url)
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["authorization"] == "Basic ZGVhbGVyOmh1bnRlcjItaHVudGVyMg=="
    (feed,) = tomllib.loads(result.stdout)["feeds"]
    assert feed["url"] == server.url("/lager.csv")
    assert "its user info left out: put them back" in result.stdout
    unsaid(result, PASSWORD, "ZGVhbGVyOmh1bnRlcjItaHVudGVyMg")


def test_the_command_line_s_basic_auth_replaces_the_configured_token(
    server: FeedServer, folder: Path
) -> None:
    """--auth-user-env/--auth-password-env name the variables; the values stay unsaid."""
    server.routes["/lager.csv"] = Reply(CSV)
    configured(folder, server.url("/lager.csv"))
    result = map_init(
        server.url("/lager.csv"),
        "--auth-user-env",
        "DMS_USER",
        "--auth-password-env",
        "DMS_PASSWORD",
    )
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["authorization"] == "Basic ZGVhbGVyOmh1bnRlcjItaHVudGVyMg=="
    (feed,) = tomllib.loads(result.stdout)["feeds"]
    assert (feed["auth_user_env"], feed["auth_password_env"]) == ("DMS_USER", "DMS_PASSWORD")
    assert "auth_env" not in feed
    unsaid(result, PASSWORD, TOKEN, "ZGVhbGVyOmh1bnRlcjItaHVudGVyMg")


FAILURES = {
    "over max_bytes": (
        Reply(CSV),
        {"max_bytes": 100},
        r"534 bytes, over the limit of 100 \(feeds.max_bytes\)",
    ),
    "endless body": (Reply(mode="endless"), {"max_bytes": 300_000}, r"over the limit of 300000"),
    "HTML page": (
        Reply(b"<!DOCTYPE html><html><body>Log in</body></html>", content_type="text/html"),
        {},
        r"an HTML page, not a feed",
    ),
    "401": (Reply(CSV, status=401), {}, r"HTTP 401 .*check the feed's credentials"),
    "cut short": (Reply(CSV, mode="lie"), {}, r"could not be fetched .*received 534 bytes"),
    "empty body": (Reply(b""), {}, r"feed file is empty"),
    "stalled answer": (Reply(CSV, mode="stall"), {"fetch_timeout": 0.5}, r"no whole answer"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_fetch_that_fails_exits_4_with_the_url_feed_s_error_and_no_secret(
    server: FeedServer, folder: Path, case: str
) -> None:
    """The configured feed's limits hold, and its errors are the URL feed reader's."""
    reply, extra, message = FAILURES[case]
    server.routes["/lager.csv"] = reply
    configured(folder, server.url(f"/lager.csv?key={SECRET}"), **extra)
    result = map_init(server.url(f"/lager.csv?key={SECRET}"))
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    error = result.stderr.splitlines()[-1]  # after the fetch's log lines, if any
    assert error.startswith(f"syncd: {server.url('/lager.csv?key=[REDACTED]')}: ")
    assert re.search(message, error), result.stderr
    unsaid(result, TOKEN, SECRET)


def test_a_credential_variable_not_set_is_a_config_error_before_any_request(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 naming the variable; nothing is fetched without the credentials asked for."""
    monkeypatch.delenv("DMS_FEED_TOKEN")
    server.routes["/lager.csv"] = Reply(CSV)
    result = map_init(server.url("/lager.csv"), "--auth-env", "DMS_FEED_TOKEN")
    assert result.exit_code == 3, result.output
    assert "$DMS_FEED_TOKEN is not set" in result.stderr
    assert server.seen == []


def test_a_url_whose_format_cannot_be_told_asks_for_format_before_any_request(
    server: FeedServer,
) -> None:
    """Without --format nor a configured feed, a nameless URL is refused unfetched."""
    server.routes["/export"] = Reply(CSV)
    result = map_init(server.url(f"/export?key={SECRET}"))
    assert result.exit_code == 4
    assert "cannot tell the format from the name" in result.stderr
    assert "give --format" in result.stderr
    assert server.seen == []
    unsaid(result, SECRET)
    given = map_init(server.url(f"/export?key={SECRET}"), "--format", "csv")
    assert given.exit_code == 0, given.output
    assert tomllib.loads(given.stdout)["feeds"][0]["format"] == "csv"


def test_a_gzip_export_is_told_by_the_name_under_its_gz(server: FeedServer) -> None:
    """``lager.csv.gz`` served gzip-encoded: decoded by the fetch, read as the csv it is."""
    server.routes["/lager.csv.gz"] = Reply(CSV, mode="gzip")
    result = map_init(server.url("/lager.csv.gz"))
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.stdout)["feeds"][0]["delimiter"] == ";"


def test_an_unreachable_url_is_a_feed_error(folder: Path) -> None:
    """A refused connection exits 4 naming the URL."""
    with feed_server() as gone:
        url = gone.url("/lager.csv")
    result = map_init(url)
    assert result.exit_code == 4
    assert f"{url}: the feed could not be fetched" in result.stderr


def test_credentials_options_are_for_a_url_only_and_a_named_config_must_exist(
    server: FeedServer, folder: Path
) -> None:
    """--auth-env on a file is a usage error; a missing --config is a config error."""
    local = map_init(str(EXAMPLES / "bilhandlare-csv/lager.csv"), "--auth-env", "DMS_FEED_TOKEN")
    assert local.exit_code == 2
    assert "only for a URL" in local.stderr
    server.routes["/lager.csv"] = Reply(CSV)
    missing = map_init(server.url("/lager.csv"), "--config", str(folder / "nope.toml"))
    assert missing.exit_code == 3
    assert "configuration file not found" in missing.stderr
    assert server.seen == []
