"""Core: validation skipped for feed items that did not change since the API accepted them.

Pure: no I/O here. A run validates a raw item only when the mirror has no memo
(:class:`~syncd.core.models.RawMemo`) saying what this very item validated to
under these very rules. An item whose raw hash and rules key equal its ad's memo,
and whose memo's payload hash is still the ad's accepted one, becomes the
:class:`FeedItem` validation would have made: same source_id, category, payload
hash and origin, so the planner plans it exactly as if it had been validated. Its
payload is computed (validated) only if something reads it, which the planner
does only for an ad that is not live with that same hash.

Assumption (the whole of this module rests on it): validation is a pure function
of the record's data, the feed's dealer_code, the API version and the limits; the
rules themselves change only with :data:`RULES_VERSION`. A record with issues from
reading or mapping, or with a repeated key, is never skipped (it is invalid
anyway), nor is one whose data has no JSON form. An invalid item never has a
memo (memos are recorded for accepted payloads only), so it is validated, and
reported, on every run. A source_id used twice is made invalid after this step,
skipped or not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from syncd.core.models import (
    FeedItem,
    InvalidItem,
    MirrorAd,
    Packed,
    RawFeed,
    RawMemo,
    RawRecord,
    RemoteState,
    Stage,
    ValidatedFeed,
)
from syncd.core.validate.feed import feed_limits, validate_item, validated
from syncd.core.validate.rules import Limits

RULES_VERSION = 3  # 2: control characters in text fields, non-NFC source_ids refused
# 3: source_ids with blank-looking characters refused (core/source_ids.BLANK_LOOKING)
"""Bump whenever a rule changes what any item validates to (a field normalised
differently, a new check, a category added): every item is then validated once
more, by the first run of the new syncd."""


class Validator(Protocol):
    """``validate_item``'s signature (tests pass one that counts its calls)."""

    def __call__(
        self, record: RawRecord, *, api_version: int, dealer_code: str, limits: Limits
    ) -> FeedItem | InvalidItem: ...


@dataclass(frozen=True, slots=True)
class KnownFeed:
    """The validated feed, and the memos of the items validated this time (by source_id)."""

    feed: ValidatedFeed
    memos: dict[str, RawMemo] = field(default_factory=dict)
    skipped: int = 0  # items not validated: their memo matched

    @property
    def validated(self) -> int:
        """How many records were validated."""
        return self.total - self.skipped

    @property
    def total(self) -> int:
        """How many records the feed has."""
        return len(self.feed.items) + len(self.feed.invalid)


def rules_key(api_version: int, limits: Limits) -> str:
    """What a memo is valid under: the rules' version, the API version and the limits."""
    limits_digest = hashlib.sha256(repr(limits).encode()).hexdigest()[:12]
    return f"{RULES_VERSION}:v{api_version}:{limits_digest}"


def raw_hash(data: Any) -> str | None:
    """A digest of an item as read (keys sorted); None when it has no JSON form.

    Assumption: readers give JSON values; a float NaN or infinity (which orjson
    would write as null) cannot come from a JSON file, and the mapped formats'
    number rules only produce finite numbers.
    """
    text = _canonical(data)
    return None if text is None else _digest_of(text)


def pack(data: Any) -> Packed | None:
    """The item as a :class:`Packed` record (its canonical text, raw hash and
    source_id); None when it has no JSON form (it is then kept as it is)."""
    text = _canonical(data)
    if text is None:
        return None
    # Kept as an exact-size copy: orjson's own result keeps its whole write buffer
    # (about 4 kB per item here: 400 MB instead of 60 MB for 100 000 ads).
    text = memoryview(text).tobytes()
    sid = data.get("source_id") if isinstance(data, dict) else None
    return Packed(text, _digest_of(text), sid if isinstance(sid, str) else None)


def pack_all(items: Iterable[Any]) -> list[Packed] | None:
    """:func:`pack` of each item (a reader's loop: the same, at less cost per item);
    None when one has no JSON form."""
    dumps, sort, blake2b = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.blake2b
    packed: list[Packed] = []
    add = packed.append
    for item in items:
        try:
            text = memoryview(dumps(item, option=sort)).tobytes()  # exact size: see pack()
        except TypeError:
            return None
        sid = item.get("source_id") if type(item) is dict else None
        digest = blake2b(text, digest_size=16).hexdigest()
        add(Packed(text, digest, sid if type(sid) is str else None))
    return packed


def _canonical(data: Any) -> bytes | None:
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError: a non-str key, an int beyond 64 bits...
        return None


def _digest_of(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def validate_known(
    raw: RawFeed,
    *,
    dealer_code: str,
    api_version: int,
    known: Mapping[str, MirrorAd],
    limits: Limits | None = None,
    validate: Validator = validate_item,
) -> KnownFeed:
    """``validate_feed``, skipping the records whose ad's memo says what they validate to.

    ``known``: the dealer's ads by source_id, with their memos (``Mirror.load_states``).
    """
    limits = feed_limits(raw, limits)
    rules = rules_key(api_version, limits)

    def check(record: RawRecord) -> FeedItem | InvalidItem:
        return validate(record, api_version=api_version, dealer_code=dealer_code, limits=limits)

    results: list[FeedItem | InvalidItem] = []
    memos: dict[str, RawMemo] = {}
    skipped = 0
    for record in raw.records:
        digest = _digest(record)
        if digest is not None and (item := _remembered(record, digest, rules, known, check)):
            results.append(item)
            skipped += 1
            continue
        result = check(record)
        if digest is not None and isinstance(result, FeedItem):
            memos[result.source_id] = RawMemo(digest, rules, result.payload_hash)
        results.append(result)
    feed = validated(raw, dealer_code, results)
    if memos and len(feed.items) < len(memos) + skipped:  # some were made invalid: duplicates
        valid = {item.source_id for item in feed.items}
        memos = {sid: memo for sid, memo in memos.items() if sid in valid}
    return KnownFeed(feed, memos, skipped)


def _digest(record: RawRecord) -> str | None:
    """The record's raw hash (a packed one carries it), None when it may not be skipped."""
    if record.issues or record.duplicate_keys:
        return None
    if record.packed is not None:
        return record.packed.digest
    return raw_hash(record.data) if isinstance(record.data, dict) else None


def _remembered(
    record: RawRecord,
    digest: str,
    rules: str,
    known: Mapping[str, MirrorAd],
    check: Callable[[RawRecord], FeedItem | InvalidItem],
) -> FeedItem | None:
    """The FeedItem the record validates to, if its ad's memo says so; else None."""
    source_id = record.source_id()
    ad = known.get(source_id) if source_id is not None else None
    memo = ad.memo if ad is not None else None
    if ad is None or memo is None or ad.category_id is None:
        return None
    # Only an item that will plan as unchanged (its ad live and settled) is skipped:
    # any other is sent, so it is validated now, and a rule changed without a
    # RULES_VERSION bump can never fail the run; it sends what the rules make now.
    if ad.remote_state is not RemoteState.CREATED or ad.stage is not Stage.DONE:
        return None
    # The memo must be for this item under these rules, and for the payload the API
    # holds now (a later accepted payload leaves an older memo behind: it is stale).
    if memo.raw_hash != digest or memo.rules != rules or memo.payload_hash != ad.payload_hash:
        return None
    assert source_id is not None
    payload = DeferredPayload(record, memo.payload_hash, check)
    return FeedItem(source_id, ad.category_id, payload, memo.payload_hash, record.origin)


def was_skipped(item: FeedItem) -> bool:
    """Whether ``validate_known`` skipped the item (its payload is not computed yet):
    its ad is live and settled with this payload, so a run sends nothing for it."""
    return isinstance(item.payload, DeferredPayload)


class DeferredPayload(Mapping[str, Any]):
    """The payload of a skipped item, validated only when first read.

    Holds the raw record (the one copy of the item in memory) until then.
    """

    __slots__ = ("_check", "_expected", "_payload", "_record")

    def __init__(
        self,
        record: RawRecord,
        expected: str,
        check: Callable[[RawRecord], FeedItem | InvalidItem],
    ) -> None:
        self._record = record
        self._expected = expected
        self._check = check
        self._payload: Mapping[str, Any] | None = None

    def _value(self) -> Mapping[str, Any]:
        if self._payload is None:
            result = self._check(self._record)
            if not isinstance(result, FeedItem) or result.payload_hash != self._expected:
                # The module's assumption broke: a rule changed without RULES_VERSION.
                raise ValueError(
                    f"feed item {result.source_id!r} no longer validates to its memo: "
                    "the validation rules changed without a RULES_VERSION bump"
                )
            self._payload = result.payload
        return self._payload

    def __getitem__(self, key: str) -> Any:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())

    def __repr__(self) -> str:
        return f"DeferredPayload({self._record.origin})"
