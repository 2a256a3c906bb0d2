"""Adapter (mirror): the renewals table, a ``RenewalLog``: every paid call, and its caps.

A unit of a cap is taken before the call is sent (``reserve``), in one
transaction that counts the policy's charged renewals for the dealer (caps are
per dealer: :mod:`syncd.core.renewals`) of the UTC day and month and inserts the
new row only when both are under their caps. No two processes can interleave
that transaction: SQLite's writers begin IMMEDIATE (one writer at a time, across
processes), and on PostgreSQL the transaction first takes an advisory
transaction lock keyed on the policy's name, the dealer and the schema (installs
in separate schemas of one database do not wait for each other:
:mod:`syncd.mirror.keys`). So a daemon and a ``run-once`` started at once never
both spend the last unit, and a restart counts what was spent before it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.engine import Connection

from syncd.core.renewal_caps import allowance, day_start, month_start
from syncd.core.renewal_models import (
    CHARGED,
    Caps,
    Renewal,
    RenewalAnswer,
    RenewalKind,
    RenewalOutcome,
)
from syncd.mirror import keys
from syncd.mirror.engine import db_errors, writer
from syncd.mirror.rows import AnyRow
from syncd.mirror.schema import renewals

LOCK_NAMESPACE = b"syncd-renewal:"
"""Prefix of the advisory-lock key of a policy's caps, apart from the run locks' keys."""
_COLUMNS = (
    renewals.c.dealer_code,
    renewals.c.source_id,
    renewals.c.kind,
    renewals.c.at,
    renewals.c.outcome,
    renewals.c.policy,
    renewals.c.message,
    renewals.c.request_id,
)
_CHARGED = sorted(o.value for o in CHARGED)


def policy_key(policy: str, dealer_code: str, schema: str) -> int:
    """The signed 64-bit advisory-lock key of a policy's caps for one dealer in ``schema``
    (stable across processes). Assumption: the caps are counted in this schema's own
    renewals table, so only reservations against that table need to queue."""
    return keys.advisory_key(LOCK_NAMESPACE, schema, policy, dealer_code)


def _renewal(row: AnyRow) -> Renewal:
    m = row._mapping
    return Renewal(
        dealer_code=m["dealer_code"],
        source_id=m["source_id"],
        kind=RenewalKind(m["kind"]),
        at=m["at"],
        outcome=RenewalOutcome(m["outcome"]),
        policy=m["policy"],
        message=m["message"],
        request_id=m["request_id"],
    )


class SqlRenewalLog:
    """The ``RenewalLog`` port on the mirror's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def history(self, since: datetime) -> list[Renewal]:
        """Every renewal at or after ``since``, oldest first."""
        query = select(*_COLUMNS).where(renewals.c.at >= since).order_by(renewals.c.id)
        with db_errors("reading the renewals", self._engine), self._engine.connect() as conn:
            return [_renewal(row) for row in conn.execute(query)]

    def latest(self, dealer_code: str | None, limit: int) -> list[Renewal]:
        """The latest renewals (of one dealer, or all), newest first."""
        query = select(*_COLUMNS).order_by(renewals.c.id.desc()).limit(limit)
        if dealer_code is not None:
            query = query.where(renewals.c.dealer_code == dealer_code)
        with db_errors("reading the renewals", self._engine), self._engine.connect() as conn:
            return [_renewal(row) for row in conn.execute(query)]

    def reserve(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        now: datetime,
        *,
        policy: str | None = None,
        caps: Caps | None = None,
    ) -> int | None:
        """A RESERVED row's id; None when ``caps`` are reached (see the module docstring)."""
        values = {
            "dealer_code": dealer_code,
            "source_id": source_id,
            "kind": kind.value,
            "at": now,
            "outcome": RenewalOutcome.RESERVED.value,
            "policy": policy,
        }
        with db_errors("reserving a renewal", self._engine), self._writer.begin() as conn:
            if (
                caps is not None
                and policy is not None
                and not self._under(conn, policy, dealer_code, caps, now)
            ):
                return None
            new_id = conn.execute(insert(renewals).values(values)).inserted_primary_key
            assert new_id is not None
            return int(new_id[0])

    def _under(
        self, conn: Connection, policy: str, dealer_code: str, caps: Caps, now: datetime
    ) -> bool:
        if conn.dialect.name == "postgresql":
            # Held until the transaction ends: one reservation per policy and dealer at a time.
            key = policy_key(policy, dealer_code, keys.current_schema(conn))
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        mine = (
            renewals.c.policy == policy,
            renewals.c.dealer_code == dealer_code,
            renewals.c.outcome.in_(_CHARGED),
        )
        today = conn.execute(
            select(func.count()).where(*mine, renewals.c.at >= day_start(now))
        ).scalar_one()
        month = conn.execute(
            select(func.count()).where(*mine, renewals.c.at >= month_start(now))
        ).scalar_one()
        return allowance(caps, int(today), int(month)) > 0

    def settle(self, renewal_id: int, answer: RenewalAnswer) -> None:
        """Record the API's answer on the reserved row."""
        statement = (
            update(renewals)
            .where(renewals.c.id == renewal_id)
            .values(
                outcome=answer.outcome.value, message=answer.message, request_id=answer.request_id
            )
        )
        with db_errors("recording a renewal", self._engine), self._writer.begin() as conn:
            conn.execute(statement)
