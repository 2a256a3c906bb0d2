"""Use case: saved plans: write a plan to a file, and later send exactly it, or refuse.

``make`` gathers what ``syncd plan --out`` writes (per feed: the calls a run would send,
the feed's checksum, the versions of the mirror rows those calls touch; see
``core/saved_plan.py``). ``apply`` sends exactly those calls through the executor
(intent recorded before every send), reconciles like a run and records a run row (and,
as a sync, the absent marks its plan gives: ``core.renewals.unrenewable``, and the
failures the feed took back settled: ``service.settle_taken_back``);
``check`` refuses with :class:`StalePlan` (exit 8) when the feed or any row the plan
touches changed since. The CLI checks every feed first, and each again under its
dealer's run lock just before sending, so that nothing changes in between.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson
import structlog

from syncd import leftovers, reading, runs, service
from syncd.core import guards, saved_plan
from syncd.core.models import Plan, ValidatedFeed
from syncd.core.saved_plan import PlanDocumentError, SavedPlan
from syncd.errors import PlanFileError, StalePlan
from syncd.ports import Mirror
from syncd.runs import Deps, FeedJob, RunOptions, RunReport

log = structlog.get_logger("syncd.saved_plans")


def make(feed: ValidatedFeed, mirror: Mirror, options: RunOptions) -> tuple[Plan, SavedPlan]:
    """The full plan (to show) and the plan a run would send now (to save).

    The rows' versions are read before planning: a row written in between makes the
    saved plan look stale (it is refused), never fresh.
    """
    rows = mirror.load(feed.dealer_code)
    full, guard = service.guarded_plan(feed, mirror, options)
    sent = guards.hold_back(full) if guard else full
    return full, saved_plan.save(sent, feed.meta, rows, guard)


def write(path: Path, plans: Sequence[SavedPlan], api_version: int, made_at: datetime) -> None:
    """Write the plans to ``path`` as one JSON document (replaced whole, never half-written).

    The file holds the ads' payloads, contact data included (names, phones, e-mail
    addresses): it is readable by its owner only (mode 0600), whatever the umask.
    """
    doc = saved_plan.to_document(plans, api_version, made_at)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.unlink(missing_ok=True)  # a leftover may have other modes: start anew
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        partial.replace(path)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot write the plan ({exc.strerror})") from exc


def read(path: Path, api_version: int) -> list[SavedPlan]:
    """The plans saved in ``path``; raises PlanFileError naming the file and the reason."""
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan ({exc.strerror})") from exc
    except orjson.JSONDecodeError as exc:
        raise PlanFileError(f"{path}: not a saved plan (not JSON: {exc})") from exc
    try:
        return saved_plan.from_document(doc, api_version)
    except PlanDocumentError as exc:
        raise PlanFileError(f"{path}: {exc}") from exc


def job_for(saved: SavedPlan, jobs: Sequence[FeedJob], source: Path) -> FeedJob:
    """The configured feed the saved plan was made for; StalePlan when there is none."""
    for job in jobs:
        if job.dealer_code == saved.dealer_code:
            return job
    raise StalePlan(
        f"{source}: made for dealer {saved.dealer_code or '(token dealer)'!r}, which has no "
        "configured feed now; nothing was sent",
        ids=(saved.dealer_code,),
    )


def check(
    saved: SavedPlan, feed: ValidatedFeed, mirror: Mirror, source: Path, options: RunOptions
) -> Plan:
    """Raise StalePlan saying what changed if the feed or an affected row is not as saved,
    or if the file's calls are not those the same feed and rows give (an edited file).
    The full plan the same feed and rows give now (whose calls the file holds)."""
    if feed.meta.path != saved.feed_path or feed.meta.checksum != saved.feed_checksum:
        raise StalePlan(
            f"{source}: the feed {feed.meta.path} changed since the plan was made "
            f"(checksum {saved.feed_checksum[:12]}, now {feed.meta.checksum[:12]}"
            + ("" if feed.meta.path == saved.feed_path else f"; was read from {saved.feed_path}")
            + "); nothing was sent: make a new plan"
        )
    changed = saved_plan.changed_rows(saved, mirror.load(saved.dealer_code))
    if changed:
        shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if changed[10:] else "")
        raise StalePlan(
            f"{source}: {len(changed)} mirror row(s) the plan touches changed since it was made "
            f"({shown}); nothing was sent: make a new plan",
            ids=changed,
        )
    # The feed and the rows are as saved, so planning again must give the same calls:
    # a file whose calls differ was edited (a delete slipped in for an ad the feed
    # still has), and is refused rather than sent behind the guards' back.
    full, fresh = make(feed, mirror, options)
    if _calls(fresh) != _calls(saved):
        raise StalePlan(
            f"{source}: the plan's calls are not those its feed and mirror give (was the "
            f"file edited?); nothing was sent: make a new plan"
        )
    return full


def _calls(plan: SavedPlan) -> list[str]:
    return sorted(
        orjson.dumps(saved_plan.action_doc(a), option=orjson.OPT_SORT_KEYS).decode()
        for a in plan.actions
    )


async def apply(
    deps: Deps, job: FeedJob, options: RunOptions, saved: SavedPlan, source: Path
) -> RunReport:
    """Check the plan, resolve the intents a crash left (as ``run-once`` does:
    :mod:`syncd.leftovers`), then send exactly the plan's calls and reconcile; one run row.

    The caller holds the dealer's run lock, so nothing changes the rows between the
    check and the sends. The check comes first: the plan was made with those rows
    waiting (no call planned for them), and the calls it holds touch none of them.
    """
    feed = await reading.load_feed(job, options.api_version)
    full = check(saved, feed, deps.mirror, source, options)
    with runs.run_envelope(deps, job.dealer_code, feed.meta) as report:
        unresolved: list[tuple[str | None, str]] = []
        full = await leftovers.resolve(
            deps, feed, options, report, full=full, unresolved=unresolved
        )
        # Marked and settled as a sync marks and settles (the plan checked just now is
        # the saved one: same feed, same rows; planned again once a crash's intents are
        # resolved). The rows settled are none the saved calls touch: the plan has no
        # call for an ad whose feed item is the version the API holds, or is gone.
        states = deps.mirror.load_states(job.dealer_code)
        service.record_marks(deps, job.dealer_code, full, feed, report)
        service.settle_taken_back(deps, full, states)
        report.warnings.append(f"applied the saved plan {source}")
        if saved.guard:  # what the plan held back stays held back; the calls it has are sent
            report.warnings.append(f"the plan holds back deletes and creates: {saved.guard}")
        report.counts.update(Plan(saved.dealer_code, saved.actions).counts())
        log.info("saved_plan_applying", source=str(source), calls=len(saved.actions))
        executor = service.run_executor(deps, job, feed, options, len(saved.actions))
        results = await service.apply_deletes_last(executor, saved.actions, report)
        # The feed is as saved: planning again gives the PATCHes owed to new ads.
        settled = await service.settle_calls(deps, executor, feed, options, results)
        runs.count_results(report, results)
        leftovers.count_unresolved(report, unresolved)
        report.problems.extend(results.problems)
        report.counts.update(settled)
    log.info("saved_plan_applied", outcome=report.outcome, **report.counts)
    return report
