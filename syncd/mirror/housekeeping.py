"""Adapter (mirror): housekeeping: is the database answering, and pruning old history.

A mixin of :class:`syncd.mirror.sql.SqlMirror`: each method is one short
transaction that commits before it returns; SQLAlchemy errors become
MirrorUnavailable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, or_

from syncd.mirror.engine import db_errors
from syncd.mirror.schema import action_logs, runs


class Housekeeping:
    """The health check and pruning of the mirror on ``self._engine`` and ``self._writer``
    (set by the class it is mixed into)."""

    _engine: Engine
    _writer: Engine

    def ping(self) -> None:
        """Check that the database answers; raises MirrorUnavailable with the reason."""
        with db_errors("checking the database", self._engine), self._engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def prune(self, older_than: datetime) -> int:
        """Delete action-log entries created, and runs ended (or started, if they never
        ended), before ``older_than``; returns how many rows were deleted."""
        ended = or_(
            runs.c.finished_at < older_than,
            runs.c.finished_at.is_(None) & (runs.c.started_at < older_than),
        )
        with db_errors("pruning", self._engine), self._writer.begin() as conn:
            logs = conn.execute(delete(action_logs).where(action_logs.c.created < older_than))
            old_runs = conn.execute(delete(runs).where(ended))
            return logs.rowcount + old_runs.rowcount
