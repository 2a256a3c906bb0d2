"""Adapter (mirror): the runs table (a row per run: its feed, outcome, counts, invalid items).

A mixin of :class:`syncd.mirror.sql.SqlMirror`: each method is one short
transaction that commits before it returns; SQLAlchemy errors become
MirrorUnavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from syncd.core.models import FeedMeta, ItemProblem, RunOutcome, RunSummary
from syncd.core.status import recorded_invalid
from syncd.mirror.engine import db_errors
from syncd.mirror.rows import RUN_COLUMNS, encode_json, invalid_json, run_from_row
from syncd.mirror.schema import runs


class RunRecords:
    """The runs of the mirror on ``self._engine`` and ``self._writer`` (set by the class it
    is mixed into)."""

    _engine: Engine
    _writer: Engine

    def start_run(self, dealer_code: str, meta: FeedMeta | None, now: datetime) -> int:
        """Insert a run row and return its id."""
        values: dict[str, Any] = {"dealer_code": dealer_code, "started_at": now}
        if meta is not None:
            values |= {
                "feed_path": meta.path,
                "feed_checksum": meta.checksum,
                "feed_size": meta.size,
                "feed_modified_at": meta.modified_at,
            }
        statement = insert(runs).values(values).returning(runs.c.id)
        with db_errors("starting a run", self._engine), self._writer.begin() as conn:
            run_id: int = conn.execute(statement).scalar_one()
            # A run is started under the dealer's run lock (port's doc), so any other
            # of the dealer's runs still open was left by a process that died (SIGKILL,
            # OOM, power loss): it is closed as failed, so that `status`, `history` and
            # the status page do not show it running for ever. `finished_at IS NULL` is
            # the predicate of the partial index of open runs (0007): the UPDATE visits
            # the open runs only, not every run the dealer has kept.
            conn.execute(
                update(runs)
                .where(
                    runs.c.dealer_code == dealer_code,
                    runs.c.finished_at.is_(None),
                    runs.c.id != run_id,
                )
                .values(
                    finished_at=now,
                    outcome=str(RunOutcome.FAILED),
                    message=(
                        f"abandoned: syncd stopped without closing this run (killed, "
                        f"crashed or power lost); run {run_id} took over"
                    ),
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: dict[str, int],
        message: str | None,
        now: datetime,
        *,
        invalid: Sequence[ItemProblem] = (),
        absent_recorded: bool = False,
    ) -> None:
        """Close a run row with its outcome, counts, message and invalid items (bounded by
        ``recorded_invalid``); LookupError if unknown."""
        statement = (
            update(runs)
            .where(runs.c.id == run_id)
            .values(
                finished_at=now,
                outcome=str(outcome),
                counts=encode_json(counts),
                message=message,
                invalid=invalid_json(*recorded_invalid(invalid)),
                absent_recorded=absent_recorded or None,
            )
        )
        with db_errors("finishing a run", self._engine), self._writer.begin() as conn:
            found = conn.execute(statement).rowcount
        if not found:
            raise LookupError(f"no run {run_id} in the mirror")

    def absent_recorded_at(self, dealer_code: str) -> datetime | None:
        """When the latest run of this dealer that recorded the absent marks started (since
        0006; None: none has). Through the index on (dealer_code, started_at)."""
        query = select(func.max(runs.c.started_at)).where(
            runs.c.dealer_code == dealer_code, runs.c.absent_recorded.is_(True)
        )
        with db_errors("reading the runs", self._engine), self._engine.connect() as conn:
            found: datetime | None = conn.execute(query).scalar_one()
        return found

    def runs(self, dealer_code: str | None, limit: int) -> list[RunSummary]:
        """The latest runs (of one dealer, or of all when None), newest first."""
        query = select(*RUN_COLUMNS).order_by(runs.c.started_at.desc(), runs.c.id.desc())
        if dealer_code is not None:
            query = query.where(runs.c.dealer_code == dealer_code)
        with db_errors("listing runs", self._engine), self._engine.connect() as conn:
            return [run_from_row(row) for row in conn.execute(query.limit(limit))]

    def latest_finished_runs(self, dealer_code: str | None) -> list[RunSummary]:
        """The latest finished run of each dealer (or of the one given), by dealer_code."""
        newest = (
            func.row_number()
            .over(
                partition_by=runs.c.dealer_code,
                order_by=(runs.c.started_at.desc(), runs.c.id.desc()),
            )
            .label("newest")
        )
        ranked = select(*RUN_COLUMNS, newest).where(runs.c.finished_at.is_not(None))
        if dealer_code is not None:
            ranked = ranked.where(runs.c.dealer_code == dealer_code)
        latest = ranked.subquery()
        query = select(*(latest.c[c.name] for c in RUN_COLUMNS)).where(latest.c.newest == 1)
        with db_errors("listing runs", self._engine), self._engine.connect() as conn:
            found = [run_from_row(row) for row in conn.execute(query)]
        return sorted(found, key=lambda r: r.dealer_code)
