"""Daemon: gathers the status page's view from the mirror and the feeds (the shell side).

Called from the health server's threads (:mod:`syncd.daemon.health` serves each
request on its own thread), never on the daemon's event loop: the mirror's
queries are synchronous SQLAlchemy.

The withheld deletes are computed as ``syncd status`` does, by reading each feed and
planning it again (:func:`syncd.release.withheld`), which for a feed of 100 000 ads
is tens of seconds of CPU. So the page does it only where it can matter, and once:

* only for a dealer whose latest run that got as far as planning (not ``failed``, not
  still running) was ``guarded``, or that has no such run in the chart's window.
  Assumption: any other dealer has none held back, since the daemon runs again on
  every feed change, and that run would end ``guarded`` if a guard tripped;
* on a worker thread of its own, the result kept while the dealer's latest run and
  the feed file (size, mtime) stay the same; a page that would wait longer than
  :data:`WITHHELD_TIMEOUT` says the set is still being computed.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, time, timedelta
from typing import TypeAlias

from syncd import release
from syncd.bootstrap import Container
from syncd.core.activity import RunPoint, per_day, utc_day
from syncd.core.models import RunOutcome
from syncd.core.status import AD_STATUSES
from syncd.daemon.page import DealerAds, FailingAd, HeldBack, StatusView, TokenRefused
from syncd.daemon.token import Refusal
from syncd.errors import FeedError
from syncd.logs import public_error
from syncd.ports import Mirror
from syncd.runs import FeedJob, RunOptions

RUNS_SHOWN = 20
FAILING_SHOWN = 50
DAYS = 14
WITHHELD_TIMEOUT = 15.0
"""Seconds a page waits for the withheld deletes of one feed before saying they are
still being computed (the computation goes on; a reload shows its result)."""

_Key: TypeAlias = tuple[str, str, datetime | None, tuple[int, int] | None]


class HeldBackCache:
    """The withheld deletes per feed, each computed once on a worker thread."""

    def __init__(self, timeout: float = WITHHELD_TIMEOUT) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._found: dict[str, tuple[_Key, Future[HeldBack]]] = {}

    def get(
        self, job: FeedJob, mirror: Mirror, options: RunOptions, last_run: datetime | None
    ) -> HeldBack:
        """The deletes a guard holds back for this feed (computing them if need be)."""
        key = (job.dealer_code, job.path, last_run, _stamp(job.path))
        with self._lock:
            known = self._found.get(job.dealer_code)
            failed = known is not None and known[1].done() and known[1].exception() is not None
            if known is None or known[0] != key or failed:  # a failure is tried again
                known = (key, _start(job, mirror, options))
                self._found[job.dealer_code] = known
        try:
            return known[1].result(self.timeout)
        except FutureTimeout:
            return HeldBack(
                job.dealer_code,
                None,
                error=f"still being computed (over {self.timeout:g} s): reload in a minute",
            )


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _start(job: FeedJob, mirror: Mirror, options: RunOptions) -> Future[HeldBack]:
    """Compute on a daemon thread: one that outlives the page must not hold up exit."""
    future: Future[HeldBack] = Future()

    def work() -> None:
        try:
            future.set_result(_compute(job, mirror, options))
        except BaseException as exc:  # noqa: BLE001 - handed to the page through the future
            future.set_exception(exc)

    threading.Thread(target=work, name="syncd-status-withheld", daemon=True).start()
    return future


def _compute(job: FeedJob, mirror: Mirror, options: RunOptions) -> HeldBack:
    try:
        shown = asyncio.run(release.withheld(job, mirror, options))
    except FeedError as exc:
        # Redacted as every error the page shows: it may quote the token (a path, a
        # library's message).
        reason = public_error(exc)
        return HeldBack(job.dealer_code, None, error=f"feed unreadable: {reason}")
    return HeldBack(shown.dealer_code, shown.guard, tuple(shown.source_ids))


def gather(
    container: Container,
    now: datetime,
    *,
    days: int = DAYS,
    held_back: HeldBackCache | None = None,
    token_refused: Mapping[str, Refusal] | None = None,
) -> StatusView:
    """The page's view: counts per dealer (every configured dealer, even without ads),
    failing ads, withheld deletes per feed, the last runs, the runs per day, and the
    token watch's refusals in force (``token_refused``, by dealer)."""
    mirror = container.mirror
    jobs = container.jobs()
    counts = mirror.counts_by_dealer()
    for job in jobs:
        counts.setdefault(job.dealer_code, dict.fromkeys(AD_STATUSES, 0))
    today = utc_day(now)
    points = mirror.run_points(datetime.combine(today - timedelta(days=days - 1), time.min, UTC))
    cache = held_back or HeldBackCache()
    options = container.options()
    return StatusView(
        generated_at=now.astimezone(UTC),
        statuses=AD_STATUSES,
        dealers=tuple(
            DealerAds(d, tuple((s, c.get(s, 0)) for s in AD_STATUSES))
            for d, c in sorted(counts.items())
        ),
        failing=_failing(mirror),
        # failed and rejected are exactly the failing stages (core.status).
        failing_total=sum(c.get("failed", 0) + c.get("rejected", 0) for c in counts.values()),
        held_back=tuple(_held_back(job, points, cache, mirror, options) for job in jobs),
        runs=tuple(mirror.runs(None, RUNS_SHOWN)),
        days=per_day(points, today=today, days=days),
        token_refused=tuple(
            TokenRefused(d, r.status, r.method, r.path)
            for d, r in sorted((token_refused or {}).items())
        ),
    )


def _held_back(
    job: FeedJob,
    points: Sequence[RunPoint],
    cache: HeldBackCache,
    mirror: Mirror,
    options: RunOptions,
) -> HeldBack:
    mine = [p for p in points if p.dealer_code == job.dealer_code]
    planned = [p for p in mine if p.outcome not in (None, RunOutcome.FAILED)]
    if planned and planned[-1].outcome is not RunOutcome.GUARDED:
        return HeldBack(job.dealer_code, None)
    return cache.get(job, mirror, options, mine[-1].started_at if mine else None)


def _failing(mirror: Mirror) -> tuple[FailingAd, ...]:
    # The payload stays behind: it holds the seller's contact data.
    return tuple(
        FailingAd(
            a.dealer_code,
            a.source_id,
            str(a.last_op) if a.last_op else None,
            str(a.stage) if a.stage else None,
            a.message,
            a.updated_at,
        )
        for a in mirror.failing(None, FAILING_SHOWN)
    )
