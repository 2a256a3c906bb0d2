"""Daemon: APScheduler 3 wiring: which job runs when, with what guarantees.

Every job is an ``IntervalTrigger`` job on one ``AsyncIOScheduler`` (UTC) with
``max_instances=1`` (a job never overlaps itself), ``coalesce=True`` (runs
missed while the machine slept collapse into one) and no misfire grace limit
(a late run still runs). The job functions are in :mod:`syncd.daemon.jobs`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from syncd.config import DaemonSettings
from syncd.daemon.jobs import Jobs

log = structlog.get_logger("syncd.scheduler")

FIRST_HOUSEKEEPING = 60.0
"""Seconds after start (or reload) before the first housekeeping, so the first syncs go first."""


TOKEN_CHECK_TICK = 60.0
"""Seconds between two looks of the token check at whether a read is due (a look that
finds the token proven recently sends nothing)."""


FIRST_RENEWAL = 60.0
"""Seconds after start (or reload) before the first renewals: the first syncs go first, so
the mirror knows which ads are live and published."""


FIRST_AUDIT = 300.0
"""Seconds after start (or reload) before the first audit: the first syncs go first, and a
daemon restarted more often than ``audit_interval`` still audits."""


def make_scheduler() -> AsyncIOScheduler:
    """The scheduler, not started (it binds to the running event loop on start)."""
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )


def _every(seconds: float) -> IntervalTrigger:
    # UTC throughout: a container without a local time zone must not matter.
    return IntervalTrigger(seconds=seconds, timezone=UTC)


def sync_job_id(index: int) -> str:
    """The id of the sync job of the feed with this index."""
    return f"sync:{index}"


def schedule(scheduler: AsyncIOScheduler, jobs: Jobs, d: DaemonSettings) -> None:
    """Add every job: a sync per feed (first one now), the watcher, reconcile, renewals (with
    ``[[renewal]]`` policies), the audit (unless ``audit_interval`` is 0), housekeeping, the
    refresh of the vehicle lists, and the token check (first one now: at start and after a
    reload)."""
    now = datetime.now(UTC)
    for index, feed in enumerate(jobs.feeds):
        scheduler.add_job(
            jobs.sync,
            _every(d.interval),
            args=[index],
            id=sync_job_id(index),
            name=f"sync {feed.job.dealer_code or '(token dealer)'}",
            next_run_time=now,
        )
    scheduler.add_job(jobs.watch, _every(d.feed_poll_interval), id="watch")
    scheduler.add_job(jobs.reconcile, _every(d.reconcile_interval), id="reconcile")
    if jobs.container.settings.renewal:  # no policy: no job, nothing is ever renewed
        scheduler.add_job(
            jobs.renew,
            _every(d.renewal_interval),
            id="renew",
            next_run_time=now + timedelta(seconds=min(FIRST_RENEWAL, d.renewal_interval)),
        )
    if d.audit_interval > 0:  # 0: no audit job
        scheduler.add_job(
            jobs.audit,
            _every(d.audit_interval),
            id="audit",
            next_run_time=now + timedelta(seconds=min(FIRST_AUDIT, d.audit_interval)),
        )
    scheduler.add_job(
        jobs.housekeeping,
        _every(d.housekeeping_interval),
        id="housekeeping",
        next_run_time=now + timedelta(seconds=min(FIRST_HOUSEKEEPING, d.housekeeping_interval)),
    )
    scheduler.add_job(
        jobs.check_token,
        _every(min(TOKEN_CHECK_TICK, d.token_check_interval)),
        id="token_check",
        next_run_time=now,
    )
    vehicles = jobs.container.settings.vehicles
    if vehicles.check:  # the first sync fetches what it needs; this keeps it fresh
        scheduler.add_job(jobs.vehicle_values, _every(vehicles.max_age), id="vehicle_values")


def run_now(scheduler: AsyncIOScheduler, index: int) -> None:
    """Move the next run of a feed's sync job to now; the interval counts from that run."""
    try:
        scheduler.modify_job(sync_job_id(index), next_run_time=datetime.now(UTC))
    except JobLookupError:
        log.debug("sync_trigger_missed", index=index)  # removed by a reload meanwhile


def quiet_scheduler_logs() -> None:
    """Keep APScheduler's per-job lines (every few seconds) out of the info log.

    syncd's own events (``run_finished``, ``job_failed``, ...) say what matters; the
    scheduler's warnings (missed runs, overlapping instances) still come through, and
    at debug level everything does.
    """
    debug = logging.getLogger().level <= logging.DEBUG
    for name in ("apscheduler.scheduler", "apscheduler.executors"):
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)
