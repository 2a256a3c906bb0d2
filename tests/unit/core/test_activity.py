"""Core: the runs and requests per UTC day that the status page charts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from syncd.core.activity import DayActivity, RunPoint, per_day
from syncd.core.models import RunOutcome


def test_per_day_counts_runs_failures_and_requests_per_utc_day() -> None:
    """Runs are put on their UTC day; days without runs are zeros; older runs are left out."""
    points = [
        RunPoint("D1", datetime(2026, 12, 1, 23, 59, tzinfo=UTC), RunOutcome.SUCCESS, 5),
        RunPoint("D1", datetime(2026, 12, 2, 0, 0, tzinfo=UTC), RunOutcome.FAILED, 1),
        RunPoint("D2", datetime(2026, 12, 2, 8, 0, tzinfo=UTC), RunOutcome.GUARDED, 3),
        RunPoint("D2", datetime(2026, 12, 2, 9, 0, tzinfo=UTC), None, 2),
        RunPoint("D1", datetime(2026, 11, 1, 9, 0, tzinfo=UTC), RunOutcome.SUCCESS, 99),
    ]
    days = per_day(points, today=date(2026, 12, 2), days=3)
    assert days == (
        DayActivity(date(2026, 11, 30), 0, 0, 0),
        DayActivity(date(2026, 12, 1), 1, 0, 5),
        DayActivity(date(2026, 12, 2), 3, 2, 6),
    )
