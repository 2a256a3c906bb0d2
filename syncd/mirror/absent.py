"""Adapter (mirror): the ads a run found absent from the feed, the ``ads.absent_since`` column.

A mixin of :class:`syncd.mirror.sql.SqlMirror`. A run records the ads its plan
deletes (absent from the feed) before it sends anything, so that the renewal
policies never pay for an ad the dealer no longer sells while a guard holds its
delete back (:mod:`syncd.core.renewals`). One transaction replaces the dealer's
set: the ads no longer in it lose their mark, those new to it get ``now``, and
those still in it keep the time they were first found absent. ``updated_at`` is
left alone: the mark is no change of the ad (a saved plan's row versions stay valid).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, select, update

from syncd.mirror.batch import LOOKUP_CHUNK
from syncd.mirror.engine import db_errors, writer
from syncd.mirror.schema import ads


class AbsentAds:
    """The absent marks of the mirror on ``self._engine`` (set by the class it is mixed into)."""

    _engine: Engine

    def record_absent(self, dealer_code: str, source_ids: Iterable[str], now: datetime) -> None:
        """The dealer's ads the latest plan deletes are these, marked since ``now`` unless
        already marked; every other ad of the dealer loses its mark."""
        wanted = set(source_ids)
        mine = ads.c.dealer_code == dealer_code
        marked_query = select(ads.c.source_id).where(mine, ads.c.absent_since.is_not(None))
        doing = "recording ads absent from the feed"
        with db_errors(doing, self._engine):
            with self._engine.connect() as conn:
                marked = set(conn.execute(marked_query).scalars())
            if marked == wanted:
                return  # the usual run: no write transaction (SQLite's write lock) for nothing
            # Assumption: the caller holds the dealer's run lock, so the marks read above
            # are still the dealer's when they are changed (only a run writes them).
            self._change_marks(mine, marked, wanted, now)

    def _change_marks(
        self, mine: ColumnElement[bool], marked: set[str], wanted: set[str], now: datetime
    ) -> None:
        with writer(self._engine).begin() as conn:
            for value, keys in ((None, marked - wanted), (now, wanted - marked)):
                ordered = sorted(keys)
                for i in range(0, len(ordered), LOOKUP_CHUNK):
                    chunk = ordered[i : i + LOOKUP_CHUNK]
                    statement = update(ads).where(mine, ads.c.source_id.in_(chunk))
                    conn.execute(statement.values(absent_since=value))
