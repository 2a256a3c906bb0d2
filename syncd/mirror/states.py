"""Adapter (mirror): the light reads a plan and a renewal policy need, and the raw-item memos.

A plan needs of most ads only their key, hashes, stage and state: the rows are
read without their payloads (the bulk of the table), and the payloads of the few
ads that changed are read afterwards, a batch of keys per query. A renewal policy
needs of a payload only ``visible`` and its filter's paths (:func:`renewal_ads`).
Used by :mod:`syncd.mirror.sql` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, Select, bindparam, case, func, literal, select, update

from syncd.collector import paused
from syncd.core.models import MirrorAd, Op, Payload, RawMemo, RemoteState, Stage
from syncd.core.renewal_models import RenewalAd
from syncd.core.renewals import hidden, picked
from syncd.mirror.engine import db_errors
from syncd.mirror.rows import AnyRow
from syncd.mirror.schema import ads

# What a plan reads of an ad (and the memo's columns): the payload (the bulk of the
# table), the times (whose decoding costs more than the rest of a row), the message
# and the remote ids are left in the table.
_STATE_COLUMNS = (
    ads.c.source_id,
    ads.c.category_id,
    ads.c.payload_hash,
    ads.c.remote_state,
    ads.c.last_op,
    ads.c.stage,
    ads.c.pending_hash,
    ads.c.raw_hash,
    ads.c.raw_rules,
    ads.c.raw_payload_hash,
)
_REMOTE_STATES = {s.value: s for s in RemoteState} | {None: None}
_OPS = {o.value: o for o in Op} | {None: None}
_STAGES = {s.value: s for s in Stage} | {None: None}
_PARTITION = 10_000  # rows decoded at a time: the driver's rows never all held at once
_PAYLOAD_PARTITION = 1000  # the same, of rows that each carry a whole payload

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
    """Every ad of the dealer with what a plan reads and its memo (see the port)."""
    query = select(*_STATE_COLUMNS).where(ads.c.dealer_code == dealer_code)
    found: dict[str, MirrorAd] = {}
    rules: dict[str, str] = {}  # one string for the rules key every row shares
    with db_errors("loading the mirror", engine), engine.connect() as conn, paused():
        for part in conn.execute(query).partitions(_PARTITION):
            for row in part:
                found[row[0]] = _state(dealer_code, row, rules)
    return found


def _state(dealer_code: str, row: AnyRow, rules: dict[str, str]) -> MirrorAd:
    (source_id, category, payload_hash, remote, last_op, stage, pending, raw, key, memo_hash) = row
    # Equal hashes share one string: 100 000 rows hold each hash once, not three times.
    if pending == payload_hash:
        pending = payload_hash
    memo = None
    if raw is not None and key is not None and memo_hash is not None:
        memo_hash = payload_hash if memo_hash == payload_hash else memo_hash
        memo = RawMemo(raw, rules.setdefault(key, key), memo_hash)
    return MirrorAd(
        dealer_code,
        source_id,
        category,
        None,
        payload_hash,
        _REMOTE_STATES[remote],
        _OPS[last_op],
        _STAGES[stage],
        pending,
        memo=memo,
    )


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


# What a renewal policy reads of an ad: its state and times, not the payload (see below).
_RENEWAL_COLUMNS = (
    ads.c.source_id,
    ads.c.category_id,
    ads.c.remote_state,
    ads.c.stage,
    ads.c.blocket_ad_id.is_not(None),
    ads.c.created_at,
    ads.c.absent_since,
)
_NO_VALUES: Mapping[str, Any] = MappingProxyType({})  # shared by the ads of a read without paths
_HIDDEN_TEXT = '"visible":false'
"""How a payload that says ``visible: false`` (at any depth) reads in its stored text."""


def renewal_ads(engine: Engine, dealer_code: str, paths: Sequence[str]) -> list[RenewalAd]:
    """Every ad of the dealer as a renewal policy reads it (see the port).

    Without a filter (``paths`` empty), the payload is read only of the rows whose text
    holds ``"visible":false``, and decoded to tell whether the top-level key says so; the
    others (nearly all of a live stock) cannot say it and are never sent by the database.
    The test is a substring search, not a JSON function: PostgreSQL's ``::jsonb`` parses
    each 3 kB payload about as slowly as reading and decoding it here.

    Assumption: every payload is stored as ``rows.encode_json`` writes it (orjson,
    compact: no space after a colon; the only writer since the first schema), so a
    ``visible: false`` anywhere is that exact text; a match elsewhere (a nested key, the
    text inside a string) only costs a decode. A policy with a filter reads every row's
    payload (its values may be anywhere in it), decoded a partition at a time and kept
    only in the values of its paths: the gain there is the memory, not the time.
    """
    query = renewal_query(engine.dialect.name, dealer_code, paths)
    found: list[RenewalAd] = []
    with db_errors("loading the mirror", engine), engine.connect() as conn, paused():
        # With a filter every row carries its payload: fewer at a time, so that a
        # partition's texts (10 000 of 3 kB are 30 to 60 MB of str) are not all held at once.
        size = _PAYLOAD_PARTITION if paths else _PARTITION
        for part in conn.execute(query).partitions(size):
            for source_id, category, remote, stage, published, created, absent, text in part:
                decoded = orjson.loads(text) if text is not None else None
                found.append(
                    RenewalAd(
                        source_id,
                        category,
                        _REMOTE_STATES[remote],
                        _STAGES[stage],
                        bool(published),
                        created,
                        absent,
                        hidden(decoded),
                        picked(decoded, paths) if paths else _NO_VALUES,
                    )
                )
    return found


def renewal_query(dialect: str, dealer_code: str, paths: Sequence[str]) -> Select[Any]:
    """The dealer's rows for :func:`renewal_ads`: the payload last, NULL where not needed."""
    payload: ColumnElement[Any] = ads.c.payload
    if not paths:
        payload = case((_holds(dialect, _HIDDEN_TEXT), ads.c.payload), else_=None)
    return select(*_RENEWAL_COLUMNS, payload).where(ads.c.dealer_code == dealer_code)


def _holds(dialect: str, text: str) -> ColumnElement[bool]:
    """The payload's text holds ``text`` (case-sensitive, unlike SQLite's LIKE)."""
    position = func.strpos if dialect == "postgresql" else func.instr
    return position(ads.c.payload, literal(text)) > 0
