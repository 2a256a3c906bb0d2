"""Daemon: gathers the status page's view from the mirror and the feeds (the shell side).

Called from the health server's threads (:mod:`syncd.daemon.health` serves each
request on its own thread), never on the daemon's event loop: the mirror's
queries are synchronous SQLAlchemy, and the withheld deletes are computed as
``syncd status`` does, by reading each feed and planning it again
(:func:`syncd.release.withheld`), on a short-lived event loop of that thread.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from syncd import release
from syncd.bootstrap import Container
from syncd.core.activity import per_day, utc_day
from syncd.core.status import AD_STATUSES
from syncd.daemon.page import DealerAds, FailingAd, HeldBack, StatusView
from syncd.errors import FeedError
from syncd.ports import Mirror
from syncd.service import FeedJob, RunOptions

RUNS_SHOWN = 20
FAILING_SHOWN = 50
DAYS = 14
WITHHELD_TIMEOUT = 15.0
"""Seconds one feed may take to read and plan for the page. Assumption: a feed still
being written (it waits to hold still) must not hold the page; it shows as unknown."""


def gather(container: Container, now: datetime, *, days: int = DAYS) -> StatusView:
    """The page's view: counts per dealer (every configured dealer, even without ads),
    failing ads, withheld deletes per feed, the last runs, the runs per day."""
    mirror = container.mirror
    jobs = container.jobs()
    counts = mirror.counts_by_dealer()
    for job in jobs:
        counts.setdefault(job.dealer_code, dict.fromkeys(AD_STATUSES, 0))
    dealers = tuple(
        DealerAds(d, tuple((s, c.get(s, 0)) for s in AD_STATUSES))
        for d, c in sorted(counts.items())
    )
    today = utc_day(now)
    since = datetime.combine(today - timedelta(days=days - 1), time.min, UTC)
    return StatusView(
        generated_at=now.astimezone(UTC),
        statuses=AD_STATUSES,
        dealers=dealers,
        failing=_failing(mirror),
        # failed and rejected are exactly the failing stages (core.status).
        failing_total=sum(c.get("failed", 0) + c.get("rejected", 0) for c in counts.values()),
        held_back=asyncio.run(_held_back(jobs, mirror, container.options())),
        runs=tuple(mirror.runs(None, RUNS_SHOWN)),
        days=per_day(mirror.run_points(since), today=today, days=days),
    )


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


async def _held_back(
    jobs: list[FeedJob], mirror: Mirror, options: RunOptions
) -> tuple[HeldBack, ...]:
    found = []
    for job in jobs:
        try:
            shown = await asyncio.wait_for(release.withheld(job, mirror, options), WITHHELD_TIMEOUT)
        except FeedError as exc:
            found.append(HeldBack(job.dealer_code, None, error=f"feed unreadable: {exc}"))
        except TimeoutError:
            found.append(
                HeldBack(
                    job.dealer_code,
                    None,
                    error=f"not known: reading the feed took over {WITHHELD_TIMEOUT:g} s",
                )
            )
        else:
            found.append(HeldBack(shown.dealer_code, shown.guard, tuple(shown.source_ids)))
    return tuple(found)
