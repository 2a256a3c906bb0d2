"""Core: the daemon's activity per day (runs and API requests) for the status page's chart.

Pure: no I/O here; ``today`` is an argument. Days are UTC calendar days, like every
time syncd stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from syncd.core.models import RunOutcome


@dataclass(frozen=True, slots=True)
class RunPoint:
    """What the chart needs of one run: when it started, how it ended, how many
    requests it sent (0 when it did not record them)."""

    dealer_code: str
    started_at: datetime
    outcome: RunOutcome | None  # None while running
    requests: int = 0


@dataclass(frozen=True, slots=True)
class DayActivity:
    """One UTC day: runs started (``unsuccessful``: of them, failed or guarded) and the
    API requests those runs sent."""

    day: date
    runs: int = 0
    unsuccessful: int = 0
    requests: int = 0


def utc_day(at: datetime) -> date:
    """The UTC calendar day of an aware time."""
    return at.astimezone(UTC).date()


def per_day(points: Iterable[RunPoint], *, today: date, days: int) -> tuple[DayActivity, ...]:
    """The last ``days`` days up to ``today``, oldest first, every day present (zeros
    when nothing ran); runs outside that window are left out."""
    first = today - timedelta(days=days - 1)
    runs = dict.fromkeys((first + timedelta(days=i) for i in range(days)), 0)
    bad = dict.fromkeys(runs, 0)
    requests = dict.fromkeys(runs, 0)
    for p in points:
        day = utc_day(p.started_at)
        if day not in runs:
            continue
        runs[day] += 1
        # A run still going is neither: it has not failed (yet).
        bad[day] += p.outcome is not None and not p.outcome.successful
        requests[day] += p.requests
    return tuple(DayActivity(d, runs[d], bad[d], requests[d]) for d in runs)
