"""Use case: one sync run for one feed: gather, plan, apply, record, reconcile.

The imperative shell around the pure core. It talks only to the ports
(``FeedReader``, ``Mirror``, ``Marketplace``, ``Clock``) it is handed; the
composition root (``bootstrap.py``) builds them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from syncd import collector, gather
from syncd.core import guards
from syncd.core import plan as planner
from syncd.core.guards import GuardLimits
from syncd.core.models import (
    Action,
    Delete,
    FeedMeta,
    Invalid,
    ItemProblem,
    LogEntry,
    MirrorAd,
    Op,
    Plan,
    RawFeed,
    RawMemo,
    RunOutcome,
    Stage,
    Unchanged,
    Update,
    ValidatedFeed,
)
from syncd.core.reconcile import decide
from syncd.core.status import invalid_problems
from syncd.core.validate.feed import validate_feed
from syncd.core.validate.known import KnownFeed, was_skipped
from syncd.core.validate.vehicles import (
    NothingSent,
    check_vehicle_values,
    none_unchanged,
    vehicle_needs,
)
from syncd.core.visibility import with_visibility
from syncd.errors import MirrorUnavailable, SyncdError, TemporaryError
from syncd.execute import ApplyResults, DeleteGate, Executor, item_failure, stops_the_run
from syncd.ports import (
    Clock,
    FeedReader,
    Marketplace,
    Mirror,
    Progress,
    RequestTally,
    VehicleValuesSource,
    progress_task,
    tallying,
)
from syncd.v3_ads import v3_gate

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


async def load_feed(job: FeedJob, api_version: int) -> ValidatedFeed:
    """Read and validate the feed; raises FeedError when the file is unusable.

    The reader may wait (asynchronously) for a file still being written to hold still.
    """
    return (await read_feed(job, api_version))[1]


async def read_feed(job: FeedJob, api_version: int) -> tuple[RawFeed, ValidatedFeed]:
    """The feed as read and as validated (``syncd validate`` shows both)."""
    raw = await job.reader.read(job.path)
    feed = await asyncio.to_thread(_validate_all, raw, job.dealer_code, api_version)
    checked = await vehicles_checked(job, feed, api_version)
    return raw, with_visibility(checked, job.visible)


def _validate_all(raw: RawFeed, dealer_code: str, api_version: int) -> ValidatedFeed:
    with collector.paused():  # a large feed's items: see syncd/collector.py
        return validate_feed(raw, dealer_code=dealer_code, api_version=api_version)


async def vehicles_checked(
    job: FeedJob, feed: ValidatedFeed, api_version: int, unchanged: NothingSent = none_unchanged
) -> ValidatedFeed:
    """The validated feed with the items whose brand, model, body type or fuels the
    API's lists lack moved to invalid (the lists from ``job.vehicles``, cached).

    Every way a feed is validated passes through here once, after validation;
    ``unchanged`` items (a sync's skipped ones: nothing is sent for them) are not
    checked (``core/validate/vehicles.py`` says why).
    """
    if job.vehicles is None:
        return feed
    needs = vehicle_needs(feed, api_version=api_version, unchanged=unchanged)
    values = await job.vehicles.values_for(needs)
    if values is None:  # no lists to check with (warned): the check is skipped
        return feed
    return await asyncio.to_thread(
        check_vehicle_values, feed, values, api_version=api_version, unchanged=unchanged
    )


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


async def resolve_intents(
    deps: Deps,
    dealer_code: str,
    problems: list[tuple[str | None, str]] | None = None,
    *,
    max_in_flight: int = 4,  # RunOptions' default; a run passes its own
) -> int:
    """Settle calls a crash left in INTENT by reading each ad back before any re-send.

    A create may have reached the API: it is looked up so that it is never created
    twice. Updates and deletes are idempotent, but they are read back too, so that
    the mirror takes the API's word on whether the ad exists (two crashes in a row
    must not make syncd forget a live ad it was about to delete).

    The reads go out concurrently, at most ``max_in_flight`` at a time (the client's
    throttle paces them too); each answer is recorded as soon as it arrives, one ad
    at a time. An unexpected error reading one ad back leaves its intent (and so its
    ad) as it is, reported in ``problems`` (in the order of the intents); the other
    intents are resolved. An error that stops the run starts no further read, cuts
    those in flight short (their intents stay) and is raised.
    """
    intents = deps.mirror.intents(dealer_code)
    if not intents:
        return 0
    failures: dict[int, tuple[str | None, str]] = {}
    queue = iter(enumerate(intents))  # shared by the readers: next() never yields

    async def reader() -> None:
        for index, ad in queue:
            failure = await _read_back(deps, dealer_code, ad)
            if failure is not None:
                failures[index] = (ad.source_id, failure)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(max(1, max_in_flight), len(intents))):
                group.create_task(reader())
    except* Exception as eg:  # noqa: BLE001 - the first error that stops the run, as is
        raise eg.exceptions[0] from None
    finally:
        if problems is not None:
            problems.extend(failures[i] for i in sorted(failures))
    return len(intents)


async def _read_back(deps: Deps, dealer_code: str, ad: MirrorAd) -> str | None:
    """Read one intended ad back and record what the API holds; the message of an
    unexpected error instead (the intent left as it is). Raises what stops the run."""
    try:
        remote = await deps.marketplace.get(dealer_code, ad.source_id)
    except Exception as exc:
        if stops_the_run(exc):
            raise
        message = item_failure(exc)
        log.error("intent_unresolved", source_id=ad.source_id, message=message)
        return message
    deps.mirror.forget_intent(dealer_code, ad.source_id, remote, deps.clock.now())
    log.info(
        "intent_resolved", source_id=ad.source_id, op=str(ad.last_op), found=remote is not None
    )
    return None


async def reconcile(deps: Deps, dealer_code: str, options: RunOptions) -> dict[str, int]:
    """Read the action logs of every call in flight until all settle or the wait ends."""
    deadline = deps.clock.now() + timedelta(seconds=options.reconcile_wait)
    counts = {"done": 0, "error": 0, "processing": 0}
    total: int | None = None
    while True:
        flights = deps.mirror.in_flight(dealer_code)
        total = len(flights) if total is None else total
        remaining = 0  # the run lock is held: nothing else changes these rows meanwhile
        for start in range(0, len(flights), options.batch_size):
            batch = flights[start : start + options.batch_size]
            remotes = {
                r.source_id: r
                for r in await deps.marketplace.list_with_logs(
                    dealer_code, [a.source_id for a in batch]
                )
            }
            outcomes = [
                decide(
                    ad,
                    remotes.get(ad.source_id),
                    deps.clock.now(),
                    give_up_after=options.give_up_after,
                    known=_earlier_entries(deps.mirror, ad),
                )
                for ad in batch
            ]
            deps.mirror.record_outcomes(outcomes, deps.clock.now())  # one transaction
            for ad, outcome in zip(batch, outcomes, strict=True):
                if outcome.stage is Stage.SENT:
                    remaining += 1
                elif outcome.stage is Stage.DONE:
                    counts["done"] += 1
                    log.info("action_done", source_id=ad.source_id, op=str(ad.last_op))
                elif outcome.stage is Stage.ERROR:
                    counts["error"] += 1
                    log.warning(
                        "action_failed",
                        source_id=ad.source_id,
                        op=str(ad.last_op),
                        message=outcome.message,
                    )
            if deps.progress is not None and total:
                settled = counts["done"] + counts["error"]
                deps.progress.update(progress_task("calls settled", dealer_code), settled, total)
        if remaining == 0 or deps.clock.now() >= deadline:
            counts["processing"] = remaining
            return counts
        await deps.sleep(options.poll_interval)


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


def _earlier_entries(mirror: Mirror, ad: MirrorAd) -> list[LogEntry]:
    """Without request ids, the entries recorded for the ad's earlier calls tell them
    apart from the current call's. Assumption: not for a create or a revive, which may
    have made a new remote ad (a vehicle re-POSTed) whose log starts afresh; those rely
    on the time window alone."""
    if ad.request_id is not None or ad.sent_at is None:
        return []
    if ad.last_op not in (Op.UPDATE, Op.DELETE):
        return []
    return mirror.action_logs(ad.dealer_code, ad.source_id, ad.sent_at)


def _report_plan(plan: Plan, report: RunReport) -> None:
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


def _remember(mirror: Mirror, dealer_code: str, memos: Mapping[str, RawMemo]) -> None:
    """Record the raw items validated this run for the ads now holding their payloads.

    A failure costs only time: the next run validates those items again.
    """
    try:
        kept = mirror.remember(dealer_code, memos)
    except MirrorUnavailable as exc:
        log.warning("raw_memos_not_recorded", items=len(memos), error=str(exc))
        return
    log.debug("raw_memos_recorded", items=kept, offered=len(memos))


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
        )


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


def count_results(report: RunReport, results: ApplyResults) -> None:
    """Add what the executor counted (and the outcomes it moved) to the run's counts."""
    report.counts.update(results.counts)
    for key, n in results.moved.items():
        report.counts[key] = report.counts.get(key, 0) + n


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
    )


async def _validated(
    deps: Deps, job: FeedJob, options: RunOptions, raw: RawFeed, states: Mapping[str, MirrorAd]
) -> KnownFeed:
    """The feed validated against the mirror's memos, then through the passes every
    validation goes through (vehicle values, visibility); the progress bar counts its
    items (once: the validation is one pass over the whole feed).

    Skipped items are not checked against the vehicle lists (nothing is sent for
    them), so their payloads are never computed; in rehearsal mode (hidden
    payloads) every item is checked: the run that turns it on skips the live ads,
    then updates each to hidden.
    """
    task = progress_task("items validated", job.dealer_code)
    if deps.progress is not None:
        deps.progress.update(task, 0)
    # Off the event loop: a large feed takes seconds, and the daemon's other runs, its
    # health endpoint and its scheduler go on meanwhile (validation is pure).
    known = await asyncio.to_thread(
        gather.validate_against,
        raw,
        states,
        dealer_code=job.dealer_code,
        api_version=options.api_version,
    )
    valid = known.feed
    # A rehearsal sends every live ad hidden: one skipped as live with this payload is
    # still updated (its payload gains visible: false) on the run that turns it on, so
    # then every item is checked, as one that is sent.
    unchanged = was_skipped if job.visible is not False else none_unchanged
    checked = await vehicles_checked(job, valid, options.api_version, unchanged)
    feed = with_visibility(checked, job.visible)
    if deps.progress is not None:
        items = len(feed.items) + len(feed.invalid)
        deps.progress.update(task, items, items)
    memos = known.memos
    if len(checked.items) != len(valid.items):  # the vehicle check made some invalid
        kept = {item.source_id for item in checked.items}
        memos = {sid: memo for sid, memo in memos.items() if sid in kept}
    return dataclasses.replace(known, feed=feed, memos=memos)


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


def _warn_if_stale(deps: Deps, meta: FeedMeta, options: RunOptions, report: RunReport) -> None:
    stale = guards.stale_feed(meta.modified_at, deps.clock.now(), options.guards)
    if stale:
        report.warnings.append(stale)
        log.warning("feed_stale", feed=meta.path, message=stale)


async def _gather(
    deps: Deps,
    job: FeedJob,
    options: RunOptions,
    raw: RawFeed,
    unresolved: list[tuple[str | None, str]],
) -> tuple[KnownFeed, Mapping[str, MirrorAd]]:
    """Resolve the intents a crash left, then validate the feed against the mirror's
    memos, read with the states the plan is made from (one read of the mirror)."""
    await resolve_intents(deps, job.dealer_code, unresolved, max_in_flight=options.max_in_flight)
    states = deps.mirror.load_states(job.dealer_code)
    return await _validated(deps, job, options, raw, states), states


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
        _warn_if_stale(deps, meta, options, report)
        unresolved: list[tuple[str | None, str]] = []
        known, states = await _gather(deps, job, options, raw, unresolved)
        del raw  # the records validated are no longer needed: one copy of each item
        feed = known.feed
        full, report.guard = guarded_plan(feed, deps.mirror, options, states)
        settle()
        plan = guards.hold_back(full) if report.guard else full
        _report_plan(full, report)
        if report.guard:
            held = len(full.actions) - len(plan.actions)
            report.counts["held_back"] = held
            log.error(
                "guard_tripped",
                reason=report.guard,
                held_back=held,
                hint="check the feed; run with --allow-mass-delete if it is right",
            )
        log.info("plan_made", **plan.counts())
        executor = run_executor(deps, job, feed, options, len(plan.actions))
        results = await apply_deletes_last(executor, plan.actions, report)
        settled = await settle_calls(deps, executor, feed, options, results)
        count_results(report, results)
        if unresolved:
            report.counts["failed"] = report.counts.get("failed", 0) + len(unresolved)
        report.problems.extend(unresolved + results.problems)
        report.counts.update(settled)
        _remember(deps.mirror, job.dealer_code, gather.new_memos(known, states))
    log.info(
        "run_finished",
        outcome=report.outcome,
        run_id=report.run_id,
        dealer_code=job.dealer_code,
        **report.counts,
    )
    return report
