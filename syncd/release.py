"""Use case: withheld deletes: the ads a guard holds back, and releasing exactly them.

The set is recomputed from the current feed and mirror, never recorded at the run.
Why: a recorded set is stale as soon as the feed or the mirror changes (an ad back
in the feed, a delete sent by a later confirmed run), and releasing a stale set
would delete ads the feed now wants; the guard is a pure, cheap decision over the
same inputs a run uses, so ``status`` and ``release-deletes`` ask it again.

Only deletes are released: creates a guard holds back (renamed source_ids) stay
held until a run confirms them with ``--allow-mass-delete``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import structlog

from syncd import reading, runs, service, settling
from syncd.core.models import Delete, RunOutcome
from syncd.errors import GuardTripped
from syncd.ports import Mirror
from syncd.runs import Deps, FeedJob, RunOptions, RunReport

log = structlog.get_logger("syncd.release")


@dataclass(frozen=True, slots=True)
class Withheld:
    """The deletes a guard holds back for one dealer now, and why."""

    dealer_code: str
    guard: str | None
    deletes: tuple[Delete, ...]

    @property
    def source_ids(self) -> list[str]:
        """The source_ids of the withheld deletes, sorted."""
        return sorted(d.source_id for d in self.deletes)


async def withheld(job: FeedJob, mirror: Mirror, options: RunOptions) -> Withheld:
    """The deletes a run of this feed would hold back now (none when no guard trips)."""
    feed = await reading.load_feed(job, options.api_version)
    plan, guard = service.guarded_plan(feed, mirror, replace(options, allow_mass_delete=False))
    deletes = tuple(a for a in plan.actions if isinstance(a, Delete)) if guard else ()
    return Withheld(job.dealer_code, guard, deletes)


def job_for(dealer_code: str, jobs: Sequence[FeedJob]) -> FeedJob:
    """The configured feed of a dealer; GuardTripped when it has none."""
    for job in jobs:
        if job.dealer_code == dealer_code:
            return job
    raise GuardTripped(
        f"no feed is configured for dealer {dealer_code!r}; nothing was deleted", ids=(dealer_code,)
    )


async def release(deps: Deps, job: FeedJob, options: RunOptions, shown: Withheld) -> RunReport:
    """Delete exactly the ``shown`` set, recomputed first; one run row says so.

    The caller holds the dealer's run lock. When the set recomputed now is not the
    one shown (the feed or the mirror changed meanwhile), nothing is deleted.
    """
    now = await withheld(job, deps.mirror, options)
    if now.source_ids != shown.source_ids:
        raise GuardTripped(
            f"the deletes held back for {job.dealer_code!r} changed since they were shown "
            f"({len(shown.deletes)} then, {len(now.deletes)} now); nothing was deleted: run "
            "release-deletes again",
            ids=(job.dealer_code,),
        )
    feed = await reading.load_feed(job, options.api_version)
    held_by = _guarded_run(deps.mirror, job.dealer_code)
    with runs.run_envelope(deps, job.dealer_code, feed.meta) as report:
        report.warnings.append(
            f"released {len(now.deletes)} deletes held back"
            + (f" by run {held_by}" if held_by is not None else "")
            + f" ({now.guard})"
        )
        report.counts["delete"] = len(now.deletes)
        log.info("withheld_deletes_releasing", deletes=len(now.deletes), held_by=held_by)
        executor = service.run_executor(deps, job, feed, options, len(now.deletes))
        results = await service.apply_deletes_last(executor, now.deletes, report)
        report.counts.update(results.counts)
        report.problems.extend(results.problems)
        report.counts.update(await settling.reconcile(deps, job.dealer_code, options))
    log.info("withheld_deletes_released", outcome=report.outcome, **report.counts)
    return report


def _guarded_run(mirror: Mirror, dealer_code: str) -> int | None:
    """The latest run of the dealer that held deletes back, if one is still recorded."""
    for run in mirror.runs(dealer_code, 50):
        if run.outcome is RunOutcome.GUARDED:
            return run.run_id
    return None
