"""Adapter (mirror): batched writes (intents, answers, outcomes): many rows, one transaction.

Each kind of row change is one Core statement with bound parameters, built once
(at import; a dialect's ON CONFLICT inserts at their first use) and run with
executemany: nothing is constructed, compiled or cache-keyed per row, and a
batch of calls costs one transaction instead of one per call. Used by
:mod:`syncd.mirror.sql` only, inside its transactions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any, TypeAlias

from sqlalchemy import Boolean, Integer, String, Table, Text, bindparam, case, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert, Update

from syncd.core.models import Accepted, Action, Answer, Delete, Op, Outcome, RemoteState, Stage
from syncd.mirror.rows import ID_FIELDS, encode_json, log_values
from syncd.mirror.schema import UTCDateTime, action_logs, ads

Key: TypeAlias = tuple[str, str]
"""An ad's key: (dealer_code, source_id)."""

Params: TypeAlias = dict[str, Any]

# Keys are looked up this many at a time: two bound parameters each at most, far under
# SQLite's and PostgreSQL's limits on parameters per statement.
LOOKUP_CHUNK = 500


def _now() -> Any:
    return bindparam("b_now", type_=UTCDateTime())


def _by_key() -> Update:
    return update(ads).where(
        ads.c.dealer_code == bindparam("b_dealer", type_=String()),
        ads.c.source_id == bindparam("b_source", type_=String()),
    )


def _keep_known_ids() -> dict[str, Any]:
    # A None never overwrites an id the row knows (known_ids() drops them one by one).
    return {
        name: func.coalesce(bindparam(f"b_{name}", type_=String()), ads.c[name])
        for name in ID_FIELDS
    }


INTENT = _by_key().values(
    last_op=bindparam("b_last_op", type_=String()),
    stage=Stage.INTENT.value,
    pending_hash=bindparam("b_pending", type_=String()),
    sent_at=_now(),
    updated_at=_now(),
    # A revive makes the ad appear as new again: its renewals count from here
    # (core.renewals.last_renewal).
    created_at=case((bindparam("b_revive", type_=Boolean()), _now()), else_=ads.c.created_at),
)

ACCEPTED_WRITE = _by_key().values(
    stage=Stage.SENT.value,
    request_id=bindparam("b_request_id", type_=String()),
    message=None,
    # SET reads the row as it was (SQLite and PostgreSQL alike): the payload from before.
    prior_payload=ads.c.payload,
    prior_hash=ads.c.payload_hash,
    prior_category_id=ads.c.category_id,
    payload=bindparam("b_payload", type_=Text()),
    payload_hash=bindparam("b_payload_hash", type_=String()),
    remote_state=RemoteState.CREATED.value,
    category_id=bindparam("b_category_id", type_=Integer()),
    updated_at=_now(),
    **_keep_known_ids(),
)

ACCEPTED_DELETE = _by_key().values(
    stage=Stage.SENT.value,
    request_id=bindparam("b_request_id", type_=String()),
    message=None,
    updated_at=_now(),
    **_keep_known_ids(),
)

REJECTED = _by_key().values(
    stage=Stage.REJECTED.value,
    message=bindparam("b_message", type_=Text()),
    updated_at=_now(),
)


def settled_priors(settled: Any) -> dict[str, Any]:
    """The prior values once the call is settled (``settled``: a bool or a bind
    parameter): NULL then, else as they are. An outcome still SENT (the call processing:
    its logs stored) keeps them for the one that settles it. SET reads the row as it
    was, so a payload put back from them is read before they are cleared."""
    columns = (ads.c.prior_payload, ads.c.prior_hash, ads.c.prior_category_id)
    if isinstance(settled, bool):
        return {c.name: None for c in columns} if settled else {}
    return {c.name: case((settled, None), else_=c) for c in columns}


def _unless_unapplied(column: Any, prior: Any) -> Any:
    """The column, or its prior value when the call was not applied (Outcome.unapplied)."""
    return case((bindparam("b_unapplied", type_=Boolean()), prior), else_=column)


OUTCOME = _by_key().values(
    stage=bindparam("b_stage", type_=String()),
    message=bindparam("b_message", type_=Text()),
    payload=_unless_unapplied(ads.c.payload, ads.c.prior_payload),
    payload_hash=_unless_unapplied(ads.c.payload_hash, ads.c.prior_hash),
    category_id=_unless_unapplied(ads.c.category_id, ads.c.prior_category_id),
    # A settled call's prior values are spent (put back, or no longer wanted): kept,
    # they would double the table's bulk (a payload per ad updated once).
    **settled_priors(bindparam("b_settled", type_=Boolean())),
    remote_state=case(
        (bindparam("b_set_state", type_=Boolean()), bindparam("b_remote_state", type_=String())),
        else_=ads.c.remote_state,
    ),
    updated_at=_now(),
    **_keep_known_ids(),
)


def dialect_insert(name: str) -> Callable[[Table], Any]:
    """The ``insert`` of SQLite's or PostgreSQL's dialect (it has ON CONFLICT), its module
    imported when first asked for: a SQLite mirror never imports PostgreSQL's dialect and
    the modules of its four drivers (start-up time, issue 12). ValueError for another."""
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # noqa: PLC0415

        return insert
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

        return pg_insert
    raise ValueError(f"the mirror supports SQLite and PostgreSQL, not {name}")


@functools.cache
def _new_rows(dialect: str) -> Insert:
    statement: Insert = dialect_insert(dialect)(ads).on_conflict_do_nothing(
        index_elements=["dealer_code", "source_id"]
    )
    return statement


@functools.cache
def _new_logs(dialect: str) -> Insert:
    statement: Insert = dialect_insert(dialect)(action_logs).on_conflict_do_nothing(
        index_elements=["ad_id", "request_id", "action", "state", "created"]
    )
    return statement


_IDS = select(ads.c.id, ads.c.source_id).where(
    ads.c.dealer_code == bindparam("b_dealer", type_=String()),
    ads.c.source_id.in_(bindparam("b_sources", expanding=True)),
)


def _key(value: Action | Outcome) -> Key:
    return (value.dealer_code, value.source_id)


def row_ids(conn: Connection, keys: Iterable[Key], now: datetime) -> dict[Key, int]:
    """The ids of the ads' rows, each row created first if there is none (one lookup per
    dealer and chunk; an INSERT only for the missing rows, which spends no PostgreSQL
    sequence value on rows that exist)."""
    found, missing = _ensure_rows(conn, keys, now)
    if missing:
        found |= _lookup(conn, missing)
    return found


def _ensure_rows(
    conn: Connection, keys: Iterable[Key], now: datetime
) -> tuple[dict[Key, int], list[Key]]:
    """Every ad's row exists after this: the ids found, and the keys whose rows it made."""
    wanted = sorted(set(keys))
    found = _lookup(conn, wanted)
    missing = [k for k in wanted if k not in found]
    if missing:
        new_rows = [
            {"dealer_code": d, "source_id": s, "created_at": now, "updated_at": now}
            for d, s in missing
        ]
        conn.execute(_new_rows(conn.dialect.name), new_rows)
    return found, missing


def _lookup(conn: Connection, keys: Sequence[Key]) -> dict[Key, int]:
    found: dict[Key, int] = {}
    for dealer, group in groupby(keys, key=lambda k: k[0]):
        sources = [s for _, s in group]
        for start in range(0, len(sources), LOOKUP_CHUNK):
            chunk = sources[start : start + LOOKUP_CHUNK]
            params = {"b_dealer": dealer, "b_sources": chunk}
            found.update({(dealer, s): int(i) for i, s in conn.execute(_IDS, params)})
    return found


def _key_params(value: Action | Outcome, now: datetime) -> Params:
    return {"b_dealer": value.dealer_code, "b_source": value.source_id, "b_now": now}


def _ids_params(source: Any) -> Params:
    return {f"b_{name}": getattr(source, name, None) for name in ID_FIELDS}


def write_intents(conn: Connection, actions: Sequence[Action], now: datetime) -> None:
    """``record_intent`` of every action (rows created as needed)."""
    if not actions:
        return
    _ensure_rows(conn, (_key(a) for a in actions), now)  # by key: their ids are not needed
    conn.execute(INTENT, [_intent_params(a, now) for a in actions])


def _intent_params(action: Action, now: datetime) -> Params:
    pending = None if isinstance(action, Delete) else action.payload_hash
    return _key_params(action, now) | {
        "b_last_op": action.op.value,
        "b_pending": pending,
        "b_revive": action.op is Op.REVIVE,
    }


def write_answers(conn: Connection, answers: Sequence[Answer]) -> None:
    """``record_accepted``/``record_rejected`` of every answer, each at its own time."""
    if not answers:
        return
    _ensure_rows(conn, (_key(a.action) for a in answers), min(a.at for a in answers))
    if len({_key(a.action) for a in answers}) < len(answers):
        # One ad answered twice: statements run in the answers' order, one by one.
        for answer in answers:
            statement, params = _answer(answer)
            conn.execute(statement, [params])
        return
    batches: dict[Update, list[Params]] = {}
    for answer in answers:
        statement, params = _answer(answer)
        batches.setdefault(statement, []).append(params)
    for statement, rows in batches.items():
        conn.execute(statement, rows)


def _answer(answer: Answer) -> tuple[Update, Params]:
    action, result = answer.action, answer.result
    params = _key_params(action, answer.at)
    if not isinstance(result, Accepted):
        return REJECTED, params | {"b_message": result.message}
    params |= {"b_request_id": result.request_id} | _ids_params(result.remote)
    if isinstance(action, Delete):
        return ACCEPTED_DELETE, params
    return ACCEPTED_WRITE, params | {
        "b_payload": encode_json(action.payload),
        "b_payload_hash": action.payload_hash,
        "b_category_id": action.category_id,
    }


def write_outcomes(conn: Connection, outcomes: Sequence[Outcome], now: datetime) -> None:
    """``record_outcome`` of every outcome; each log entry stored once."""
    if not outcomes:
        return
    ids = row_ids(conn, (_key(o) for o in outcomes), now)
    if len(ids) < len(outcomes):
        # One ad twice in the batch: updated in the outcomes' order, one by one.
        for outcome in outcomes:
            conn.execute(OUTCOME, [_outcome_params(outcome, now)])
    else:
        conn.execute(OUTCOME, [_outcome_params(o, now) for o in outcomes])
    logs = [log_values(ids[_key(o)], entry, now) for o in outcomes for entry in o.logs]
    if logs:
        conn.execute(_new_logs(conn.dialect.name), logs)


def _outcome_params(outcome: Outcome, now: datetime) -> Params:
    set_state = outcome.remote_state is not None or outcome.remote_unknown
    state = None if outcome.remote_unknown or outcome.remote_state is None else outcome.remote_state
    return (
        _key_params(outcome, now)
        | _ids_params(outcome)
        | {
            "b_stage": outcome.stage.value,
            "b_message": outcome.message,
            "b_set_state": set_state,
            "b_remote_state": state.value if state is not None else None,
            "b_unapplied": outcome.unapplied,
            "b_settled": outcome.stage is not Stage.SENT,
        }
    )
