"""Shell: ``syncd release-deletes``: send the deletes a guard held back, once confirmed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from typing import NoReturn

import click
import structlog
from rich.console import Console

from syncd import bootstrap, release, runs, tables
from syncd.cli.exits import ExitCode, handle_errors
from syncd.cli.shell import dealer_jobs, global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop
from syncd.errors import GuardTripped, Stopped
from syncd.runs import RunReport
from syncd.views.reports import report_json, report_lines
from syncd.views.status import withheld_json

log = structlog.get_logger("syncd.cli")


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
    # A dealer no feed serves is a usage error (exit 2, the known dealers named), as for
    # `pin` and `adopt`: a typo, not a guard that held deletes back (8 would send an
    # operator looking for a broken feed).
    dealer_jobs(settings, dealer_code)
    stop = GracefulStop("release-deletes")
    # Assumption: a stop before the lock is taken (computing the set, the prompt) is what
    # an operator expects of a stop at any other point: exit 143/130 with a line saying
    # nothing was sent, not a traceback (SIGINT) or a kill by the default SIGTERM. So every
    # statement has a handler: raising while the set is computed and at the prompt, the
    # loop's while sending, and noted in between (the statements after the prompt and
    # asyncio.run's set-up: nothing is sent there, and the next step refuses to start).
    with stop.noting_signals():
        container = bootstrap.build(settings)
        job, shown, confirmed = _shown_and_confirmed(container, stop, dealer_code, yes, as_json)
        doc = withheld_json(shown, dealer_code, None)
        if not shown.deletes or not confirmed:
            asyncio.run(container.aclose())
            if as_json:
                print_json({"withheld": doc, "run": None})
            if not shown.deletes:
                return
            why = (
                "not confirmed" if sys.stdin.isatty() else "confirm with --yes (no terminal to ask)"
            )
            raise GuardTripped(
                f"{len(shown.deletes)} deletes held back for {dealer_code!r} were not released: "
                f"{why}",
                ids=(dealer_code,),
            )
        log.info("release_deletes_confirmed", dealer_code=dealer_code, deletes=len(shown.deletes))
        if stop.signal is not None:  # noted since the prompt: nothing was sent
            _stopped_unsent(container, stop, shown, dealer_code, as_json)
        report = asyncio.run(_release(container, job, shown, stop))
        if as_json:
            print_json({"withheld": doc, "run": None if report is None else report_json(report)})
        elif report is not None:
            click.echo("\n".join(report_lines(report)))
        if stop.signal is not None:
            stop.exit(done=0 if report is None else 1, total=1, what="release(s) of the deletes")
        if report is not None and report.failed_items:
            sys.exit(ExitCode.PARTIAL)


def _shown_and_confirmed(
    container: bootstrap.Container, stop: GracefulStop, dealer_code: str, yes: bool, as_json: bool
) -> tuple[runs.FeedJob, release.Withheld, bool]:
    """The dealer's feed, the deletes held back now (shown as a table off ``--json``) and
    whether they are confirmed (``--yes``, or asked on a terminal); a stop meanwhile
    exits 143/130, nothing sent (:func:`_stopped_unsent`)."""
    shown: release.Withheld | None = None
    try:
        with stop.raising_signals():
            job = release.job_for(dealer_code, container.jobs())
            shown = asyncio.run(_withheld(container, job, stop))
            if stop.signal is not None:  # it came as the step ended: stopped all the same
                raise Stopped(f"stopped by {stop.signal.name}", stop.signal)
            if not as_json:
                Console().print(tables.withheld_table([withheld_json(shown, dealer_code, None)]))
            confirmed = not shown.deletes or yes or asyncio.run(_asked(len(shown.deletes), stop))
    except Stopped:
        if stop.signal is None:  # not the stop's: an error like any other
            asyncio.run(container.aclose())
            raise
        _stopped_unsent(container, stop, shown, dealer_code, as_json)
    except BaseException:
        asyncio.run(container.aclose())
        raise
    return job, shown, confirmed


def _stopped_unsent(
    container: bootstrap.Container,
    stop: GracefulStop,
    shown: release.Withheld | None,
    dealer_code: str,
    as_json: bool,
) -> NoReturn:
    """A stop before anything was sent: the connections closed, the set (if it was
    shown) printed as unconfirmed with ``--json``, then exit 143/130."""
    asyncio.run(container.aclose())
    if shown is not None and as_json:  # the set was shown: the same document as unconfirmed
        print_json({"withheld": withheld_json(shown, dealer_code, None), "run": None})
    stop.exit_unsent(
        "before the deletes were computed" if shown is None else "before they were sent"
    )


async def _asked(n: int, stop: GracefulStop) -> bool:
    """:func:`_confirmed`, asked on a daemon thread while the loop handles the signals:
    a stop at the prompt ends the wait at once (Stopped), the question left unanswered.

    Assumption: not ``input()`` on the main thread with a raising handler: a signal that
    lands after the prompt is written but before the read starts would only be handled
    once a line is typed; the loop's wake-up fd never misses one."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bool] = loop.create_future()

    def settle(said: bool | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(bool(said))

    def ask() -> None:
        said: bool | None = None
        error: BaseException | None = None
        try:
            said = _confirmed(n)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting loop
            error = exc
        with contextlib.suppress(RuntimeError):  # answered after a stop: the loop is gone
            loop.call_soon_threadsafe(settle, said, error)

    async def wait() -> bool:
        return await answer

    threading.Thread(target=ask, name="syncd-confirm", daemon=True).start()
    with stop.handling_signals():
        return await stop.step(wait())


def _confirmed(n: int) -> bool:
    """Ask on a terminal (one line: ``y`` or ``yes`` confirms, anything else does not);
    off one, nothing is confirmed.

    The line is read from the descriptor itself, not through ``sys.stdin``: asked on
    :func:`_asked`'s daemon thread, a read left waiting at a stop must hold no lock the
    interpreter's exit takes (a buffered stdin's would abort the exit)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    click.echo(f"Delete these {n} ads? [y/N]: ", nl=False, err=True)
    line = os.read(sys.stdin.fileno(), 1024).decode(errors="replace")
    return line.strip().lower() in ("y", "yes")


async def _withheld(
    container: bootstrap.Container, job: runs.FeedJob, stop: GracefulStop
) -> release.Withheld:
    """The deletes held back now, computed as a step a signal cancels at once (the feed
    read or settling: nothing sent); Stopped then."""
    with stop.handling_signals():
        return await stop.step(release.withheld(job, container.mirror, container.options()))


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
