"""Adapter (feeds): a feed published at an ``http(s)`` URL, fetched whole or not at all.

:class:`HttpSource` is the ``files.Source`` of a URL feed: the format readers
(``native.py``, ``mapped.py``) parse its bytes exactly as a local file's. One
fetch is one GET, conditional when a last good body is cached
(``http_cache.py``: ``If-None-Match`` / ``If-Modified-Since``); a 304 reuses
that body. Anything short of a whole, good body raises
:class:`~syncd.errors.FeedError` naming the URL, before anything is sent:

* a connection error, a timeout (``fetch_timeout`` bounds the whole fetch, not
  only each read: a server trickling bytes is cut off too), too many redirects;
* an answer that is not 2xx (a 304 without a cached body included);
* a body over ``max_bytes`` (refused from its Content-Length before reading,
  and while streaming: never read whole first), shorter than its
  Content-Length, or a gzip stream that is cut short or broken;
* an HTML page (a DMS's login or error page served with status 200;
  ``http_body.py`` tells one, and decodes gzip within the limit).

The URL is named without its user info and with its query values masked
(:func:`public_url`); the credentials (``auth_env``: a bearer token;
``auth_user_env``/``auth_password_env``: basic auth) are read from the
environment at each fetch and handed to ``redact`` (the log redactor) before
they are used, so neither reaches a log line nor an error.

The HTTP client is made by the composition root (a ``ClientFactory``) for each
fetch. Assumption: one fetch per run, so a new connection per fetch costs
nothing that matters, and a client never outlives the event loop it was made
on (the CLI runs one loop per feed).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path, PosixPath
from urllib.parse import urlsplit

import httpx
import structlog

from syncd.core.models import FeedMeta
from syncd.errors import FeedError
from syncd.feeds import http_cache
from syncd.feeds.http_auth import MASK, EnvCredentials, Redact, public_url, url_secrets
from syncd.feeds.http_body import Gunzip, looks_like_html
from syncd.feeds.http_cache import Validators

log = structlog.get_logger("syncd.feeds")

ClientFactory = Callable[[], httpx.AsyncClient]
_GZIP_MAGIC = b"\x1f\x8b"


def is_url(source: str) -> bool:
    """True when a feed's source is an ``http(s)`` URL rather than a local path."""
    return source.startswith(("http://", "https://"))


class UrlPath(PosixPath):
    """How the format readers name a URL feed in their errors: ``str()`` is the
    public URL; it is not a file (``os.fspath`` refuses it)."""

    _url = ""

    @classmethod
    def of(cls, url: str) -> UrlPath:
        """The label of this (public) URL."""
        label = cls(urlsplit(url).path.rsplit("/", 1)[-1] or "feed")
        label._url = url
        return label

    def __str__(self) -> str:
        return self._url or super().__str__()

    def __fspath__(self) -> str:
        raise TypeError(f"{self._url} is a URL, not a file")


class HttpSource:
    """The bytes of the feed at one URL (implements ``files.Source``)."""

    def __init__(
        self,
        url: str,
        *,
        client: ClientFactory,
        max_bytes: int,
        cache_file: Path,
        timeout: float,
        credentials: EnvCredentials | None = None,
        redact: Redact = lambda _: None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._url = url
        self._client = client
        self._max_bytes = max_bytes
        self._cache = cache_file
        self._timeout = timeout
        self._credentials = credentials or EnvCredentials()
        self._redact = redact
        self._environ = os.environ if environ is None else environ
        self.public = public_url(url)
        self.label: Path = UrlPath.of(self.public)
        for secret in url_secrets(url):
            redact(secret)

    async def fetch(self) -> tuple[bytes, FeedMeta]:
        """The feed's body and facts: fetched whole, or the cached body on a 304.

        Assumption: a 304 run does all the work of any run on the cached body (read,
        map, plan, reconcile). Only the transfer is saved: skipping the run would
        also skip the retry of items that failed last time and the check of the ads
        against the mirror, and a plan of an unchanged feed sends nothing anyway.
        """
        auth = self._credentials.auth(self._environ, self._redact)
        cached = await asyncio.to_thread(http_cache.read_validators, self._cache)
        if cached is not None and cached.size > self._max_bytes:
            # A body cached under a larger limit (max_bytes lowered since, or a header
            # gone wrong) is not reused on a 304, nor read into memory: the feed is asked
            # for whole, and the limit applies to it as to any fetch.
            log.warning("feed_cache_unusable", cache=str(self._cache), reason="over max_bytes")
            cached = None
        got = await self._get(auth, cached)
        if got is None:  # a 304, but the cached body is gone or damaged: ask for it whole
            got = await self._get(auth, None)
        if got is None:
            raise FeedError(f"{self.public}: answered 304 Not Modified; nothing was sent")
        body, validators = got
        meta = FeedMeta(
            path=self.public,
            checksum=validators.sha256,
            size=len(body),
            modified_at=_modified_at(validators),
        )
        return body, meta

    async def _get(
        self, auth: httpx.Auth | None, cached: Validators | None
    ) -> tuple[bytes, Validators] | None:
        """One GET: the body and its validators, or None for a 304 without a usable cache."""
        headers = {"Accept-Encoding": "gzip", **_conditional(cached)}
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._client() as client,
                client.stream("GET", self._url, headers=headers, auth=auth) as response,
            ):
                if response.status_code == 304 and cached is not None:
                    return await self._reuse(cached)
                self._check_status(response)
                body = await self._read(response)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FeedError(
                f"{self.public}: no whole answer within {self._timeout:g} s "
                f"(feeds.fetch_timeout); nothing was sent"
            ) from exc
        except httpx.HTTPError as exc:
            raise FeedError(
                f"{self.public}: the feed could not be fetched ({self._why(exc)}); nothing was sent"
            ) from exc
        return await self._keep(response, body)

    async def _reuse(self, cached: Validators) -> tuple[bytes, Validators] | None:
        body = await asyncio.to_thread(http_cache.read_body, self._cache, cached)
        if body is not None:
            log.info("feed_not_modified", url=self.public, bytes=len(body), etag=cached.etag)
            return body, cached
        return None

    async def _keep(self, response: httpx.Response, body: bytes) -> tuple[bytes, Validators]:
        if looks_like_html(body, response.headers.get("Content-Type", "")):
            raise FeedError(
                f"{self.public}: answered HTTP {response.status_code} with an HTML page, "
                f"not a feed (a login or error page of the DMS?); nothing was sent"
            )
        validators = Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            fetched_at=datetime.now(UTC),
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        )
        log.info("feed_fetched", url=self.public, bytes=len(body), etag=validators.etag)
        if validators.etag or validators.last_modified:
            await asyncio.to_thread(http_cache.write, self._cache, validators, body, self.public)
        return body, validators

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        hint = {
            304: " to a request for the whole feed",
            401: " (check the feed's credentials: feeds.auth_env, auth_user_env)",
            403: " (check the feed's credentials: feeds.auth_env, auth_user_env)",
            404: " (is feeds.url right?)",
        }.get(status, "")
        raise FeedError(
            f"{self.public}: answered HTTP {status} {response.reason_phrase}{hint}; "
            f"nothing was sent"
        )

    async def _read(self, response: httpx.Response) -> bytes:
        """The body, decoded, refused as soon as it is over ``max_bytes``."""
        declared = self._declared_length(response)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            raise FeedError(f"{self.public}: unsupported Content-Encoding {encoding!r}")
        gunzip = Gunzip(self.public) if encoding in ("gzip", "x-gzip") else None
        body = bytearray()
        received = 0
        async for chunk in response.aiter_raw():
            if received == 0 and gunzip is None and chunk.startswith(_GZIP_MAGIC):
                gunzip = Gunzip(self.public)  # a .gz export served as it is
            received += len(chunk)
            body += gunzip.feed(chunk, self._max_bytes - len(body)) if gunzip else chunk
            if len(body) > self._max_bytes or received > self._max_bytes:
                raise FeedError(
                    f"{self.public}: feed is over the limit of {self._max_bytes} bytes "
                    f"(feeds.max_bytes); nothing was sent"
                )
        if declared is not None and received != declared:
            raise FeedError(
                f"{self.public}: the body was cut short ({received} of {declared} bytes); "
                f"nothing was sent"
            )
        if gunzip is not None:
            gunzip.finish()
        return bytes(body)

    def _declared_length(self, response: httpx.Response) -> int | None:
        value = response.headers.get("Content-Length")
        if value is None:
            return None
        if not value.strip().isdigit():
            raise FeedError(f"{self.public}: a Content-Length that is not a number")
        declared = int(value)
        if declared > self._max_bytes:
            raise FeedError(
                f"{self.public}: feed is {declared} bytes, over the limit of "
                f"{self._max_bytes} (feeds.max_bytes); nothing was sent"
            )
        return declared

    def _why(self, exc: httpx.HTTPError) -> str:
        """The error's kind and text, with the URL and its secrets taken out."""
        text = str(exc).replace(self._url, self.public)
        for secret in url_secrets(self._url):
            text = text.replace(secret, MASK)
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _conditional(cached: Validators | None) -> dict[str, str]:
    if cached is None:
        return {}
    headers = {"If-None-Match": cached.etag} if cached.etag else {}
    if cached.last_modified:
        headers["If-Modified-Since"] = cached.last_modified
    return headers


def _modified_at(validators: Validators) -> datetime:
    """The export's time: its Last-Modified, else when its body was first fetched."""
    if validators.last_modified:
        try:
            when = parsedate_to_datetime(validators.last_modified)
        except (TypeError, ValueError):
            return validators.fetched_at
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return validators.fetched_at
