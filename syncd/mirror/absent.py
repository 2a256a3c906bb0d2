"""Adapter (mirror): the ads a run found absent from the feed, the ``ads.absent_since`` column.

A mixin of :class:`syncd.mirror.sql.SqlMirror`. A run records, before it sends
anything, the ads its latest feed has no valid item for (``syncd.core.renewals.unrenewable``:
those its plan deletes, those a pin keeps, those whose item is invalid), so that the
renewal policies never pay for an ad the dealer no longer sells, or whose item is
broken (:mod:`syncd.core.renewals`). The dealer's set is replaced: the ads no longer in
it lose their mark, those new to it get ``now``, and those still in it keep the time they
were first found. ``updated_at`` is left alone: the mark is no change of the ad (a saved
plan's row versions stay valid).

Cheap at 100 000 ads (0006): the marks are read through the partial index of the marked
rows (a handful, not the whole stock) and only the changes are written (see
``_change_marks``); a run whose marks are unchanged takes no write transaction (SQLite's
write lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    select,
    update,
)

from syncd.mirror.batch import LOOKUP_CHUNK
from syncd.mirror.engine import db_errors
from syncd.mirror.schema import ads


class AbsentAds:
    """The absent marks of the mirror on ``self._engine`` and ``self._writer`` (set by the
    class it is mixed into)."""

    _engine: Engine
    _writer: Engine

    def record_absent(self, dealer_code: str, source_ids: Iterable[str], now: datetime) -> None:
        """The dealer's ads the latest plan found no valid feed item for are these, marked
        since ``now`` unless already marked; every other ad of the dealer loses its mark."""
        wanted = set(source_ids)
        mine = ads.c.dealer_code == dealer_code
        marked_now = ads.c.absent_since.is_not(None)
        # The partial index ix_ads_dealer_code_absent answers this: only the marked rows.
        marked_query = select(ads.c.source_id).where(mine, marked_now)
        doing = "recording ads absent from the feed"
        with db_errors(doing, self._engine):
            with self._engine.connect() as conn:
                marked = set(conn.execute(marked_query).scalars())
                returned, gone = marked - wanted, wanted - marked
                # An id without a row (an invalid item of an ad never created) is never
                # marked: without this check, one such item made every run write.
                if not returned and not _any_unmarked(conn, mine, gone):
                    return  # the usual run: no write transaction (SQLite's write lock)
            # Assumption: the caller holds the dealer's run lock, so the marks read above
            # are still the dealer's when they are changed (only a run writes them).
            self._change_marks(mine, returned, gone, now)

    def _change_marks(
        self, mine: ColumnElement[bool], returned: set[str], gone: set[str], now: datetime
    ) -> None:
        """Clear the marks of ``returned``, set those of ``gone``: only the rows that change.

        PostgreSQL: one UPDATE each, the keys as one array (``= ANY``: a hashed lookup in
        one pass over the dealer's rows, whatever the planner's statistics; keyed chunks
        on a table not yet analysed went one sequential scan per chunk: 21 s at 100 000).
        SQLite: one UPDATE per chunk of keys, each through the unique index on
        (dealer_code, source_id), which SQLite uses without statistics.
        """
        marked = ads.c.absent_since.is_not(None)
        with self._writer.begin() as conn:
            for value, keys, only in ((None, returned, marked), (now, gone, ~marked)):
                for chunk in _chunks(sorted(keys), conn.dialect.name):
                    statement = update(ads).where(mine, only, _among(chunk, conn.dialect.name))
                    conn.execute(statement.values(absent_since=value))


def _any_unmarked(conn: Connection, mine: ColumnElement[bool], keys: set[str]) -> bool:
    """True when one of ``keys`` is an unmarked row of the dealer (stops at the first)."""
    unmarked = ads.c.absent_since.is_(None)
    for chunk in _chunks(sorted(keys), conn.dialect.name):
        query = select(ads.c.id).where(mine, unmarked, _among(chunk, conn.dialect.name))
        if conn.execute(query.limit(1)).first() is not None:
            return True
    return False


def _chunks(keys: list[str], dialect: str) -> Iterator[list[str]]:
    """The keys in one piece on PostgreSQL (one array parameter), else in LOOKUP_CHUNKs."""
    size = len(keys) if dialect == "postgresql" else LOOKUP_CHUNK
    for i in range(0, len(keys), max(size, 1)):
        yield keys[i : i + size]


def _among(keys: list[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return ads.c.source_id == any_(bindparam("keys", keys, type_=ARRAY(String)))
    return ads.c.source_id.in_(keys)
