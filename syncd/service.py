"""Use case: one sync run for one feed: gather, plan, apply, record, reconcile.

The imperative shell around the pure core. It talks only to the ports
(``FeedReader``, ``Mirror``, ``Marketplace``, ``Clock``) it is handed; the
composition root (``bootstrap.py``) builds them. A run's values and its record are
``runs.py``'s; reading and validating the feed ``reading.py``'s; the intents a
crash left and the action logs ``settling.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import structlog

from syncd import collector, gather
from syncd.core import guards, renewals
from syncd.core import plan as planner
from syncd.core.models import (
    Action,
    Delete,
    MirrorAd,
    Plan,
    RawFeed,
    RemoteAd,
    Update,
    ValidatedFeed,
)
from syncd.core.validate.known import KnownFeed
from syncd.execute import ApplyResults, DeleteGate, Executor
from syncd.ports import (
    Mirror,
    RequestTally,
    progress_task,
    tallying,
)
from syncd.reading import validated
from syncd.runs import (
    Deps,
    FeedJob,
    RunOptions,
    RunReport,
    clear_gone_failures,
    clear_withdrawn,
    count_results,
    remember,
    report_plan,
    run_envelope,
    warn_if_stale,
)
from syncd.settling import adopt_found, reconcile, resolve_intents
from syncd.v3_ads import v3_gate

log = structlog.get_logger("syncd.service")


def feed_unchanged_gate(job: FeedJob, feed: ValidatedFeed, mirror: Mirror) -> DeleteGate:
    """Asks, before each delete, whether the feed file is still the one the plan came
    from. Once it has changed, the answer stays: no delete of this run goes out.

    It also asks whether the ad was pinned since the plan was made: ``syncd pin`` does
    not wait for a run, and a pin it answered must hold for that run's deletes too.
    """
    changed: list[str] = []

    def gate(action: Delete) -> str | None:
        if not changed and (why := job.reader.changed(feed.meta)) is not None:
            changed.append(why)
        if changed:
            return changed[0]
        if action.source_id in mirror.pinned(action.dealer_code):
            return f"{action.source_id} was pinned during the run"
        return None

    return gate


def guarded_plan(
    feed: ValidatedFeed,
    mirror: Mirror,
    options: RunOptions,
    states: Mapping[str, MirrorAd] | None = None,
) -> tuple[Plan, str | None]:
    """The plan and, when a guard trips (and is not overridden), why its deletes must wait.

    ``states``: the dealer's ads as ``Mirror.load_states`` just read them, if at hand.
    """
    if states is None:
        states = mirror.load_states(feed.dealer_code)
    ads = gather.planning_mirror(feed, mirror, states)
    pinned = mirror.pinned(feed.dealer_code)
    plan = planner.plan(feed, ads, api_version=options.api_version, pinned=pinned)
    items = len(feed.items) + len(feed.invalid)
    # An item that gave two source_ids protects both (the planner keeps them): it is
    # not one of "any" ads, as an item without a source_id may be.
    unidentified = sum(1 for i in feed.invalid if i.source_id is None and not i.candidates)
    reason = guards.mass_delete(plan, guards.live_count(ads), items, options.guards, unidentified)
    return plan, None if options.allow_mass_delete else reason


async def apply_deletes_last(
    executor: Executor, actions: Sequence[Action], report: RunReport
) -> ApplyResults:
    """Send the calls, deletes last: each delete first asks whether the feed file
    changed since it was read, and the later that question, the more it catches."""
    deletes = [a for a in actions if isinstance(a, Delete)]
    results = await executor.apply([a for a in actions if not isinstance(a, Delete)])
    results.add(await executor.apply(deletes))
    held = results.counts.get("deletes_held", 0)
    if held:
        why = results.held_because or "the feed changed"
        report.warnings.append(f"{held} delete(s) held back: {why}; the next run plans them again")
        log.error("deletes_held_feed_changed", held_back=held, reason=why)
    return results


async def followups(
    deps: Deps, executor: Executor, feed: ValidatedFeed, options: RunOptions, source_ids: set[str]
) -> ApplyResults:
    """The PATCHes owed to ads just created (e.g. a reduced price the POST could not carry),
    planned again from the mirror now that their creates have settled."""
    plan, _ = guarded_plan(feed, deps.mirror, options)
    owed = [a for a in plan.actions if isinstance(a, Update) and a.source_id in source_ids]
    log.info("followups_planned", owed=len(owed), created=len(source_ids))
    return await executor.apply(owed)


async def settle_calls(
    deps: Deps, executor: Executor, feed: ValidatedFeed, options: RunOptions, results: ApplyResults
) -> dict[str, int]:
    """Reconcile what was sent; then send the PATCHes owed to ads just created (their
    followups, added to ``results``) and reconcile those too. The settled counts."""
    settled = await reconcile(deps, feed.dealer_code, options)
    if results.followups:
        results.add(await followups(deps, executor, feed, options, results.followups))
        again = await reconcile(deps, feed.dealer_code, options)
        settled = {k: settled.get(k, 0) + n for k, n in again.items()}
        settled["processing"] = again["processing"]
    return settled


def run_executor(
    deps: Deps, job: FeedJob, feed: ValidatedFeed, options: RunOptions, planned: int
) -> Executor:
    """A run's executor (a sync, a saved plan's apply, a release): deletes ask whether
    the feed changed, v3 ads v4 refuses are held back, and the progress bar (if any)
    counts the calls sent of those planned."""
    task = progress_task("calls sent", job.dealer_code)
    if deps.progress is not None:
        deps.progress.update(task, 0, planned)
    return Executor(
        deps.mirror,
        deps.marketplace,
        deps.clock,
        options.max_in_flight,
        hold_deletes=feed_unchanged_gate(job, feed, deps.mirror),
        hold_updates=v3_gate(deps.marketplace, options.api_version, options.batch_size),
        progress=deps.progress,
        progress_task=task,
    )


async def sync(deps: Deps, job: FeedJob, options: RunOptions) -> RunReport:
    """One whole run for one feed. Raises only when the run cannot go on."""
    with tallying() as tally:  # the run's HTTP requests and retries, in its counts
        return await _sync(deps, job, options, tally)


async def _sync(deps: Deps, job: FeedJob, options: RunOptions, tally: RequestTally) -> RunReport:
    with collector.spared() as settle:
        return await _run(deps, job, options, tally, settle)


async def _gather(
    deps: Deps,
    job: FeedJob,
    options: RunOptions,
    raw: RawFeed,
    unresolved: list[tuple[str | None, str]],
) -> tuple[KnownFeed, Mapping[str, MirrorAd]]:
    """Resolve the intents a crash left, then validate the feed against the mirror's
    memos, read with the states the plan is made from (one read of the mirror; read
    again only after a crash's writes that arrived were adopted: ``adopt_found``)."""
    found: dict[str, RemoteAd] = {}
    await resolve_intents(
        deps, job.dealer_code, unresolved, max_in_flight=options.max_in_flight, found=found
    )
    states = deps.mirror.load_states(job.dealer_code)
    known = await validated(deps, job, options, raw, states)
    if found and adopt_found(deps, job.dealer_code, found, known.feed):
        states = deps.mirror.load_states(job.dealer_code)
    return known, states


async def _run(
    deps: Deps,
    job: FeedJob,
    options: RunOptions,
    tally: RequestTally,
    settle: Callable[[], None],
) -> RunReport:
    raw = await job.reader.read(job.path)
    meta = raw.meta
    with run_envelope(deps, job.dealer_code, meta) as report:
        tally.counts = report.counts
        log.info("run_started", feed=meta.path, checksum=meta.checksum, items=len(raw.records))
        warn_if_stale(deps, meta, options, report)
        unresolved: list[tuple[str | None, str]] = []
        known, states = await _gather(deps, job, options, raw, unresolved)
        del raw  # the records validated are no longer needed: one copy of each item
        plan = _plan(deps, job, options, report, feed=known.feed, states=states, settle=settle)
        await _apply(deps, job, options, report, feed=known.feed, plan=plan, unresolved=unresolved)
        remember(deps.mirror, job.dealer_code, gather.new_memos(known, states))
    log.info(
        "run_finished",
        outcome=report.outcome,
        run_id=report.run_id,
        dealer_code=job.dealer_code,
        **report.counts,
    )
    return report


def _plan(
    deps: Deps,
    job: FeedJob,
    options: RunOptions,
    report: RunReport,
    *,
    feed: ValidatedFeed,
    states: Mapping[str, MirrorAd],
    settle: Callable[[], None],
) -> Plan:
    """The plan whose calls the run sends: the whole plan, or what a tripped guard lets
    through. Its deletes are recorded as absent first, those the guard holds back too."""
    full, report.guard = guarded_plan(feed, deps.mirror, options, states)
    settle()
    record_marks(deps, job.dealer_code, full, feed, report)
    settle_taken_back(deps, full, states)
    report_plan(full, report)
    plan = _held_back(full, report)
    log.info("plan_made", **plan.counts())
    return plan


def record_marks(
    deps: Deps, dealer_code: str, full: Plan, feed: ValidatedFeed, report: RunReport
) -> None:
    """Before anything is sent: mark the ads the feed has no valid item for (absent, their
    deletes perhaps held back by a guard, kept by a pin, or waiting for a call in flight;
    or their items invalid), which the renewal policies skip until a run finds a valid
    item again; the run's row will say that it recorded them."""
    absent = renewals.unrenewable(full, feed)
    deps.mirror.record_absent(dealer_code, absent, deps.clock.now())
    report.absent_recorded = True


def settle_taken_back(deps: Deps, full: Plan, states: Mapping[str, MirrorAd]) -> None:
    """Settle, sending nothing, the failures the feed took back (a sync and a saved
    plan's apply alike): a refused or failed change the feed went back on
    (``runs.clear_withdrawn``), a refused or failed create or revive whose item left the
    feed (``runs.clear_gone_failures``). ``states``: the rows ``full`` was planned from."""
    now = deps.clock.now()
    clear_withdrawn(deps.mirror, full, states, now)
    clear_gone_failures(deps.mirror, full, states, now)


def _held_back(full: Plan, report: RunReport) -> Plan:
    """The plan without what the tripped guard holds back (counted in the report, logged),
    or the whole plan when no guard tripped. ``guards.hold_back`` is pure: computing it
    after ``report_plan`` (as here) or before it is the same."""
    if not report.guard:
        return full
    plan = guards.hold_back(full)
    held = len(full.actions) - len(plan.actions)
    report.counts["held_back"] = held
    log.error(
        "guard_tripped",
        reason=report.guard,
        held_back=held,
        hint="check the feed; run with --allow-mass-delete if it is right",
    )
    return plan


async def _apply(
    deps: Deps,
    job: FeedJob,
    options: RunOptions,
    report: RunReport,
    *,
    feed: ValidatedFeed,
    plan: Plan,
    unresolved: list[tuple[str | None, str]],
) -> None:
    """Send the plan's calls (deletes last), settle them, and count what came of them and
    of the intents a crash left that could not be resolved (``unresolved``)."""
    executor = run_executor(deps, job, feed, options, len(plan.actions))
    results = await apply_deletes_last(executor, plan.actions, report)
    settled = await settle_calls(deps, executor, feed, options, results)
    count_results(report, results)
    if unresolved:
        report.counts["failed"] = report.counts.get("failed", 0) + len(unresolved)
    report.problems.extend(unresolved + results.problems)
    report.counts.update(settled)
