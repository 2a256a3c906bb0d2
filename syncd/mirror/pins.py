"""Adapter (mirror): pinned ads (``syncd pin``), the part of the ``Mirror`` port kept in ``pins``.

A mixin of :class:`syncd.mirror.sql.SqlMirror`: each method is one short
transaction that commits before it returns; SQLAlchemy errors become
MirrorUnavailable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from syncd.core.models import Pin
from syncd.mirror.engine import db_errors
from syncd.mirror.schema import pins


class PinnedAds:
    """The pins of the mirror on ``self._engine`` and ``self._writer`` (set by the class it
    is mixed into)."""

    _engine: Engine
    _writer: Engine

    def pinned(self, dealer_code: str) -> frozenset[str]:
        """The source_ids of this dealer's pinned ads."""
        query = select(pins.c.source_id).where(pins.c.dealer_code == dealer_code)
        with db_errors("reading the pins", self._engine), self._engine.connect() as conn:
            return frozenset(conn.execute(query).scalars())

    def pin(self, dealer_code: str, source_id: str, now: datetime) -> bool:
        """Pin an ad; False when it already was (its first pin time is kept)."""
        key = (pins.c.dealer_code == dealer_code, pins.c.source_id == source_id)
        with db_errors("pinning an ad", self._engine), self._writer.begin() as conn:
            if conn.execute(select(pins.c.source_id).where(*key)).first() is not None:
                return False
            conn.execute(
                insert(pins).values(dealer_code=dealer_code, source_id=source_id, pinned_at=now)
            )
            return True

    def unpin(self, dealer_code: str, source_id: str) -> bool:
        """Unpin an ad; False when it was not pinned."""
        statement = delete(pins).where(
            pins.c.dealer_code == dealer_code, pins.c.source_id == source_id
        )
        with db_errors("unpinning an ad", self._engine), self._writer.begin() as conn:
            return bool(conn.execute(statement).rowcount)

    def pins(self, dealer_code: str | None) -> list[Pin]:
        """Every pin (of one dealer, or all), by dealer_code and source_id."""
        query = select(pins.c.dealer_code, pins.c.source_id, pins.c.pinned_at).order_by(
            pins.c.dealer_code, pins.c.source_id
        )
        if dealer_code is not None:
            query = query.where(pins.c.dealer_code == dealer_code)
        with db_errors("listing the pins", self._engine), self._engine.connect() as conn:
            return [Pin(r.dealer_code, r.source_id, r.pinned_at) for r in conn.execute(query)]
