"""Shell: ``syncd run-once``: every feed synced once, by hand or from cron.

It imports nothing for a terminal's tables (rich) or the sandbox: against the
real API a run loads only what it sends with (start-up time, issue 12).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from typing import Any

import click

from syncd import bootstrap, renewals, service
from syncd.cli.exits import (
    ExitCode,
    error_line,
    exit_code_for,
    failed_report_json,
    handle_errors,
)
from syncd.cli.progress import progress_bar
from syncd.cli.shell import global_options, print_json, settings_of, with_feeds
from syncd.cli.stopping import GracefulStop
from syncd.core.models import RunOutcome
from syncd.errors import ApiAuthError, ApiScopeError, GuardTripped, Stopped, SyncdError
from syncd.ports import Progress
from syncd.runs import RunReport
from syncd.views.reports import report_json, report_lines


@dataclasses.dataclass(slots=True)
class _Outcome:
    """What ``run-once`` did: the reports of the feeds synced, their errors, the
    renewals, and the stop signal that ended it early (if one did)."""

    reports: list[RunReport] = dataclasses.field(default_factory=list)
    errors: list[SyncdError] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)  # each error's dealer
    renewed: list[renewals.PolicyReport] = dataclasses.field(default_factory=list)
    stop: GracefulStop = dataclasses.field(default_factory=GracefulStop)
    feeds: int = 0  # configured

    def failed_with(self, dealer_code: str, exc: SyncdError) -> None:
        """Record an error that stopped a dealer's feed (or its token check)."""
        self.errors.append(exc)
        self.failed.append(dealer_code)


async def _check_token(container: bootstrap.Container, stop: GracefulStop, done: _Outcome) -> bool:
    """``--check-token``: one authenticated read per dealer (``GET /ad?limit=1``); False
    when the API refused the token (nothing more is sent: exit 5)."""
    for dealer in sorted({job.dealer_code for job in container.jobs()}) or [""]:
        try:
            await stop.step(container.token_checker.check_token(dealer))
        except Stopped:
            return False  # a signal: no feed runs (the stop's exit follows)
        except ApiAuthError as exc:
            done.failed_with(dealer, exc)
            return False
        except SyncdError as exc:
            # Assumption: an API that cannot answer says nothing of the token; the
            # sync still runs (a no-op needs no API) and the exit code is the outage's.
            done.failed_with(dealer, exc)
            return True
    return True


async def _run_all(
    container: bootstrap.Container,
    *,
    allow_mass_delete: bool,
    progress: Progress | None = None,
    check_token: bool = False,
) -> _Outcome:
    """Sync each feed under its dealer's run lock, then run the renewal policies of that
    dealer (if any) under the same lock; one feed's failure does not stop the others,
    except a refused token (401), which would fail them all the same way. With
    ``check_token`` a refused token's check runs no feed at all. SIGTERM or
    SIGINT stops it between calls (:mod:`syncd.cli.stopping`), or ends the wait for a
    dealer's run lock: no further feed runs."""
    done = _Outcome()
    stop = done.stop
    wait = container.settings.sync.lock_wait
    options = container.options(allow_mass_delete=allow_mass_delete)
    deps = dataclasses.replace(stop.gated(container.deps()), progress=progress)
    renewal_deps = dataclasses.replace(
        container.renewal_deps(), renewer=stop.renewer(container.renewal_deps().renewer)
    )
    policies = container.policies()
    jobs = container.jobs()
    done.feeds = len(jobs)
    with stop.handling_signals():
        try:
            if check_token and not await _check_token(container, stop, done):
                jobs = []
            for job in jobs:
                try:
                    async with stop.run_lock(container.run_lock, job.dealer_code, wait=wait):
                        done.reports.append(await stop.step(service.sync(deps, job, options)))
                        # After the sync: the mirror then knows which ads are live and published.
                        done.renewed += await stop.step(
                            renewals.run_policies(
                                renewal_deps,
                                policies,
                                job.dealer_code,
                                api_version=options.api_version,
                            )
                        )
                except Stopped:
                    break
                except SyncdError as exc:
                    done.failed_with(job.dealer_code, exc)
                    if isinstance(exc, ApiAuthError) and not isinstance(exc, ApiScopeError):
                        break  # the token itself is refused: every other feed would fail alike
                if stop.signal is not None:
                    break
        finally:
            stop.closing = True  # the work is done as far as it goes (GracefulStop.request)
            await container.aclose()
    return done


def _add_renewals(docs: list[dict[str, Any]], renewed: list[renewals.PolicyReport]) -> None:
    """Each report's ``renewals``: its dealer's policy reports, given once per dealer.

    Assumption: a dealer's renewals belong to its report, never to a failed entry: the
    policies run only after the dealer's sync finished (its report), under the same
    lock, and a failure of theirs is its own failed entry (its ``error``, its exit) with
    ``renewals`` empty, as is a failed token check's or feed's (no policy ran for it).
    Given on one entry only, a script summing the renewals counts each paid call once.
    """
    given: set[str] = set()
    for doc in docs:
        dealer = doc["dealer_code"]
        mine = [] if dealer in given else [p for p in renewed if p.dealer_code == dealer]
        given.add(dealer)
        doc["renewals"] = [renewals.report_json(p) for p in mine]


@click.command("run-once")
@global_options
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Apply deletes even when a guard says the feed looks broken.",
)
@click.option(
    "--check-token",
    is_flag=True,
    help="First check the API token with one read per dealer; exit 5 if it is refused.",
)
@click.pass_context
@handle_errors
def run_once(ctx: click.Context, as_json: bool, allow_mass_delete: bool, check_token: bool) -> None:
    """Sync every configured feed once: plan, send, and reconcile the outcomes.

    Without ``--check-token`` a run with nothing to send sends no request at all, so
    it cannot tell a refused token (the daemon checks it by itself)."""
    settings = with_feeds(settings_of(ctx))
    container = bootstrap.build(settings)
    with progress_bar(as_json=as_json) as progress:
        done = asyncio.run(
            _run_all(
                container,
                allow_mass_delete=allow_mass_delete,
                progress=progress,
                check_token=check_token,
            )
        )
    reports, errors, renewed = done.reports, done.errors, done.renewed
    if as_json:
        docs = [report_json(r) for r in reports]
        if settings.renewal:  # the key only with policies: the shape is unchanged otherwise
            _add_renewals(docs, renewed)
        # A feed that failed has an entry too: `[]` would read as "nothing ran".
        failures = [failed_report_json(d, exc) for d, exc in zip(done.failed, errors, strict=True)]
        if settings.renewal:
            for doc in failures:
                doc["renewals"] = []  # a report's keys; its dealer's renewals are on its report
        print_json(docs + failures)
    else:
        for r in reports:
            click.echo("\n".join(report_lines(r)))
        for p in renewed:
            click.echo(renewals.report_line(p))
    for exc in errors:
        click.echo(error_line(exc), err=True)
    if done.stop.signal is not None:
        # As run-once said it before the other commands stopped gracefully (log alerts
        # read it): its event's fields feeds_synced and feeds, and no line of its own for
        # a wait for a lock that the signal ended (run_lock_wait_stopped tells of it).
        done.stop.exit(
            done=len(reports),
            total=done.feeds,
            what="feed(s) synced",
            counted=("feeds_synced", "feeds"),
            wait_line=False,
        )
    if errors:
        sys.exit(exit_code_for(errors[0]))
    guarded = [
        f"{r.dealer_code or '(token dealer)'}: {r.guard}"
        for r in reports
        if r.outcome is RunOutcome.GUARDED
    ]
    if guarded:  # the run finished, its updates went out; the exit code is the guard's
        raise GuardTripped(
            "deletes and creates held back for " + "; ".join(guarded),
            ids=(r.dealer_code for r in reports),
        )
    if any(r.failed_items for r in reports):
        sys.exit(ExitCode.PARTIAL)
