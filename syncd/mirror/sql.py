"""Adapter (mirror): the ``Mirror`` port on SQLAlchemy Core (SQLite, or PostgreSQL in production).

Thin: each method is one short transaction that commits before it returns,
and no SQLAlchemy exception leaves it (they become MirrorUnavailable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Engine, Table, case, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from syncd.collector import paused
from syncd.core.models import (
    Accepted,
    Action,
    Answer,
    Delete,
    Flight,
    LogEntry,
    MirrorAd,
    Op,
    Outcome,
    Payload,
    RawMemo,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
)
from syncd.core.renewal_models import RenewalAd
from syncd.mirror import batch, states
from syncd.mirror.absent import AbsentAds
from syncd.mirror.engine import db_errors, writer
from syncd.mirror.housekeeping import Housekeeping
from syncd.mirror.pins import PinnedAds
from syncd.mirror.rows import (
    AD_COLUMNS,
    FLIGHT_COLUMNS,
    LOG_COLUMNS,
    ad_from_row,
    encode_json,
    flight_from_row,
    known_ids,
    log_from_row,
    log_values,
)
from syncd.mirror.runs import RunRecords
from syncd.mirror.schema import action_logs, ads
from syncd.mirror.status import StatusReads

Key: TypeAlias = tuple[str, str]
"""An ad's key: (dealer_code, source_id)."""


def _key(value: Action | Outcome) -> Key:
    return (value.dealer_code, value.source_id)


class SqlMirror(PinnedAds, AbsentAds, RunRecords, StatusReads, Housekeeping):
    """The mirror in a SQL database whose schema is at the migrations' head: the ad rows
    here; its pins: :class:`~syncd.mirror.pins.PinnedAds`; the ads absent from the feed:
    :class:`~syncd.mirror.absent.AbsentAds`; the runs table:
    :class:`~syncd.mirror.runs.RunRecords`; what the status commands and page read:
    :class:`~syncd.mirror.status.StatusReads`; the health check and pruning:
    :class:`~syncd.mirror.housekeeping.Housekeeping`.

    ``engine`` comes from :func:`syncd.mirror.engine.make_engine` (the caller
    owns it and disposes of it).
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"SqlMirror supports SQLite and PostgreSQL, not {engine.dialect.name}")
        self._engine = engine
        # The one handle of every write transaction here and in the mixins (SQLite's begin
        # IMMEDIATE); the same engine and pool as ``_engine``, only marked. (absent.py's
        # ``writer(self._engine)`` makes the same handle again: equivalent.)
        self._writer = writer(engine)
        self._insert_ignore = batch.dialect_insert(engine.dialect.name)

    # --- reads -----------------------------------------------------------------

    def load(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer, by source_id."""
        query = select(*AD_COLUMNS).where(ads.c.dealer_code == dealer_code)
        with (
            db_errors("loading the mirror", self._engine),
            self._engine.connect() as conn,
            paused(),
        ):
            return {row.source_id: ad_from_row(row) for row in conn.execute(query).all()}

    def load_states(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer with what a plan reads and its memo (see the port)."""
        return states.load_states(self._engine, dealer_code)

    def payloads(self, dealer_code: str, source_ids: Iterable[str]) -> dict[str, Payload]:
        """The accepted payloads of these ads (those that have one), by source_id."""
        return states.payloads(self._engine, dealer_code, source_ids)

    def renewal_ads(self, dealer_code: str, paths: Sequence[str]) -> list[RenewalAd]:
        """Every ad of this dealer as a renewal policy reads it, without its payload."""
        return states.renewal_ads(self._engine, dealer_code, paths)

    def remember(self, dealer_code: str, memos: Mapping[str, RawMemo]) -> int:
        """Record each memo where the ad's accepted payload_hash is the memo's."""
        return states.remember(self._writer, dealer_code, memos)

    def get(self, dealer_code: str, source_id: str) -> MirrorAd | None:
        """One ad, or None."""
        query = select(*AD_COLUMNS).where(
            ads.c.dealer_code == dealer_code, ads.c.source_id == source_id
        )
        with db_errors("reading an ad", self._engine), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return ad_from_row(row) if row is not None else None

    def in_flight(self, dealer_code: str) -> list[Flight]:
        """Ads whose stage is SENT (awaiting their action logs), by source_id."""
        query = (
            select(*FLIGHT_COLUMNS)
            .where(ads.c.dealer_code == dealer_code, ads.c.stage == Stage.SENT.value)
            .order_by(ads.c.source_id)
        )
        with db_errors("listing sent ads", self._engine), self._engine.connect() as conn:
            return [flight_from_row(row) for row in conn.execute(query)]

    def intents(self, dealer_code: str) -> list[MirrorAd]:
        """Ads whose stage is INTENT (outcome unknown after a crash), by source_id."""
        query = (
            select(*AD_COLUMNS)
            .where(ads.c.dealer_code == dealer_code, ads.c.stage == Stage.INTENT.value)
            .order_by(ads.c.source_id)
        )
        with db_errors("listing intent ads", self._engine), self._engine.connect() as conn:
            return [ad_from_row(row) for row in conn.execute(query)]

    def action_logs(
        self, dealer_code: str, source_id: str, recorded_before: datetime | None = None
    ) -> list[LogEntry]:
        """Every stored action-log entry of one ad (recorded before a time), oldest first."""
        query = (
            select(*LOG_COLUMNS)
            .join(ads, ads.c.id == action_logs.c.ad_id)
            .where(ads.c.dealer_code == dealer_code, ads.c.source_id == source_id)
            .order_by(action_logs.c.created, action_logs.c.id)
        )
        if recorded_before is not None:
            query = query.where(action_logs.c.recorded_at < recorded_before)
        with db_errors("reading action logs", self._engine), self._engine.connect() as conn:
            return [log_from_row(row) for row in conn.execute(query)]

    # --- the intent-before-send record -------------------------------------------

    def record_intent(self, action: Action, now: datetime) -> None:
        """Before sending: last_op, stage=INTENT, pending_hash, sent_at=now (row created if new).

        ``pending_hash`` is the action's payload hash (None for a Delete).
        """
        pending = None if isinstance(action, Delete) else action.payload_hash
        values = {
            "last_op": action.op.value,
            "stage": Stage.INTENT.value,
            "pending_hash": pending,
            "sent_at": now,
        }
        if action.op is Op.REVIVE:  # it appears as new again: see core.renewals.last_renewal
            values["created_at"] = now
        self._write("recording an intent", _key(action), values, now)

    def record_intents(self, actions: Sequence[Action], now: datetime) -> None:
        """``record_intent`` of every action in one transaction (executemany)."""
        with db_errors("recording intents", self._engine), self._writer.begin() as conn:
            batch.write_intents(conn, actions, now)

    def record_answers(self, answers: Sequence[Answer]) -> None:
        """The answers of many calls in one transaction (executemany), each at its time."""
        with db_errors("recording answers", self._engine), self._writer.begin() as conn:
            batch.write_answers(conn, answers)

    def record_outcomes(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Many outcomes and their log entries in one transaction (executemany)."""
        with db_errors("recording outcomes", self._engine), self._writer.begin() as conn:
            batch.write_outcomes(conn, outcomes, now)

    def record_accepted(self, action: Action, result: Accepted, now: datetime) -> None:
        """After a 2xx: stage=SENT, request_id, payload (Create/Update), ids, message None."""
        values: dict[str, Any] = {
            "stage": Stage.SENT.value,
            "request_id": result.request_id,
            "message": None,
        }
        if not isinstance(action, Delete):
            values |= {
                # The row's values before (SET reads the old row): see batch.ACCEPTED_WRITE.
                "prior_payload": ads.c.payload,
                "prior_hash": ads.c.payload_hash,
                "prior_category_id": ads.c.category_id,
                "payload": encode_json(action.payload),
                "payload_hash": action.payload_hash,
                "remote_state": RemoteState.CREATED.value,
                "category_id": action.category_id,
            }
        values |= known_ids(result.remote)
        self._write("recording an accepted call", _key(action), values, now)

    def record_rejected(self, action: Action, result: Rejected, now: datetime) -> None:
        """After a 4xx: stage=REJECTED, message=result.message; payload untouched."""
        values = {"stage": Stage.REJECTED.value, "message": result.message}
        self._write("recording a rejected call", _key(action), values, now)

    def record_outcome(self, outcome: Outcome, now: datetime) -> None:
        """Stage, message, remote_state (if given; None when remote_unknown), ids (if
        given); each log entry once."""
        values: dict[str, Any] = {"stage": outcome.stage.value, "message": outcome.message}
        if outcome.remote_state is not None:
            values["remote_state"] = outcome.remote_state.value
        if outcome.remote_unknown:
            values["remote_state"] = None
        if outcome.unapplied:  # back at what the API holds (batch.OUTCOME alike)
            values |= {
                "payload": ads.c.prior_payload,
                "payload_hash": ads.c.prior_hash,
                "category_id": ads.c.prior_category_id,
            }
        values |= batch.settled_priors(outcome.stage is not Stage.SENT)  # as batch.OUTCOME
        values |= known_ids(outcome)
        with db_errors("recording an outcome", self._engine), self._writer.begin() as conn:
            ad_id = self._upsert(conn, _key(outcome), values, now)
            self._store_logs(conn, ad_id, outcome.logs, now)

    def forget_intent(
        self, dealer_code: str, source_id: str, remote: RemoteAd | None, now: datetime
    ) -> None:
        """Resolve an INTENT left by a crash, after reading the ad back (see the port).

        Does nothing when there is no row for the ad.
        """
        values: dict[str, Any] = {"stage": None, "updated_at": now}
        if remote is None:
            # Never accepted (no payload): the API has never held it.
            values["remote_state"] = case((ads.c.payload.is_(None), None), else_=ads.c.remote_state)
        else:
            values["remote_state"] = remote.state.value
            values |= known_ids(remote)
        statement = (
            update(ads)
            .where(ads.c.dealer_code == dealer_code, ads.c.source_id == source_id)
            .values(values)
        )
        with db_errors("resolving an intent", self._engine), self._writer.begin() as conn:
            conn.execute(statement)

    def _write(self, doing: str, key: Key, values: Mapping[str, Any], now: datetime) -> None:
        with db_errors(doing, self._engine), self._writer.begin() as conn:
            self._upsert(conn, key, values, now)

    def _upsert(self, conn: Connection, key: Key, values: Mapping[str, Any], now: datetime) -> int:
        """Set ``values`` on the ad's row, creating the row first if there is none.

        Returns the row's id. The UPDATE comes first: the row nearly always exists,
        and an INSERT that conflicts would still use up a PostgreSQL sequence value.
        """
        dealer_code, source_id = key
        statement = (
            update(ads)
            .where(ads.c.dealer_code == dealer_code, ads.c.source_id == source_id)
            .values({**values, "updated_at": now})
            .returning(ads.c.id)
        )
        ad_id = conn.execute(statement).scalar_one_or_none()
        if ad_id is None:
            new_row = {"dealer_code": dealer_code, "source_id": source_id}
            conn.execute(
                self._ignoring_conflicts(ads, ["dealer_code", "source_id"]),
                {**new_row, "created_at": now, "updated_at": now},
            )
            ad_id = conn.execute(statement).scalar_one()
        return int(ad_id)

    def _store_logs(
        self, conn: Connection, ad_id: int, logs: Iterable[LogEntry], now: datetime
    ) -> None:
        rows = [log_values(ad_id, entry, now) for entry in logs]
        if rows:
            keys = ["ad_id", "request_id", "action", "state", "created"]
            conn.execute(self._ignoring_conflicts(action_logs, keys), rows)

    def _ignoring_conflicts(self, table: Table, keys: list[str]) -> Insert:
        statement: Any = self._insert_ignore(table)
        ignoring: Insert = statement.on_conflict_do_nothing(index_elements=keys)
        return ignoring
