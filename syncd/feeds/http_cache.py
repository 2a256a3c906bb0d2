"""Adapter (feeds): the last good body of a URL feed, kept on disk for a 304 Not Modified.

One cache file per feed URL: a first line of JSON (the validators ``etag`` and
``last_modified``, when the body was fetched, its size and sha256, the URL
without its secrets) and then the body's bytes. It is written whole to a temp
file in the same folder and renamed over the old one, so a reader sees the old
file or the new one, never half of one; a file whose body does not match its
sha256 (a disk full, a hand edit) is not used: the next fetch asks for the
whole body again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
import structlog

log = structlog.get_logger("syncd.feeds")

_HEADER_LIMIT = 64 * 1024  # a header line longer than this is not one this module wrote


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional GET sends back, and when the body they describe was fetched."""

    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    size: int
    sha256: str


def cache_name(url: str) -> str:
    """The cache file's name for a feed URL (a digest: the URL may hold a secret)."""
    return f"syncd-feed-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:20]}.cache"


def read_validators(path: Path) -> Validators | None:
    """The cached body's validators, or None when there is no usable cache file."""
    try:
        with path.open("rb") as fh:
            line = fh.readline(_HEADER_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("feed_cache_unreadable", cache=str(path), error=exc.strerror)
        return None
    try:
        doc = orjson.loads(line)
        return Validators(
            etag=doc["etag"],
            last_modified=doc["last_modified"],
            fetched_at=datetime.fromisoformat(doc["fetched_at"]),
            size=int(doc["size"]),
            sha256=str(doc["sha256"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("feed_cache_unusable", cache=str(path), reason="not a cache header")
        return None


def read_body(path: Path, expected: Validators) -> bytes | None:
    """The cached body when it is the one ``expected`` describes, else None."""
    try:
        with path.open("rb") as fh:
            fh.readline(_HEADER_LIMIT)
            body = fh.read(expected.size + 1)
    except OSError as exc:
        log.warning("feed_cache_unreadable", cache=str(path), error=exc.strerror)
        return None
    if len(body) != expected.size or hashlib.sha256(body).hexdigest() != expected.sha256:
        log.warning("feed_cache_unusable", cache=str(path), reason="body does not match")
        return None
    return body


def write(path: Path, validators: Validators, body: bytes, url: str) -> None:
    """Keep ``body`` with its validators: a temp file beside ``path``, renamed over it.

    A cache that cannot be written is logged, not raised: the run has its body, and
    the next fetch asks for the whole body again.
    """
    header = orjson.dumps(
        {
            "url": url,
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "fetched_at": validators.fetched_at.isoformat(),
            "size": validators.size,
            "sha256": validators.sha256,
        }
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as exc:
        log.warning("feed_cache_not_written", cache=str(path), error=exc.strerror)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + b"\n")
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("feed_cache_not_written", cache=str(path), error=exc.strerror)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
