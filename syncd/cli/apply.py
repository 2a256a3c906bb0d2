"""Shell: ``syncd apply FILE``: a saved plan (``plan --out``) checked whole, then sent exactly.

Every dealer's saved plan is checked against its feed and the mirror before any is
sent; then each is applied under its dealer's run lock, in the file's order. The
result is, per saved plan, its run report or the error that kept it from being
applied, as ``run-once`` gives a feed's report or its failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from syncd import bootstrap, reading, saved_plans
from syncd.cli.exits import (
    ExitCode,
    error_line,
    error_text,
    exit_code_for,
    failed_report_json,
    handle_errors,
)
from syncd.cli.shell import global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop
from syncd.core import saved_plan
from syncd.errors import Stopped, SyncdError
from syncd.runs import FeedJob, RunReport
from syncd.views.reports import report_json, report_lines


@dataclasses.dataclass(slots=True)
class _Applied:
    """What ``apply`` did, in the file's order: the reports of the dealers applied in
    full, then the dealers whose own check or apply failed (with the error), then
    those held back (not applied) because of the first of those failures."""

    reports: list[RunReport] = dataclasses.field(default_factory=list)
    failed: list[tuple[str, SyncdError]] = dataclasses.field(default_factory=list)
    held: list[str] = dataclasses.field(default_factory=list)


def _own_error(exc: SyncdError, stop: GracefulStop) -> bool:
    """Whether an error is one dealer's failure to report, not the stop's (a signal's
    Stopped, or an error once stopping: :meth:`GracefulStop.stoppable` handles those)."""
    return not isinstance(exc, Stopped) and stop.signal is None


async def _check_all(
    container: bootstrap.Container,
    saved: list[saved_plan.SavedPlan],
    path: Path,
    stop: GracefulStop,
) -> list[tuple[saved_plan.SavedPlan, FeedJob | SyncdError]]:
    """Each saved plan with its feed's job, or the error its check found: the dealer has
    no feed now, the feed cannot be read, or the feed or a row it touches changed
    (StalePlan). Assumption: every plan is checked even after one failed, so that one
    ``apply`` names every stale or unreadable feed of the file, not only the first."""
    checked: list[tuple[saved_plan.SavedPlan, FeedJob | SyncdError]] = []
    for s in saved:
        try:
            job = saved_plans.job_for(s, container.jobs(), path)
            feed = await reading.load_feed(job, container.settings.api.version)
            saved_plans.check(s, feed, container.mirror, path, container.options())
        except SyncdError as exc:
            if not _own_error(exc, stop):
                raise
            checked.append((s, exc))
        else:
            checked.append((s, job))
    return checked


async def _apply_all(
    container: bootstrap.Container,
    path: Path,
    saved: list[saved_plan.SavedPlan],
    stop: GracefulStop,
) -> _Applied:
    """Check every feed's saved plan, then apply each under its dealer's run lock. The
    first SIGTERM/SIGINT stops it as it stops ``run-once`` (:mod:`syncd.cli.stopping`):
    between calls, or at once while a feed is read or a lock waited for; no later
    dealer's plan is applied.

    Assumption: the file is applied whole or not at all as far as its checks go: one
    failed check sends nothing for any dealer (the others are held back). A dealer
    whose apply fails (its lock held by another run, the API down, its feed changed
    since the check) stops the command too: the later dealers are held back, so that
    ``apply FILE`` can be run again once that is fixed (a later dealer applied now
    would make the file stale for the next try)."""
    done = _Applied()
    deps = stop.gated(container.deps())
    async with stop.stoppable(container.aclose):
        checked = await stop.step(_check_all(container, saved, path, stop))  # before any send
        done.failed = [(s.dealer_code, r) for s, r in checked if isinstance(r, SyncdError)]
        if done.failed:
            done.held = [s.dealer_code for s, r in checked if not isinstance(r, SyncdError)]
            return done
        jobs = [(s, r) for s, r in checked if not isinstance(r, SyncdError)]
        for index, (s, job) in enumerate(jobs):
            applying = saved_plans.apply(deps, job, container.options(), s, path)
            wait = container.settings.sync.lock_wait
            try:
                report = await stop.locked(container.run_lock, job.dealer_code, applying, wait=wait)
            except SyncdError as exc:
                if not _own_error(exc, stop):
                    raise
                done.failed.append((job.dealer_code, exc))
                done.held = [later.dealer_code for later, _ in jobs[index + 1 :]]
                break
            done.reports.append(report)
    return done


def _held_json(dealer_code: str, path: Path, first: tuple[str, SyncdError]) -> dict[str, Any]:
    """The entry of a dealer whose plan was not applied because another dealer's failed:
    a failure entry whose error says so and quotes that failure.

    Assumption: it carries that failure's exit code, which is the command's: what
    unblocks this dealer is what that code asks for (fix the feed, make a new plan,
    retry later), not anything about this dealer's own plan."""
    dealer, cause = first
    text = (
        f"{path}: not applied, nothing was sent for it: the plan of dealer "
        f"{dealer or '(token dealer)'!r} failed first ({error_text(cause)})"
    )
    return {**failed_report_json(dealer_code, cause), "error": text}


def _held_line(path: Path, done: _Applied) -> SyncdError:
    """The stderr line naming the dealers held back (their codes kept whole)."""
    names = ", ".join(repr(d or "(token dealer)") for d in done.held)
    first = done.failed[0][0] or "(token dealer)"
    return SyncdError(
        f"{path}: not applied for {names} (nothing was sent for them), as dealer {first!r} "
        "failed first",
        ids=(*done.held, first),
    )


def _print(done: _Applied, path: Path, *, as_json: bool) -> None:
    """The reports and failures on stdout (JSON or lines), each error's line on stderr."""
    if as_json:
        docs = [report_json(r) for r in done.reports]
        # As run-once --json: a dealer that failed, or was held back, has an entry too.
        docs += [failed_report_json(d, exc) for d, exc in done.failed]
        docs += [_held_json(d, path, done.failed[0]) for d in done.held]
        print_json(docs)
    else:
        for r in done.reports:
            click.echo("\n".join(report_lines(r)))
    for _, exc in done.failed:
        click.echo(error_line(exc), err=True)
    if done.held:
        click.echo(error_line(_held_line(path, done)), err=True)


@click.command("apply")
@global_options
@click.argument("plan_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.pass_context
@handle_errors
def apply_cmd(ctx: click.Context, plan_file: Path, as_json: bool) -> None:
    """Send exactly the plan saved by `syncd plan --out FILE`, then reconcile.

    Refuses (exit 8) when the feed or a mirror row the plan touches changed since.
    """
    settings = settings_of(ctx)
    saved = saved_plans.read(plan_file, settings.api.version)
    stop = GracefulStop("apply")
    done = asyncio.run(_apply_all(bootstrap.build(settings), plan_file, saved, stop))
    _print(done, plan_file, as_json=as_json)
    if stop.signal is not None:  # the dealers applied in full are printed above
        stop.exit(done=len(done.reports), total=len(saved), what="dealer(s)' plans applied")
    if done.failed:
        sys.exit(exit_code_for(done.failed[0][1]))
    if any(r.failed_items for r in done.reports):
        sys.exit(ExitCode.PARTIAL)
