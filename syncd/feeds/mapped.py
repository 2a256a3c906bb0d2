"""Adapter (feeds): a dealer's own export (CSV, XML, JSON) read and mapped to API ads.

:class:`MappedFeedReader` implements ``FeedReader``: it reads the file as the
native reader does (``files.FileFeedReader``: it waits for the file to hold still
and for its ready marker, and refuses one over the size limit or changed while
read), lets a *format* (``csv.py``, ``xml.py``,
``json.py``) turn the bytes into neutral records, and maps them with the
feed's mapping (``syncd.core.map``). A problem with the file as a whole (empty,
unreadable, not parseable, a source the mapping names that no record has)
raises :class:`~syncd.errors.FeedError`: nothing is sent. A problem with one
record travels with it and makes that item alone invalid.

Memory: the file's bytes are read whole (the size limit, the checksum and the
check that the file did not change while read are made on them), but records
are streamed from them: a format yields one record at a time (CSV, JSON Lines
and XML decode and parse as they go; a JSON document and a workbook cannot be
parsed in parts) and each is mapped at once, so only the mapped items are held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeAlias

from syncd.core.map import MappedRecord, Mapping, apply, map_records, missing_sources, skipped
from syncd.core.map.feed import dealer_view
from syncd.core.map.model import Record
from syncd.core.models import FeedMeta, Issue, Origin, RawRecord
from syncd.errors import FeedError
from syncd.feeds.files import FileFeedReader, Sleep, Stillness, read_unchanged, stamp_of

SourceRecord: TypeAlias = tuple[Origin, Record, tuple[Issue, ...]]
"""One record as a format read it: where, the neutral record, the reader's issues."""

Format: TypeAlias = Callable[[Path, bytes], Iterator[SourceRecord]]
"""Turns a whole file's bytes into its records; raises FeedError when it cannot."""


def refuse_empty(path: Path, data: bytes) -> None:
    """A 0-byte (or blank) file is a failed export, not an empty stock."""
    if not data or data.isspace():  # what ``not data.strip()`` says, without a copy
        raise FeedError(
            f"{path}: feed file is empty ({len(data)} bytes); a failed export? nothing is sent"
        )


def load(path: Path, *, max_bytes: int) -> tuple[bytes, FeedMeta]:
    """A file's bytes and facts at once, for a look that sends nothing (``map init``'s
    sample): no settle wait, but a file that changes while read is still refused."""
    data, meta = read_unchanged(path, stamp_of(path), max_bytes=max_bytes)
    refuse_empty(path, data)
    return data, meta


class MappedFeedReader(FileFeedReader):
    """Reads a feed of the dealer's own shape through its mapping (implements ``FeedReader``)."""

    def __init__(
        self,
        fmt: Format,
        mapping: Mapping,
        *,
        max_bytes: int,
        stillness: Stillness | None = None,
        sleep: Sleep = asyncio.sleep,
        dealer: str = "",
        group: tuple[str, ...] = (),
    ) -> None:
        """``group``: the dealers a dealer-group file serves; then only ``dealer``'s
        records are read (``syncd.core.map.for_dealer``)."""
        super().__init__(max_bytes=max_bytes, stillness=stillness, sleep=sleep)
        self._format = fmt
        self._mapping = mapping
        self._dealer = dealer
        self._group = group

    async def read_mapped(self, path: str) -> tuple[FeedMeta, list[MappedRecord]]:
        """Every record as read beside its payload (None for those the filter skips),
        once the file is whole."""
        return await self.when_whole(path, self._mapped_of)

    def parse(self, path: Path, data: bytes) -> tuple[RawRecord, ...]:
        """The mapped payloads of the file's records, as feed items.

        Streamed: each record is mapped as the format reads it and only its
        payload is kept (not the record as read), so the records are never all
        held at once. A source that no record has is found at the end and stops
        the feed (FeedError) before any item is returned.
        """
        refuse_empty(path, data)
        mapping, keys, items = self._mapping, set[str](), []
        filtered, group = bool(mapping.skip), self._group
        for origin, record, read_issues in self._format(path, data):
            keys.update(record)
            if filtered and skipped(mapping, record):
                continue
            payload, issues = apply(mapping, record)
            if group:
                mapped = self._own(MappedRecord(origin, record, payload, read_issues + issues))
                if mapped is not None:
                    items.append(RawRecord(origin, mapped.payload, (), mapped.issues))
            else:
                items.append(RawRecord(origin, payload, (), read_issues + issues))
        self._fits(path, keys)
        return tuple(items)

    def _mapped_of(
        self, path: Path, data: bytes, meta: FeedMeta
    ) -> tuple[FeedMeta, list[MappedRecord]]:
        return meta, self._map(path, data)

    def _map(self, path: Path, data: bytes) -> list[MappedRecord]:
        refuse_empty(path, data)
        mapping, keys, mapped = self._mapping, set[str](), []
        for origin, record, read_issues in self._format(path, data):
            keys.update(record)
            (one,) = map_records(mapping, ((origin, record, read_issues),))
            if (kept := self._own(one)) is not None:
                mapped.append(kept)
        self._fits(path, keys)
        return mapped

    def _own(self, mapped: MappedRecord) -> MappedRecord | None:
        """The record as this dealer's run sees it (a dealer-group file); None: another's."""
        return dealer_view(mapped, self._dealer, self._group) if self._group else mapped

    def _fits(self, path: Path, keys: set[str]) -> None:
        problems = missing_sources(self._mapping, keys)
        if problems:
            raise FeedError(f"{path}: the mapping does not fit the file: " + "; ".join(problems))
