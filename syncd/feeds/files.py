"""Adapter (feeds): reading a feed file only when it is whole, for every format.

The one place that decides whether a feed file may be used; the format readers
(``native.py``; ``mapped.py`` for CSV, XML, JSON and XLSX) subclass
:class:`FileFeedReader` and only parse bytes. A file is used only when:

1. it has held still (size, modification time and inode unchanged) for
   ``settle_seconds``: an exporter still writing, or an upload still arriving,
   keeps changing it. The wait is an ``asyncio`` sleep, so a waiting run never
   blocks the daemon's event loop, and it is bounded: a file that is still
   changing after ``settle_timeout`` seconds is refused;
2. with ``ready_file`` set, that marker file exists and was written no earlier
   than the feed (the "done" file many FTP exporters write last);
3. it is the same file, unchanged, after it was read (a rewrite or a rename
   during the read is caught here);
4. it is still unchanged right before deletes are sent (:meth:`changed`, which
   the service asks): deletes planned from a file that changed during the run
   are held back.

Anything else raises :class:`~syncd.errors.FeedError` naming the file, before
anything is sent.

A feed that is not a local file (an ``http(s)`` URL: ``http.py``) is a
:class:`Source` handed to the reader with :meth:`FileFeedReader.fetch_from`:
its bytes are parsed exactly as a file's, and the rules above are the source's
own (a fetch is whole or a FeedError).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import stat
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

import structlog

from syncd.collector import paused
from syncd.core.models import FeedMeta, FileStamp, RawFeed, RawRecord
from syncd.errors import FeedError

log = structlog.get_logger("syncd.feeds")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
_POLLS_PER_WINDOW = 5  # re-stat a settling file this often within one settle window
_MIN_POLL = 0.05


class Source(Protocol):
    """Where a feed's bytes come from when it is not a local file."""

    @property
    def label(self) -> Path:
        """How the format readers name the feed in their errors (``str()`` of it)."""
        ...

    async def fetch(self) -> tuple[bytes, FeedMeta]:
        """The whole feed and its facts; FeedError when it cannot be had whole."""
        ...


@dataclass(frozen=True, slots=True)
class Stillness:
    """How still a feed file must be before it is used (the ``[[feeds]]`` settings)."""

    settle_seconds: float = 5.0
    settle_timeout: float = 120.0
    ready_file: Path | None = None


def stamp_of(path: Path) -> FileStamp:
    """The file's stamp; FeedError when it cannot be used at all."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise FeedError(f"{path}: feed file not found") from exc
    except OSError as exc:
        raise FeedError(f"{path}: cannot read feed: {exc.strerror}") from exc
    if stat.S_ISDIR(st.st_mode):
        cause = IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise FeedError(f"{path}: is a directory, not a feed file") from cause
    if not stat.S_ISREG(st.st_mode):
        # A named pipe, a device (/dev/zero), a socket: no size to settle on, and reading
        # one may never end. Named for what it is, not "a directory".
        raise FeedError(f"{path}: is not a regular file (a pipe or a device?), not a feed file")
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino)


def quiet_for(path: Path, now: float) -> float:
    """Seconds since the file's inode last changed (its ctime, by the wall clock).

    Assumption: ctime is set by the kernel on every write, rename and metadata
    change, and cannot be set by an exporter (unlike mtime: ``cp -p``, ``rsync -t``),
    and the file system's clock is ours. On a network file system whose clock runs
    behind, a file may look quieter than it is: use ``ready_file`` there.
    """
    try:
        st = path.stat()
    except OSError:
        return 0.0  # stamp_of() names the problem at the next look
    return now - max(st.st_ctime, st.st_mtime)


async def settled(
    path: Path,
    rules: Stillness,
    *,
    sleep: Sleep = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
) -> FileStamp:
    """The file's stamp once it has held still for ``settle_seconds``; FeedError past
    ``settle_timeout``. A file untouched for that long already is used at once."""
    start = monotonic()
    last = stamp_of(path)
    if rules.settle_seconds <= 0 or quiet_for(path, wall()) >= rules.settle_seconds:
        return last
    still_since = start
    poll = max(rules.settle_seconds / _POLLS_PER_WINDOW, _MIN_POLL)
    log.info("feed_settling", path=str(path), settle_seconds=rules.settle_seconds)
    while (left := rules.settle_seconds - (monotonic() - still_since)) > 0:
        if monotonic() - start >= rules.settle_timeout:
            raise FeedError(
                f"{path}: the feed file kept changing for {rules.settle_timeout:g} s "
                f"(feeds.settle_timeout); not using it: is the exporter still writing? "
                f"Nothing was sent"
            )
        await sleep(min(left, poll))
        current = stamp_of(path)
        if current != last:
            last, still_since = current, monotonic()
    log.info("feed_settled", path=str(path), waited=round(monotonic() - start, 3))
    return last


def check_ready(path: Path, ready_file: Path | None, feed: FileStamp) -> None:
    """With a ready marker configured: it must exist and be no older than the feed."""
    if ready_file is None:
        return
    try:
        marker = ready_file.stat()
    except OSError as exc:
        raise FeedError(
            f"{path}: its ready marker {ready_file} (feeds.ready_file) is missing: the "
            f"exporter has not finished the feed; nothing was sent"
        ) from exc
    if marker.st_mtime_ns < feed.mtime_ns:
        raise FeedError(
            f"{path}: the feed was written after its ready marker {ready_file} "
            f"(feeds.ready_file): the exporter is at work on a new feed; nothing was sent"
        )


def read_unchanged(path: Path, expected: FileStamp, *, max_bytes: int) -> tuple[bytes, FeedMeta]:
    """Read the file whole, refusing one that is too large or not the settled file."""
    if expected.size > max_bytes:
        raise FeedError(
            f"{path}: feed is {expected.size} bytes, over the limit of "
            f"{max_bytes} (feeds.max_bytes)"
        )
    try:
        with path.open("rb") as fh:
            opened = os.fstat(fh.fileno())
            # One byte over the settled size, not over max_bytes: read(n) allocates n
            # bytes up front (512 MB by default, for any feed). A longer file changed
            # since it settled, which the stamps below refuse.
            data = fh.read(expected.size + 1)
        after = stamp_of(path)
    except FileNotFoundError as exc:
        raise FeedError(f"{path}: feed file not found") from exc
    except OSError as exc:
        raise FeedError(f"{path}: cannot read feed: {exc.strerror}") from exc
    read = FileStamp(opened.st_size, opened.st_mtime_ns, opened.st_ino)
    if not expected == read == after or len(data) != after.size:
        raise FeedError(
            f"{path}: feed changed while it was read; not using it (is the exporter "
            f"still writing? write to a temp file and rename); nothing was sent"
        )
    meta = FeedMeta(
        path=str(path),
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        modified_at=datetime.fromtimestamp(after.mtime_ns / 1e9, tz=UTC),
        stamp=after,
    )
    return data, meta


def changed(meta: FeedMeta) -> str | None:
    """Why the file is no longer the one this feed was read from, or None."""
    path = Path(meta.path)
    try:
        now = stamp_of(path)
    except FeedError as exc:
        return str(exc)
    if meta.stamp is None or now == meta.stamp:
        return None
    if now.inode != meta.stamp.inode:
        return f"{path}: the feed file was replaced during the run"
    return f"{path}: the feed file changed during the run (size {meta.stamp.size} -> {now.size})"


class FileFeedReader(ABC):
    """A ``FeedReader`` of one file format: subclasses parse bytes, this decides when."""

    def __init__(
        self, *, max_bytes: int, stillness: Stillness | None = None, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._max_bytes = max_bytes
        self._rules = stillness or Stillness()
        self._sleep = sleep
        self._source: Source | None = None

    def fetch_from(self, source: Source) -> None:
        """Read the feed from ``source`` (a URL) instead of the file at the path given."""
        self._source = source

    @abstractmethod
    def parse(self, path: Path, data: bytes) -> tuple[RawRecord, ...]:
        """The records of the file's bytes; FeedError when they cannot be used."""

    async def read(self, path: str) -> RawFeed:
        """Wait until the file is whole, then read and parse it (off the event loop)."""
        return await self.when_whole(path, self._feed)

    async def when_whole(self, path: str, use: Callable[[Path, bytes, FeedMeta], T]) -> T:
        """``use(path, data, meta)`` of the file's bytes once it is whole: settled, ready,
        unchanged while read. The read and ``use`` run off the event loop.

        With a :class:`Source`, ``path`` is not looked at: its bytes are used."""
        if self._source is not None:
            data, meta = await self._source.fetch()
            return await asyncio.to_thread(use, self._source.label, data, meta)
        p = Path(os.fspath(path))
        stamp = await settled(p, self._rules, sleep=self._sleep)
        check_ready(p, self._rules.ready_file, stamp)
        return await asyncio.to_thread(self._use, p, stamp, use)

    def _use(self, path: Path, stamp: FileStamp, use: Callable[[Path, bytes, FeedMeta], T]) -> T:
        data, meta = read_unchanged(path, stamp, max_bytes=self._max_bytes)
        with paused():  # why: syncd/collector.py
            return use(path, data, meta)

    def _feed(self, path: Path, data: bytes, meta: FeedMeta) -> RawFeed:
        return RawFeed(meta=meta, records=self.parse(path, data))

    def changed(self, meta: FeedMeta) -> str | None:
        """Why the file is no longer the one ``meta`` was read from (None: unchanged).

        A fetched body cannot change: the run holds it whole in memory, and a newer
        export at the URL is the next run's."""
        return None if self._source is not None else changed(meta)
