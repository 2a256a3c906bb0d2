"""Composition root: the feeds' readers and the sync jobs that read them.

A native feed's reader is imported here; a mapped feed's reader, the mapping
compiler and each format's parser only for a feed that uses them, and the URL
fetcher (httpx, its auth) only for a URL feed (start-up time, issue 12).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import make_url

from syncd.bootstrap.api import USER_AGENT
from syncd.config import FeedSettings, Settings
from syncd.errors import ConfigError
from syncd.feeds.files import Stillness
from syncd.feeds.native import NativeFeedReader
from syncd.logs import REDACTOR
from syncd.ports import FeedReader
from syncd.runs import FeedJob

if TYPE_CHECKING:
    import httpx

    from syncd.feeds.http import HttpSource
    from syncd.feeds.mapped import Format, MappedFeedReader
    from syncd.feeds.sample import Sample


def feed_cache_dir(settings: Settings) -> Path:
    """Where URL feeds keep their last good body: beside the SQLite mirror, else beside
    the config file (a PostgreSQL mirror), else the working folder."""
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).parent
    config_file = Path(settings.source)
    return config_file.parent if config_file.is_file() else Path.cwd()


def feed_client(f: FeedSettings) -> httpx.AsyncClient:
    """The HTTP client of one fetch of a feed URL (syncd/feeds/http.py makes one per
    fetch): its timeouts, redirects followed (httpx drops the credentials on a
    redirect to another host), no auth of its own (the source adds the feed's)."""
    import httpx  # noqa: PLC0415 - a URL feed's fetch only

    return httpx.AsyncClient(
        timeout=httpx.Timeout(f.fetch_timeout, connect=min(f.fetch_timeout, 10.0)),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=5,
    )


def feed_source(f: FeedSettings, cache_dir: Path) -> HttpSource:
    """The fetcher of a URL feed, its cache file in ``f.cache_dir`` or ``cache_dir``."""
    # Only a URL feed is fetched: its modules (and httpx's auth) imported here.
    from syncd.extras import HTTPX_EXTRAS, import_without  # noqa: PLC0415

    import_without("httpx", HTTPX_EXTRAS)
    from syncd.feeds.http import HttpSource  # noqa: PLC0415
    from syncd.feeds.http_auth import EnvCredentials  # noqa: PLC0415
    from syncd.feeds.http_cache import cache_name  # noqa: PLC0415

    assert f.url is not None
    return HttpSource(
        f.url,
        client=lambda: feed_client(f),
        max_bytes=f.max_bytes,
        cache_file=(f.cache_dir or cache_dir) / cache_name(f.url),
        timeout=f.fetch_timeout,
        credentials=EnvCredentials(f.auth_env, f.auth_user_env, f.auth_password_env),
        redact=REDACTOR.add,
    )


def feed_reader(f: FeedSettings, dealer: str = "", cache_dir: Path | None = None) -> FeedReader:
    """The reader of a feed's format: native JSON, or the dealer's own shape mapped
    (of a dealer-group file, only ``dealer``'s records); of a URL feed, fetching it."""
    reader = _format_reader(f, dealer)
    if f.url is not None:
        reader.fetch_from(feed_source(f, cache_dir or Path.cwd()))
    return reader


def _format_reader(f: FeedSettings, dealer: str) -> NativeFeedReader | MappedFeedReader:
    data = f.mapping_data()
    stillness = Stillness(f.settle_seconds, f.settle_timeout, f.ready_file)
    if data is None:
        return NativeFeedReader(f.format, max_bytes=f.max_bytes, stillness=stillness)
    # A mapped feed's reader and the mapping compiler, imported only for a mapped feed,
    # and of the formats only the feed's own (lxml, calamine: start-up time, issue 12).
    from syncd.core.map import parse_mapping  # noqa: PLC0415
    from syncd.feeds.mapped import MappedFeedReader  # noqa: PLC0415

    return MappedFeedReader(
        _mapped_format(f),
        parse_mapping(data),
        max_bytes=f.max_bytes,
        stillness=stillness,
        dealer=dealer,
        group=f.dealer_codes,
    )


def _mapped_format(f: FeedSettings) -> Format:
    """The parser of a mapped feed's file format (its module imported now)."""
    # Each format's module (and its parser library) is imported when a feed uses it.
    if f.format == "csv":
        from syncd.feeds.csv import CsvFormat  # noqa: PLC0415

        return CsvFormat(encoding=f.encoding, delimiter=f.delimiter)
    if f.format == "xml":
        from syncd.feeds.xml import XmlFormat  # noqa: PLC0415

        return XmlFormat(f.records, namespaces=f.namespaces, encoding=f.encoding)
    if f.format == "xlsx":
        from syncd.feeds.xlsx import XlsxFormat  # noqa: PLC0415

        return XlsxFormat(f.sheet or None)
    from syncd.feeds.json import JsonFormat, JsonLinesFormat  # noqa: PLC0415

    return JsonLinesFormat() if f.format == "jsonl" else JsonFormat(f.records)


def feed_pairs(settings: Settings) -> list[tuple[FeedSettings, FeedJob]]:
    """Each sync job beside the feed it reads: one per feed, and one per dealer of a
    dealer-group file (its runs read the same file, each seeing its own records)."""
    cache_dir = feed_cache_dir(settings)
    return [
        (
            f,
            FeedJob(
                path=feed_shown(f),
                dealer_code=code,
                reader=feed_reader(f, code, cache_dir),
                visible=settings.sync.visible,
            ),
        )
        for f in settings.feeds
        for code in f.dealers
    ]


def feed_shown(f: FeedSettings) -> str:
    """The feed's path, or its URL as it may be logged and kept (no secrets)."""
    if f.url is None:
        return str(f.path)
    from syncd.feeds.http_auth import public_url  # noqa: PLC0415 - a URL feed only

    return public_url(f.url)


def feed_jobs(settings: Settings) -> list[FeedJob]:
    """One sync job per configured feed (per dealer of a dealer-group feed)."""
    return [job for _, job in feed_pairs(settings)]


def sample_feed(
    url: str, feeds: Sequence[FeedSettings], auth: Mapping[str, str | None]
) -> FeedSettings:
    """The feed ``map init`` fetches a sample URL as: the configured feed of that URL
    (named by its URL, or as syncd shows it: query values masked), else a feed of its
    own with the default limits; ``auth`` (``auth_env``, ``auth_user_env``,
    ``auth_password_env``: variables' names, given on the command line) over its own.

    Assumption: the operator who names a configured feed's public URL means that feed,
    its secrets (in its URL, in its variables) included; that is how its secrets stay
    out of the command line and the shell's history.
    """
    given: dict[str, str | None] = {k: v for k, v in auth.items() if v}
    if given:  # the command line's credentials replace the feed's, never mix with them
        given = {"auth_env": None, "auth_user_env": None, "auth_password_env": None, **given}
    found = next((f for f in feeds if f.url is not None and url in (f.url, feed_shown(f))), None)
    data = {"url": url} if found is None else found.model_dump(exclude_unset=True)
    try:
        return FeedSettings.model_validate({**data, **given})
    except ValidationError as exc:
        # The messages name the key, never a value (the URL may hold a secret).
        why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ConfigError(f"map init: {why}") from None


async def fetch_sample(f: FeedSettings, fmt: str | None) -> Sample:
    """A URL feed's sample for ``map init``: fetched by the feed's own source (its
    max_bytes, fetch_timeout, credentials and errors, the secrets redacted), then read
    as a sample file. The format: ``fmt``, else the feed's configured one, else the
    URL's name (told before anything is fetched).

    Assumption: a sample is a look that leaves no trace: it is fetched whole into a
    cache folder of its own, thrown away, so the feed's own cache (its next
    conditional GET) is neither used nor changed.
    """
    # The sample reader imports every format's parser: map init's, not a run's.
    from syncd.feeds.sample import format_of, sample_of  # noqa: PLC0415

    if fmt is None and "format" in f.model_fields_set:
        fmt = f.format
    with tempfile.TemporaryDirectory(prefix="syncd-map-init-") as tmp:
        source = feed_source(f.model_copy(update={"cache_dir": Path(tmp)}), Path(tmp))
        fmt = format_of(source.label, fmt, fetched=True)
        data, _ = await source.fetch()
    return sample_of(source.label, data, fmt)
