"""Shell: ``syncd release-deletes``: send the deletes a guard held back, once confirmed."""

from __future__ import annotations

import asyncio
import sys

import click
from rich.console import Console

from syncd import bootstrap, release, runs, tables
from syncd.cli.exits import ExitCode, handle_errors
from syncd.cli.shell import global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop
from syncd.errors import GuardTripped
from syncd.runs import RunReport
from syncd.views.reports import report_json, report_lines
from syncd.views.status import withheld_json


@click.command("release-deletes")
@global_options
@click.option("--dealer", "dealer_code", required=True, help='The dealer_code ("": the token\'s).')
@click.option("--yes", is_flag=True, help="Delete them without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print the set and the run report as JSON.")
@click.pass_context
@handle_errors
def release_deletes(ctx: click.Context, dealer_code: str, yes: bool, as_json: bool) -> None:
    """Show the deletes a guard holds back for a dealer, and on confirmation send exactly them.

    Off a terminal, without --yes, it only shows them and exits 8 (GUARD).
    """
    settings = settings_of(ctx)
    container = bootstrap.build(settings)
    try:
        job = release.job_for(dealer_code, container.jobs())
        shown = asyncio.run(release.withheld(job, container.mirror, container.options()))
    except BaseException:
        asyncio.run(container.aclose())
        raise
    doc = withheld_json(shown, dealer_code, None)
    if not as_json:
        Console().print(tables.withheld_table([doc]))
    if not shown.deletes:
        asyncio.run(container.aclose())
        if as_json:
            print_json({"withheld": doc, "run": None})
        return
    if not yes and not _confirmed(len(shown.deletes)):
        asyncio.run(container.aclose())
        if as_json:
            print_json({"withheld": doc, "run": None})
        why = "not confirmed" if sys.stdin.isatty() else "confirm with --yes (no terminal to ask)"
        raise GuardTripped(
            f"{len(shown.deletes)} deletes held back for {dealer_code!r} were not released: {why}",
            ids=(dealer_code,),
        )
    stop = GracefulStop("release-deletes")
    report = asyncio.run(_release(container, job, shown, stop))
    if as_json:
        print_json({"withheld": doc, "run": None if report is None else report_json(report)})
    elif report is not None:
        click.echo("\n".join(report_lines(report)))
    if stop.signal is not None:
        stop.exit(done=0 if report is None else 1, total=1, what="release(s) of the deletes")
    if report is not None and report.failed_items:
        sys.exit(ExitCode.PARTIAL)


def _confirmed(n: int) -> bool:
    """Ask on a terminal; off one, nothing is confirmed."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    return click.confirm(f"Delete these {n} ads?", default=False, err=True)


async def _release(
    container: bootstrap.Container, job: runs.FeedJob, shown: release.Withheld, stop: GracefulStop
) -> RunReport | None:
    """Send the deletes under the dealer's run lock; None when a SIGTERM/SIGINT stopped it
    (as it stops ``run-once``: the deletes in flight answered and recorded, no other
    sent, the run recorded as interrupted; or the wait for the lock ended, nothing sent)."""
    deps = stop.gated(container.deps())
    async with stop.stoppable(container.aclose):
        releasing = release.release(deps, job, container.options(), shown)
        wait = container.settings.sync.lock_wait
        return await stop.locked(container.run_lock, job.dealer_code, releasing, wait=wait)
    return None
