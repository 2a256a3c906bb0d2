"""Adapter (feeds): a dealer's own export (CSV, XML, JSON) read and mapped to API ads.

:class:`MappedFeedReader` implements ``FeedReader``: it reads the file as the
native reader does (``native.read_bytes``: size limit, checksum, a file that
changes while read is refused), lets a *format* (``csv.py``, ``xml.py``,
``json.py``) turn the bytes into neutral records, and maps them with the
feed's mapping (``syncd.core.map``). A problem with the file as a whole (empty,
unreadable, not parseable, a source the mapping names that no record has)
raises :class:`~syncd.errors.FeedError`: nothing is sent. A problem with one
record travels with it and makes that item alone invalid.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeAlias

from syncd.core.map import (
    MappedRecord,
    Mapping,
    for_dealer,
    map_records,
    missing_sources,
    raw_records,
)
from syncd.core.map.model import Record
from syncd.core.models import FeedMeta, Issue, Origin, RawFeed
from syncd.errors import FeedError
from syncd.feeds.native import read_bytes

SourceRecord: TypeAlias = tuple[Origin, Record, tuple[Issue, ...]]
"""One record as a format read it: where, the neutral record, the reader's issues."""

Format: TypeAlias = Callable[[Path, bytes], Iterator[SourceRecord]]
"""Turns a whole file's bytes into its records; raises FeedError when it cannot."""


def load(path: Path, *, max_bytes: int) -> tuple[bytes, FeedMeta]:
    """The file's bytes and facts; a 0-byte file is a failed export, not an empty stock."""
    data, meta = read_bytes(path, max_bytes=max_bytes)
    if not data.strip():
        raise FeedError(
            f"{path}: feed file is empty ({len(data)} bytes); a failed export? nothing is sent"
        )
    return data, meta


class MappedFeedReader:
    """Reads a feed of the dealer's own shape through its mapping (implements ``FeedReader``)."""

    def __init__(
        self,
        fmt: Format,
        mapping: Mapping,
        *,
        max_bytes: int,
        dealer: str = "",
        group: tuple[str, ...] = (),
    ) -> None:
        """``group``: the dealers a dealer-group file serves; then only ``dealer``'s
        records are read (``syncd.core.map.for_dealer``)."""
        self._format = fmt
        self._mapping = mapping
        self._max_bytes = max_bytes
        self._dealer = dealer
        self._group = group

    def read_mapped(self, path: str) -> tuple[FeedMeta, list[MappedRecord]]:
        """Every record as read beside its payload (None for those the filter skips)."""
        p = Path(os.fspath(path))
        data, meta = load(p, max_bytes=self._max_bytes)
        records = list(self._format(p, data))
        keys = {key for _, record, _ in records for key in record}
        problems = missing_sources(self._mapping, keys)
        if problems:
            raise FeedError(f"{p}: the mapping does not fit the file: " + "; ".join(problems))
        mapped = map_records(self._mapping, records)
        return meta, for_dealer(mapped, self._dealer, self._group) if self._group else mapped

    def read(self, path: str) -> RawFeed:
        """Read, parse and map the whole file; raises FeedError if it cannot be used."""
        meta, mapped = self.read_mapped(path)
        return RawFeed(meta=meta, records=raw_records(mapped))
