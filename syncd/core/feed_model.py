"""Core: the feed as read and as validated: records, their origins and issues, items.

Pure: no I/O here. Feed readers produce a :class:`RawFeed`; validation turns it into
a :class:`ValidatedFeed` of :class:`FeedItem` and :class:`InvalidItem` values.
Imported through :mod:`syncd.core.models`, which names every value type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

import orjson

Payload: TypeAlias = Mapping[str, Any]
"""An ad body in the Pro Import API's request shape (without source_id/dealer_code)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an item sits in its feed file: a 1-based line or a 0-based array index."""

    path: str
    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.index is not None:
            return f"{self.path}[{self.index}]"
        return self.path


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one field of a feed item (``field`` is a dotted path).

    ``value``: the value as the dealer's file wrote it, when the problem came
    from mapping that file (the reason names it otherwise).
    """

    field: str
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key given more than once in one object of a feed item; the parser kept the last.

    ``field`` is the dotted path of the key (``source_id``, ``price[0].amount``);
    ``values`` are the values given, in file order, kept only for ``source_id``.
    """

    field: str
    count: int
    values: tuple[Any, ...] = ()


class Packed(NamedTuple):
    """An item kept as its canonical JSON text (keys sorted), not as Python objects.

    A large feed's items take about four times less memory so, and most are never
    looked at again (a run skips the unchanged ones by ``digest``). ``digest`` is
    ``core.validate.known.raw_hash`` of the item (the BLAKE2b of ``text``);
    ``source_id`` the item's, when it is a string. (A named tuple: a reader makes
    one per item, and it is the cheapest immutable value to make.)
    """

    text: bytes
    digest: str
    source_id: str | None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One item as parsed from the feed, before validation (any JSON value).

    ``issues``: problems found before validation (reading or mapping the
    dealer's own format); an item with any is invalid. A reader may keep the item
    ``packed`` instead of as ``data`` (which is then None): read it with
    :meth:`value`, which works for both.
    """

    origin: Origin
    data: Any
    duplicate_keys: tuple[DuplicateKey, ...] = ()
    issues: tuple[Issue, ...] = ()
    packed: Packed | None = None

    def value(self) -> Any:
        """The item as parsed (a packed one is decoded again: its keys come sorted)."""
        if self.packed is not None:
            return orjson.loads(self.packed.text)
        return self.data

    def source_id(self) -> str | None:
        """The item's ``source_id`` when it is a string (None otherwise, or for no object)."""
        if self.packed is not None:
            return self.packed.source_id
        sid = self.data.get("source_id") if isinstance(self.data, dict) else None
        return sid if isinstance(sid, str) else None


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What tells that a file changed: size, modification time and inode."""

    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """Facts about the feed file a run read."""

    path: str
    checksum: str  # sha256 hex of the bytes read
    size: int
    modified_at: datetime
    stamp: FileStamp | None = None  # the file as read; None when not read from a file


@dataclass(frozen=True, slots=True, repr=False)
class RawFeed:
    """A whole feed file, parsed but not validated."""

    meta: FeedMeta
    records: tuple[RawRecord, ...]

    def __repr__(self) -> str:
        """The meta and a count: see :func:`_counted`."""
        return f"RawFeed(meta={self.meta!r}, records={_counted(self.records)})"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A valid feed item: the payload syncd wants the API to hold for this source_id.

    ``payload`` is normalised (no source_id, no dealer_code; no title or contact
    for registered vehicles) and ``payload_hash`` is its canonical hash.
    """

    source_id: str
    category_id: int
    payload: Payload
    payload_hash: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class InvalidItem:
    """A feed item that failed validation; its existing ad is left untouched."""

    origin: Origin
    source_id: str | None
    issues: tuple[Issue, ...]
    # The source_ids the item may mean when it gave more than one (a duplicated
    # source_id key): their live ads are protected from deletion as well.
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, repr=False)
class ValidatedFeed:
    """The feed after validation: valid items and invalid ones, in file order."""

    dealer_code: str
    meta: FeedMeta
    items: tuple[FeedItem, ...]
    invalid: tuple[InvalidItem, ...]

    def __repr__(self) -> str:
        """The dealer, the meta and counts: see :func:`_counted`."""
        return (
            f"ValidatedFeed(dealer_code={self.dealer_code!r}, meta={self.meta!r}, "
            f"items={_counted(self.items)}, invalid={_counted(self.invalid)})"
        )


def _counted(entries: tuple[Any, ...]) -> str:
    """A whole feed's entries in a repr: a count, not 100 000 reprs.

    Why: ``asyncio.run`` (Python 3.11) formats the repr of its main task, and so of
    the task's result, when it restores the SIGINT handler (``signal.getsignal``
    turns the handler into an enum via a ``ValueError`` whose message holds its
    repr). A command returning a feed paid a full repr of every item: about half
    of ``bench/feeds.py``'s CPU time, for a string reprlib then cuts to 30 chars.
    """
    return f"<{len(entries)} {'entry' if len(entries) == 1 else 'entries'}>"
