"""Core: a run's statistics for ``syncd history``, from its row in the runs table.

Pure: no I/O here. The counts JSON is free-form and grew over time: a statistic a
run did not record (``requests`` and ``retried`` before syncd counted them) is None,
not 0, so that "none" and "not known" stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncd.core.models import RunSummary

STATISTICS = (
    "created",
    "updated",
    "deleted",
    "unchanged",
    "gone",
    "invalid",
    "rejected",
    "retried",
    "requests",
)

# Which counts make each statistic: a revive brings a deleted ad back (an update of it).
_SOURCES: Mapping[str, tuple[str, ...]] = {
    "created": ("create",),
    "updated": ("update", "revive"),
    "deleted": ("delete",),
    "unchanged": ("unchanged",),
    # Ads deleted earlier and still absent (None for a run of an older syncd, which
    # counted them in "unchanged").
    "gone": ("gone",),
    "invalid": ("invalid",),
    "rejected": ("rejected",),
    "retried": ("retried",),
    "requests": ("requests",),
}


def statistics(run: RunSummary) -> dict[str, int | None]:
    """Each statistic of ``STATISTICS`` (None when the run did not record it)."""
    out: dict[str, int | None] = {}
    for name in STATISTICS:
        found = [run.counts[k] for k in _SOURCES[name] if k in run.counts]
        out[name] = sum(found) if found else None
    return out


def duration(run: RunSummary) -> float | None:
    """Seconds from start to finish (None while running)."""
    if run.finished_at is None:
        return None
    return round((run.finished_at - run.started_at).total_seconds(), 3)
