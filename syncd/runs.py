"""Use case: a sync run's values (what to sync, its knobs, its ports, its report) and its
row in the runs table: opened before the run's work, closed whatever stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from syncd.core import guards, settled
from syncd.core.guards import GuardLimits
from syncd.core.models import (
    FeedMeta,
    Invalid,
    ItemProblem,
    MirrorAd,
    Outcome,
    Plan,
    RawMemo,
    RemoteState,
    RunOutcome,
    Stage,
    Unchanged,
)
from syncd.core.status import invalid_problems
from syncd.errors import MirrorUnavailable, SyncdError, TemporaryError, shown
from syncd.execute import ApplyResults
from syncd.ports import (
    Clock,
    FeedReader,
    Marketplace,
    Mirror,
    Progress,
    VehicleValuesSource,
)

log = structlog.get_logger("syncd.service")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FeedJob:
    """What to sync: one feed file for one dealer."""

    path: str
    dealer_code: str
    reader: FeedReader
    visible: bool | None = None  # [sync] visible: False sends every ad hidden (a rehearsal)
    # The API's vehicle values to check brand, model, body type and fuels against
    # (None: not checked, e.g. ``[vehicles] check = false``).
    vehicles: VehicleValuesSource | None = None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Knobs of one run (from the [api] and [sync] settings)."""

    api_version: int = 4
    max_in_flight: int = 4
    reconcile_wait: float = 60.0
    poll_interval: float = 2.0
    batch_size: int = 50
    give_up_after: timedelta = timedelta(hours=24)
    guards: GuardLimits = field(default_factory=GuardLimits)
    allow_mass_delete: bool = False


@dataclass(frozen=True, slots=True)
class Deps:
    """The ports a run needs."""

    mirror: Mirror
    marketplace: Marketplace
    clock: Clock
    sleep: Sleep = asyncio.sleep
    progress: Progress | None = None  # a terminal's progress bar (the CLI's), per batch


@dataclass(slots=True)
class RunReport:
    """What a run did, for the CLI, the runs table and the exit code."""

    run_id: int
    dealer_code: str
    counts: dict[str, int] = field(default_factory=dict)
    outcome: RunOutcome = RunOutcome.SUCCESS
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    guard: str | None = None  # why deletes were held back, if they were
    warnings: list[str] = field(default_factory=list)
    invalid: tuple[ItemProblem, ...] = ()  # the plan's invalid items, for the runs table
    feed_modified_at: datetime | None = None  # the feed read's own time (a URL's Last-Modified)
    absent_recorded: bool = False  # the plan's absent marks are recorded (renewals wait for it)

    @property
    def message(self) -> str | None:
        """The guard and warnings, for the runs table."""
        parts = (
            [f"deletes and creates held back: {self.guard}"] if self.guard else []
        ) + self.warnings
        return "; ".join(parts) or None

    @property
    def failed_items(self) -> int:
        """Items that did not reach the API as wanted in this run."""
        return sum(
            self.counts.get(k, 0)
            for k in (
                "invalid",
                "still_rejected",
                "rejected",
                "error",
                "deferred",
                "failed",
                "blocked",
            )
        )


@contextlib.contextmanager
def run_envelope(deps: Deps, dealer_code: str, meta: FeedMeta | None) -> Iterator[RunReport]:
    """One run's row and log context around the block that does the run's work.

    The row is started now and the block gets its report; ``run_id`` and
    ``dealer_code`` are bound to every log event inside. Whatever stops the block,
    the row is closed (:func:`close_stopped_run`) and the error goes on; when the
    block ends, the outcome follows from the report (guarded, partial or success)
    and the row is finished with its counts, message and invalid items.
    """
    run_id = deps.mirror.start_run(dealer_code, meta, deps.clock.now())
    report = RunReport(
        run_id=run_id,
        dealer_code=dealer_code,
        feed_modified_at=meta.modified_at if meta is not None else None,
    )
    structlog.contextvars.bind_contextvars(run_id=run_id, dealer_code=dealer_code)
    try:
        yield report
    except BaseException as exc:
        report.outcome = RunOutcome.FAILED
        close_stopped_run(deps, run_id, report, exc)
        raise
    finally:
        structlog.contextvars.unbind_contextvars("run_id", "dealer_code")
    if report.guard:
        report.outcome = RunOutcome.GUARDED
    else:
        report.outcome = RunOutcome.PARTIAL if report.failed_items else RunOutcome.SUCCESS
    deps.mirror.finish_run(
        run_id,
        report.outcome,
        report.counts,
        report.message,
        deps.clock.now(),
        invalid=report.invalid,
        absent_recorded=report.absent_recorded,
    )


def close_stopped_run(deps: Deps, run_id: int, report: RunReport, exc: BaseException) -> None:
    """Whatever stopped the run, its row is closed: `status` never shows it running.

    A cancellation (the daemon's stop timeout) is an interruption; calls cut short stay
    recorded as intended, for the next run to resolve.
    """
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        message = "interrupted: syncd stopped"
        log.warning("run_interrupted", run_id=run_id)
    else:
        known = isinstance(exc, SyncdError)
        message = str(exc) if known else f"internal error: {type(exc).__name__}"
        log.error(
            "run_failed",
            error=message,
            temporary=isinstance(exc, TemporaryError),
            exc_info=not known,
        )
    with contextlib.suppress(SyncdError):  # the mirror itself may be what failed
        deps.mirror.finish_run(
            run_id,
            RunOutcome.FAILED,
            report.counts,
            message,
            deps.clock.now(),
            invalid=report.invalid,
            absent_recorded=report.absent_recorded,
        )


def report_plan(plan: Plan, report: RunReport) -> None:
    # The plan's kinds lead the counts (as the CLI and the runs table show them), before
    # the requests made while validating (the API's vehicle values) and resolving.
    earlier = dict(report.counts)
    report.counts.clear()  # in place: the run's request tally adds to this very dict
    report.counts.update(plan.counts())
    for key, n in earlier.items():
        report.counts[key] = report.counts.get(key, 0) + n
    report.invalid = invalid_problems(plan.entries)
    for entry in plan.entries:
        if isinstance(entry, Invalid):
            for issue in entry.issues:
                log.warning(
                    "feed_item_rejected",
                    source_id=entry.source_id,
                    origin=str(entry.origin) if entry.origin else None,
                    field=issue.field,
                    reason=issue.reason,
                )
                report.problems.append((entry.source_id, str(issue)))
        elif isinstance(entry, Unchanged) and entry.reason in ("still_rejected", "pinned"):
            report.counts[entry.reason] = report.counts.get(entry.reason, 0) + 1
            if entry.reason == "pinned":
                log.info("pinned_ad_kept", source_id=entry.source_id)


def count_results(report: RunReport, results: ApplyResults) -> None:
    """Add what the executor counted (and the outcomes it moved) to the run's counts, and
    the items its calls found invalid to the run's invalid items."""
    report.counts.update(results.counts)
    for key, n in results.moved.items():
        report.counts[key] = report.counts.get(key, 0) + n
    report.invalid += tuple(results.invalid)


WITHDRAWN = (
    "the change the API refused or failed is no longer in the feed: the API holds the "
    "feed's version"
)


def clear_withdrawn(
    mirror: Mirror, plan: Plan, states: Mapping[str, MirrorAd], now: datetime
) -> None:
    """Settle the refusals the feed took back (:func:`syncd.core.settled.withdrawn`):
    nothing is sent for them, and each row would otherwise show the old failure for good."""
    outcomes = [
        Outcome(plan.dealer_code, source_id, Stage.DONE, RemoteState.CREATED, WITHDRAWN)
        for source_id in settled.withdrawn(plan, states)
    ]
    if outcomes:
        mirror.record_outcomes(outcomes, now)
        log.info("refusals_withdrawn", source_ids=[o.source_id for o in outcomes])


GONE_FAILED = "the feed no longer has this item; the API holds no live ad for it, nothing is sent"


def clear_gone_failures(
    mirror: Mirror, plan: Plan, states: Mapping[str, MirrorAd], now: datetime
) -> list[str]:
    """Settle the failures of ads the API holds no live ad for whose items left the feed:
    a create refused (REJECTED: a 400 on POST) or ended in error, or a deleted ad's revive
    refused or failed, that the plan finds ``gone`` (never created, or deleted, and
    absent). Nothing is sent for them, and each row would otherwise count as failing
    (``syncd status``, the status page) for good. Returns their ids.

    Assumption: the row is kept, settled (stage DONE, its remote state as it was:
    ``pending`` or ``deleted`` in the counts, never failing), its message keeping what
    the API said, so ``syncd show`` still tells what happened (with the action log the
    mirror kept, for an ERROR); the run counts them ``gone``, as ``history`` shows. An
    item back in the feed is sent again (the refusal no longer stands in its way: the
    dealer put it back)."""
    gone = settled.gone_failures(plan, states)
    # The plan's states carry no message: the few rows settled are read whole.
    outcomes = [
        Outcome(
            plan.dealer_code, source_id, Stage.DONE, None, _gone_message(mirror, plan, source_id)
        )
        for source_id in gone
    ]
    if outcomes:
        mirror.record_outcomes(outcomes, now)
        log.info("gone_failures_cleared", source_ids=[o.source_id for o in outcomes])
    return [o.source_id for o in outcomes]


def _gone_message(mirror: Mirror, plan: Plan, source_id: str) -> str:
    row = mirror.get(plan.dealer_code, source_id)
    before = row.message if row is not None else None
    return f"{GONE_FAILED} (it had failed: {before})" if before else GONE_FAILED


def remember(mirror: Mirror, dealer_code: str, memos: Mapping[str, RawMemo]) -> None:
    """Record the raw items validated this run for the ads now holding their payloads.

    A failure costs only time: the next run validates those items again.
    """
    try:
        kept = mirror.remember(dealer_code, memos)
    except MirrorUnavailable as exc:
        log.warning("raw_memos_not_recorded", items=len(memos), error=shown(exc))
        return
    log.debug("raw_memos_recorded", items=kept, offered=len(memos))


def warn_if_stale(deps: Deps, meta: FeedMeta, options: RunOptions, report: RunReport) -> None:
    stale = guards.stale_feed(meta.modified_at, deps.clock.now(), options.guards)
    if stale:
        report.warnings.append(stale)
        log.warning("feed_stale", feed=meta.path, message=stale)
