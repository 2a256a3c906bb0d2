"""Adapter (mirror): the light reads a plan needs, and the raw-item memos.

A plan needs of most ads only their key, hashes, stage and state: the rows are
read without their payloads (the bulk of the table), and the payloads of the few
ads that changed are read afterwards, a batch of keys per query. Used by
:mod:`syncd.mirror.sql` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, null, select, update

from syncd.core.models import MirrorAd, Payload, RawMemo
from syncd.mirror.engine import db_errors
from syncd.mirror.rows import AD_COLUMNS, AnyRow, ad_from_row, gc_paused
from syncd.mirror.schema import ads

# Every column of a MirrorAd, but those a plan does not read as NULL (the payload, the
# bulk of the table; the times, whose decoding costs more than the rest of a row's),
# then the memo's.
_UNREAD = frozenset({"payload", "sent_at", "updated_at"})
_STATE_COLUMNS = (
    *(null().label(c.name) if c.name in _UNREAD else c for c in AD_COLUMNS),
    ads.c.raw_hash,
    ads.c.raw_rules,
    ads.c.raw_payload_hash,
)
_WIDTH = len(AD_COLUMNS)

# Keys per IN (...) query: far below SQLite's 32 766 bound parameters, and short
# enough for PostgreSQL to plan quickly.
_BATCH = 1000

_REMEMBER = (
    update(ads)
    .where(
        ads.c.dealer_code == bindparam("b_dealer"),
        ads.c.source_id == bindparam("b_source"),
        ads.c.payload_hash == bindparam("b_payload_hash"),
    )
    .values(
        raw_hash=bindparam("b_raw_hash"),
        raw_rules=bindparam("b_rules"),
        raw_payload_hash=bindparam("b_payload_hash"),
    )
)
# Assumption: the memo is not a change of the ad: updated_at (which orders
# `syncd status`'s failing ads) is left as it is.


def load_states(engine: Engine, dealer_code: str) -> dict[str, MirrorAd]:
    """Every ad of the dealer without its payload and times (None), with its memo."""
    query = select(*_STATE_COLUMNS).where(ads.c.dealer_code == dealer_code)
    with db_errors("loading the mirror", engine), engine.connect() as conn, gc_paused():
        return {row.source_id: _state_from_row(row) for row in conn.execute(query).all()}


def _state_from_row(row: AnyRow) -> MirrorAd:
    raw_hash, rules, payload_hash = row[_WIDTH:]
    ad = ad_from_row(row[:_WIDTH])  # type: ignore[arg-type]  # a row's tuple unpacks alike
    if raw_hash is None or rules is None or payload_hash is None:
        return ad
    return _with_memo(ad, RawMemo(raw_hash, rules, payload_hash))


def _with_memo(ad: MirrorAd, memo: RawMemo) -> MirrorAd:
    # The ad was just built and is not shared yet: setting the field in place saves
    # dataclasses.replace's second object per row (100 000 of them).
    object.__setattr__(ad, "memo", memo)
    return ad


def payloads(engine: Engine, dealer_code: str, source_ids: Iterable[str]) -> dict[str, Payload]:
    """The accepted payloads of these ads (those with one), a batch of keys per query."""
    found: dict[str, Payload] = {}
    keys = iter(source_ids)
    with db_errors("loading payloads", engine), engine.connect() as conn:
        while batch := list(islice(keys, _BATCH)):
            query = select(ads.c.source_id, ads.c.payload).where(
                ads.c.dealer_code == dealer_code,
                ads.c.source_id.in_(batch),
                ads.c.payload.is_not(None),
            )
            for source_id, payload in conn.execute(query):
                found[source_id] = orjson.loads(payload)
    return found


def remember(writer: Engine, dealer_code: str, memos: Mapping[str, RawMemo]) -> int:
    """Record each memo where the ad's accepted payload is the memo's; returns how many."""
    if not memos:
        return 0
    rows: list[dict[str, Any]] = [
        {
            "b_dealer": dealer_code,
            "b_source": source_id,
            "b_raw_hash": memo.raw_hash,
            "b_rules": memo.rules,
            "b_payload_hash": memo.payload_hash,
        }
        for source_id, memo in memos.items()
    ]
    with db_errors("recording raw item memos", writer), writer.begin() as conn:
        result = conn.execute(_REMEMBER, rows)
    return max(result.rowcount, 0)
