"""Shell: ``syncd run-once``: every feed synced once, by hand or from cron.

It imports nothing for a terminal's tables (rich) or the sandbox: against the
real API a run loads only what it sends with (start-up time, issue 12).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys

import click

from syncd import bootstrap, renewals, service, views
from syncd.cli.exits import ExitCode, error_line, exit_code_for, handle_errors
from syncd.cli.progress import progress_bar
from syncd.cli.shell import global_options, print_json, settings_of, with_feeds
from syncd.core.models import RunOutcome
from syncd.errors import ApiAuthError, ApiScopeError, GuardTripped, SyncdError
from syncd.ports import Progress
from syncd.service import RunReport


async def _run_all(
    container: bootstrap.Container, *, allow_mass_delete: bool, progress: Progress | None = None
) -> tuple[list[RunReport], list[SyncdError], list[renewals.PolicyReport]]:
    """Sync each feed under its dealer's run lock, then run the renewal policies of that
    dealer (if any) under the same lock; one feed's failure does not stop the others,
    except a refused token (401), which would fail them all the same way."""
    reports: list[RunReport] = []
    errors: list[SyncdError] = []
    renewed: list[renewals.PolicyReport] = []
    wait = container.settings.sync.lock_wait
    options = container.options(allow_mass_delete=allow_mass_delete)
    deps = dataclasses.replace(container.deps(), progress=progress)
    policies = container.policies()
    try:
        for job in container.jobs():
            try:
                with container.run_lock.hold(job.dealer_code, wait=wait):
                    reports.append(await service.sync(deps, job, options))
                    # After the sync: the mirror then knows which ads are live and published.
                    renewed += await renewals.run_policies(
                        container.renewal_deps(),
                        policies,
                        job.dealer_code,
                        api_version=options.api_version,
                    )
            except SyncdError as exc:
                errors.append(exc)
                if isinstance(exc, ApiAuthError) and not isinstance(exc, ApiScopeError):
                    break  # the token itself is refused: every other feed would fail alike
    finally:
        await container.aclose()
    return reports, errors, renewed


@click.command("run-once")
@global_options
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Apply deletes even when a guard says the feed looks broken.",
)
@click.pass_context
@handle_errors
def run_once(ctx: click.Context, as_json: bool, allow_mass_delete: bool) -> None:
    """Sync every configured feed once: plan, send, and reconcile the outcomes."""
    settings = with_feeds(settings_of(ctx))
    container = bootstrap.build(settings)
    with progress_bar(as_json=as_json) as progress:
        reports, errors, renewed = asyncio.run(
            _run_all(container, allow_mass_delete=allow_mass_delete, progress=progress)
        )
    if as_json:
        docs = [views.report_json(r) for r in reports]
        if settings.renewal:  # the key only with policies: the shape is unchanged otherwise
            for doc in docs:
                doc["renewals"] = [
                    renewals.report_json(p) for p in renewed if p.dealer_code == doc["dealer_code"]
                ]
        print_json(docs)
    else:
        for r in reports:
            click.echo("\n".join(views.report_lines(r)))
        for p in renewed:
            click.echo(renewals.report_line(p))
    for exc in errors:
        click.echo(error_line(exc), err=True)
    if errors:
        sys.exit(exit_code_for(errors[0]))
    guarded = [
        f"{r.dealer_code or '(token dealer)'}: {r.guard}"
        for r in reports
        if r.outcome is RunOutcome.GUARDED
    ]
    if guarded:  # the run finished, its updates went out; the exit code is the guard's
        raise GuardTripped("deletes and creates held back for " + "; ".join(guarded))
    if any(r.failed_items for r in reports):
        sys.exit(ExitCode.PARTIAL)
