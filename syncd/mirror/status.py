"""Adapter (mirror): the status reads: ads per status, failing ads, runs per day.

What ``syncd status``, the daemon's status page and its gauges read. A mixin of
:class:`syncd.mirror.sql.SqlMirror` (the per-dealer counts and the chart's runs
are the queries of :mod:`syncd.mirror.reports`). Read-only; each method is one
short transaction; SQLAlchemy errors become MirrorUnavailable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from syncd.core.activity import RunPoint
from syncd.core.models import MirrorAd, RemoteState, Stage
from syncd.core.status import AD_STATUSES, FAILING_STAGES, ad_status
from syncd.mirror import reports
from syncd.mirror.engine import db_errors
from syncd.mirror.rows import AD_COLUMNS, ad_from_row
from syncd.mirror.schema import ads


class StatusReads:
    """The status reads of the mirror on ``self._engine`` (set by the class it is mixed into)."""

    _engine: Engine

    def counts_by_state(self, dealer_code: str | None) -> dict[str, int]:
        """How many ads have each status (every status present, zero if none)."""
        query = select(ads.c.stage, ads.c.remote_state, func.count()).group_by(
            ads.c.stage, ads.c.remote_state
        )
        if dealer_code is not None:
            query = query.where(ads.c.dealer_code == dealer_code)
        counts = dict.fromkeys(AD_STATUSES, 0)
        with db_errors("counting ads", self._engine), self._engine.connect() as conn:
            for stage, remote_state, n in conn.execute(query):
                status = ad_status(
                    Stage(stage) if stage else None,
                    RemoteState(remote_state) if remote_state else None,
                )
                counts[status] += n
        return counts

    def counts_by_dealer(self) -> dict[str, dict[str, int]]:
        """Per dealer_code holding ads: how many have each status (the status page)."""
        return reports.counts_by_dealer(self._engine)

    def run_points(self, since: datetime) -> list[RunPoint]:
        """Every run started since ``since``, oldest first (the status page's chart)."""
        return reports.run_points(self._engine, since)

    def failing(self, dealer_code: str | None, limit: int) -> list[MirrorAd]:
        """Ads whose latest call ended in ERROR or was REJECTED, newest first."""
        query = (
            select(*AD_COLUMNS)
            .where(ads.c.stage.in_([s.value for s in FAILING_STAGES]))
            .order_by(ads.c.updated_at.desc(), ads.c.id.desc())
            .limit(limit)
        )
        if dealer_code is not None:
            query = query.where(ads.c.dealer_code == dealer_code)
        with db_errors("listing failing ads", self._engine), self._engine.connect() as conn:
            return [ad_from_row(row) for row in conn.execute(query)]
