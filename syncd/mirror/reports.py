"""Adapter (mirror): read-only queries for the daemon's status page.

Kept apart from :mod:`syncd.mirror.sql` (which delegates to them) because they serve
a page, not a run. Each reads only the columns it needs: a run row's ``invalid``
column can hold ~150 kB, and the chart reads every run of the last days.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import Engine, func, select

from syncd.core.activity import RunPoint
from syncd.core.models import RemoteState, RunOutcome, Stage
from syncd.core.status import AD_STATUSES, ad_status
from syncd.mirror.engine import db_errors
from syncd.mirror.schema import ads, runs


def counts_by_dealer(engine: Engine) -> dict[str, dict[str, int]]:
    """Per dealer_code holding ads: how many ads have each status (every status present)."""
    query = select(ads.c.dealer_code, ads.c.stage, ads.c.remote_state, func.count()).group_by(
        ads.c.dealer_code, ads.c.stage, ads.c.remote_state
    )
    found: dict[str, dict[str, int]] = {}
    with db_errors("counting ads per dealer", engine), engine.connect() as conn:
        for dealer_code, stage, remote_state, n in conn.execute(query):
            status = ad_status(
                Stage(stage) if stage else None,
                RemoteState(remote_state) if remote_state else None,
            )
            counts = found.setdefault(dealer_code, dict.fromkeys(AD_STATUSES, 0))
            counts[status] += n
    return dict(sorted(found.items()))


def run_points(engine: Engine, since: datetime) -> list[RunPoint]:
    """Every run started at or after ``since``, oldest first (start, outcome, requests)."""
    query = (
        select(runs.c.dealer_code, runs.c.started_at, runs.c.outcome, runs.c.counts)
        .where(runs.c.started_at >= since)
        .order_by(runs.c.started_at, runs.c.id)
    )
    with db_errors("listing runs per day", engine), engine.connect() as conn:
        return [
            RunPoint(
                dealer_code,
                started_at,
                None if outcome is None else RunOutcome(outcome),
                _requests(counts),
            )
            for dealer_code, started_at, outcome, counts in conn.execute(query)
        ]


def _requests(counts: str | None) -> int:
    """The ``requests`` a run's counts JSON recorded (0 before syncd counted them)."""
    if counts is None:
        return 0
    value = orjson.loads(counts).get("requests", 0)
    return int(value) if isinstance(value, int) else 0
