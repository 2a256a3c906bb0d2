"""Daemon: the daemon's jobs, and the pure decisions of when a feed needs a sync.

The decision :func:`should_sync` is pure. :class:`Jobs`
holds the job functions APScheduler runs on the event loop: a sync per feed,
one reconcile pass over the calls still in flight, the renewal policies, the audit of
what changed outside syncd (:mod:`syncd.audit`), housekeeping,
the refresh of the cached vehicle lists, the token check (:mod:`syncd.daemon.token`), and the
feed watcher that starts a feed's sync as soon as its file has changed.

Jobs never overlap for one dealer: an asyncio lock per dealer_code inside
this process, and the mirror's run lock (a ``run-once`` from a timer) across
processes. Every job catches its own errors (logged and counted), so one
failing job never stops the others.

The jobs that call the API (sync, reconcile, renew, audit) stop as ``run-once`` does
(``syncd.cli.stopping``): each runs its work as the step of a
:class:`~syncd.gates.StepGate` its ports pass, and :meth:`Jobs.stop` (the daemon's
SIGTERM/SIGINT) stops every gate: no new call is sent, the calls in flight get
their answers and are recorded, then the step is cancelled (a sync's run recorded
interrupted, its calls not sent left intended; a bump reserved but not sent recorded
not_sent, its cap unit not spent). ``daemon.stop_timeout`` still bounds the wait.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import structlog

from syncd import audit, renewals, service, settling
from syncd.bootstrap import Container
from syncd.core.models import RunOutcome
from syncd.daemon.metrics import Metrics
from syncd.daemon.systemd import Notifier
from syncd.daemon.token import TokenWatch
from syncd.errors import ApiAuthError, RunLocked, Stopped, SyncdError, shown
from syncd.feeds.http import is_url
from syncd.gates import GatedMarketplace, GatedRenewer, StepGate
from syncd.runs import FeedJob, RunReport
from syncd.views.reports import describe_run

log = structlog.get_logger("syncd.jobs")

RunLock = Callable[[Container, str], AbstractContextManager[object]]
"""The cross-process lock of one dealer's runs; raises RunLocked when it is held."""
Trigger = Callable[[int], None]
"""Starts the sync job of the feed with this index now."""


@dataclass(frozen=True, slots=True)
class FeedStamp:
    """What cheaply tells that a feed file changed: its size and modification time."""

    size: int
    mtime_ns: int


def feed_stamp(path: str) -> FeedStamp | None:
    """The file's stamp, or None when it cannot be read (missing, no permission)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FeedStamp(st.st_size, st.st_mtime_ns)


def should_sync(
    *, current: FeedStamp | None, previous: FeedStamp | None, synced: FeedStamp | None
) -> bool:
    """Sync now when the file exists, has held still for one check, and differs
    from what the last sync started from (a file being written waits one check)."""
    return current is not None and current == previous and current != synced


def mirror_lock(container: Container, dealer_code: str) -> AbstractContextManager[object]:
    """The mirror's cross-process run lock of one dealer, tried once (never blocks the loop).

    Held by another process (a ``run-once`` from a timer): RunLocked, the job is
    skipped, and the feed watcher or the next interval tries again. Tried once, it never
    waits: its stop event is one never set (the daemon's own stop ends the jobs).
    """
    return container.run_lock.hold(dealer_code, wait=0, stop=threading.Event())


def last_successes(container: Container) -> dict[str, datetime | None]:
    """Per dealer, the end of its latest successful run in the mirror (kept across restarts)."""
    found: dict[str, datetime | None] = {}
    for job in container.jobs():
        runs = container.mirror.runs(job.dealer_code, 50)
        found[job.dealer_code] = next(
            (r.finished_at for r in runs if r.outcome and r.outcome.successful and r.finished_at),
            None,
        )
    return found


@dataclass
class FeedState:
    """What the daemon knows of one feed between jobs."""

    job: FeedJob
    seen: FeedStamp | None = None  # at the previous check
    synced: FeedStamp | None = None  # when the last sync that held the lock began
    last_success: datetime | None = None
    summary: str = ""


@dataclass
class Jobs:
    """The job functions. A reload swaps ``container``; a running job keeps its own."""

    container: Container
    metrics: Metrics
    notifier: Notifier
    run_lock: RunLock
    trigger: Trigger | None = None
    token: TokenWatch = field(default_factory=TokenWatch)
    feeds: list[FeedState] = field(default_factory=list)
    tasks: dict[asyncio.Task[object], Container] = field(default_factory=dict)
    stopping: str | None = None  # how the stop came ("by SIGTERM"); None: running
    _gates: dict[StepGate, tuple[str, dict[str, object]]] = field(default_factory=dict)
    _dealer_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def use(self, container: Container, last_success: dict[str, datetime | None]) -> None:
        """Serve these settings' feeds from now on (at start and after a reload)."""
        self.container = container
        self.feeds = [
            FeedState(job=j, last_success=last_success.get(j.dealer_code)) for j in container.jobs()
        ]
        self.metrics.forget_feeds()
        for feed in self.feeds:
            self.metrics.watch_feed(feed.job.dealer_code, feed.job.path)
        for dealer in sorted({f.job.dealer_code for f in self.feeds}):
            try:
                self._refresh_gauges(container, dealer)
            except SyncdError as exc:  # the gauges follow at the next job
                log.warning("metrics_refresh_failed", dealer_code=dealer, error=shown(exc))

    def _lock(self, dealer_code: str) -> asyncio.Lock:
        return self._dealer_locks.setdefault(dealer_code, asyncio.Lock())

    def stop(self, why: str) -> None:
        """The daemon stops (``why``: "by SIGTERM"): every running job's gate stops its
        calls (see the module docstring); a job started from now on sends nothing."""
        self.stopping = why
        for gate, (name, context) in list(self._gates.items()):
            log.info("job_stopping", job=name, in_flight=gate.in_flight, **context)
            gate.begin_stop(why)

    @asynccontextmanager
    async def _job(
        self, name: str, *, gated: bool = True, **context: object
    ) -> AsyncIterator[tuple[Container, StepGate]]:
        """Track, time, bind context and contain the errors of one job run; its gate
        (``gated``: one :meth:`stop` stops; else never stopped, the job runs on)."""
        task = asyncio.current_task()
        container = self.container
        if task is not None:
            self.tasks[task] = container
        gate = StepGate()
        if self.stopping is not None:
            gate.begin_stop(self.stopping)
        if gated:
            self._gates[gate] = (name, context)
        structlog.contextvars.bind_contextvars(job=name, **context)
        started = time.perf_counter()
        try:
            yield container, gate
        # The context is passed again: service.sync unbinds dealer_code when it ends.
        except RunLocked as exc:
            log.info("job_skipped_locked", job=name, reason=shown(exc), **context)
        except Stopped as exc:  # the daemon's stop: not an error of the job
            log.info("job_stopped", job=name, reason=shown(exc), **context)
        except SyncdError as exc:
            self.metrics.record_error(name, exc)
            log.error("job_failed", job=name, error=shown(exc), kind=type(exc).__name__, **context)
        except Exception as exc:  # a bug in one job must not stop the daemon
            self.metrics.record_error(name, exc)
            log.exception("job_crashed", job=name, kind=type(exc).__name__, **context)
        finally:
            self.metrics.job_duration.labels(name).observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("job", *context)
            self._gates.pop(gate, None)
            if task is not None:
                self.tasks.pop(task, None)

    async def sync(self, index: int) -> None:
        """Sync the feed with this index (scheduled every interval, or by the watcher)."""
        if index >= len(self.feeds):
            return
        feed = self.feeds[index]
        dealer = feed.job.dealer_code
        async with self._job("sync", dealer_code=dealer) as (c, stop), self._lock(dealer):
            with self.run_lock(c, dealer):
                # What this run starts from; a change after this point triggers another run.
                feed.synced = feed_stamp(feed.job.path)
                deps = c.deps()
                deps = replace(deps, marketplace=GatedMarketplace(deps.marketplace, stop))
                try:
                    report = await stop.step(service.sync(deps, feed.job, c.options()))
                except Stopped:
                    raise  # the daemon's stop (its run, if it began, recorded interrupted)
                except SyncdError:
                    self.metrics.record_run(dealer, RunOutcome.FAILED, time.time())
                    raise
                self._after_run(feed, report, c.clock.now())
                self._refresh_gauges(c, dealer)

    def _after_run(self, feed: FeedState, report: RunReport, now: datetime) -> None:
        self.metrics.record_run(report.dealer_code, report.outcome, now.timestamp())
        read = report.feed_modified_at
        self.metrics.feed_read(report.dealer_code, read.timestamp() if read else None)
        if report.outcome.successful:
            feed.last_success = now
        feed.summary = describe_run(report, now)
        self.notifier.status("; ".join(f.summary for f in self.feeds if f.summary))

    async def reconcile(self) -> None:
        """One pass over the action logs of every dealer's calls still in flight."""
        for dealer in sorted({f.job.dealer_code for f in self.feeds}):
            lock = self._lock(dealer)
            if self.stopping is not None:
                break
            if lock.locked():
                continue  # that dealer's sync is running and reconciles itself
            async with self._job("reconcile", dealer_code=dealer) as (c, stop), lock:
                with self.run_lock(c, dealer):
                    if c.mirror.in_flight(dealer):
                        options = replace(c.options(), reconcile_wait=0.0)
                        deps = c.deps()
                        deps = replace(deps, marketplace=GatedMarketplace(deps.marketplace, stop))
                        counts = await stop.step(settling.reconcile(deps, dealer, options))
                        log.info("reconciled", **counts)
                    self._refresh_gauges(c, dealer)

    async def renew(self) -> None:
        """Run the ``[[renewal]]`` policies for each dealer, under its locks (after a sync)."""
        for dealer in sorted({f.job.dealer_code for f in self.feeds}):
            if self.stopping is not None:
                break
            async with self._job("renew", dealer_code=dealer) as (c, stop), self._lock(dealer):
                policies = c.policies()
                if not policies:  # a reload removed them: the job goes at the next schedule
                    continue
                with self.run_lock(c, dealer):
                    deps = c.renewal_deps()
                    deps = replace(deps, renewer=GatedRenewer(deps.renewer, stop))
                    version = c.settings.api.version
                    done = await stop.step(
                        renewals.run_policies(deps, policies, dealer, api_version=version)
                    )
                    for report in done:
                        self.metrics.record_renewals(dealer, report.policy, report.counts)

    async def audit(self) -> None:
        """List each dealer's ads and record what changed outside syncd (``syncd audit``),
        under its locks: after its running sync, never beside one. Gated: the daemon's
        stop cancels the listing (a read); the recording has no await to cut short."""
        for dealer in sorted({f.job.dealer_code for f in self.feeds}):
            if self.stopping is not None:
                break
            async with self._job("audit", dealer_code=dealer) as (c, stop), self._lock(dealer):
                with self.run_lock(c, dealer):
                    work = audit.audit(c.mirror, c.catalog, c.clock, dealer, dry_run=False)
                    report = await stop.step(work)
                    self.metrics.record_drift(dealer, report.counts)
                    self._refresh_gauges(c, dealer)
                    if report.recorded:
                        self._sync_soon(dealer)

    def _sync_soon(self, dealer: str) -> None:
        """Start the dealer's syncs now: what an audit recorded is repaired by a sync (a
        revive, a create), better now than at the next interval. Each waits for the
        dealer's lock, so it runs once the audit is done."""
        for index, feed in enumerate(self.feeds):
            if feed.job.dealer_code == dealer and self.trigger is not None:
                self.trigger(index)

    async def housekeeping(self) -> None:
        """Prune runs and action-log entries older than daemon.retention_days."""
        # Not stopped by the gate: no API call, and a prune in its thread cannot be
        # cancelled; stop_timeout bounds it as before.
        async with self._job("housekeeping", gated=False) as (c, _):
            days = c.settings.daemon.retention_days
            cutoff = c.clock.now() - timedelta(days=days)
            # In a thread: a large prune must not stall the event loop (and the watchdog).
            pruned = await asyncio.to_thread(c.mirror.prune, cutoff)
            log.info("housekeeping_pruned", rows=pruned, older_than=cutoff.isoformat())

    async def vehicle_values(self) -> None:
        """Fetch the API's vehicle lists again (every ``[vehicles] max_age``), so that a
        run rarely waits on them; a failure keeps the cached lists (a warning)."""
        # Reads only, bounded by the client's timeouts (and stop_timeout): not gated.
        async with self._job("vehicle_values", gated=False) as (c, _):
            if c.vehicles is not None:
                await c.vehicles.refresh()

    async def check_token(self) -> None:
        """Read once per dealer (``GET /ad?limit=1``) when nothing proved the token for
        ``daemon.token_check_interval``: the answer, seen by the token watch's hook, sets
        or clears the refusal (``/readyz``, ``syncd_api_token_refused``)."""
        async with self._job("token_check") as (c, stop):
            now = time.monotonic()
            if not self.token.due(now, c.settings.daemon.token_check_interval):
                return
            self.token.checking(now)
            # "": a feed for the token's own dealer (no ?dealer_code=); none configured: one
            # read for the token's dealer all the same.
            for dealer in sorted({f.job.dealer_code for f in self.feeds}) or [""]:
                try:
                    await stop.step(c.token_checker.check_token(dealer))
                except ApiAuthError as exc:
                    # Counted at every refused check (the ApiAuthError alert keeps firing);
                    # logged once, by the watch, when the state changes.
                    self.metrics.record_error("token_check", exc)
                    log.debug("token_check_refused", dealer_code=dealer, kind=type(exc).__name__)

    async def watch(self) -> None:
        """Start a feed's sync as soon as its file has changed (and held still).

        A URL feed is not watched: it is fetched at each scheduled sync
        (``daemon.interval``), a conditional GET that costs little when unchanged."""
        for index, feed in enumerate(self.feeds):
            if is_url(feed.job.path):
                continue
            current = feed_stamp(feed.job.path)
            busy = self._lock(feed.job.dealer_code).locked()
            changed = should_sync(current=current, previous=feed.seen, synced=feed.synced)
            if changed and not busy and self.trigger is not None:
                # Level-triggered: until a sync has started from this stamp, the next
                # check triggers again (e.g. after a run-once held the lock).
                log.info("feed_changed", dealer_code=feed.job.dealer_code, path=feed.job.path)
                self.trigger(index)
            feed.seen = current

    def _refresh_gauges(self, c: Container, dealer: str) -> None:
        self.metrics.record_ads(
            dealer, c.mirror.counts_by_state(dealer), len(c.mirror.in_flight(dealer))
        )

    def last_success(self) -> dict[str, datetime | None]:
        """Per dealer, the end of the last successful run (None: none yet)."""
        return {f.job.dealer_code: f.last_success for f in self.feeds}

    def running_on(self, container: Container) -> Iterator[asyncio.Task[object]]:
        """The job tasks still using this container."""
        return (t for t, c in list(self.tasks.items()) if c is container)
