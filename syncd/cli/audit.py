"""Shell: ``syncd audit``: find the ads changed behind syncd's back, and record them."""

from __future__ import annotations

import asyncio
import sys

import click

from syncd import audit, bootstrap
from syncd.cli.exits import ExitCode, handle_errors
from syncd.cli.shell import dealer_jobs, global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop


@click.command("audit")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--dry-run", is_flag=True, help="Write nothing; say what would be recorded.")
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON.")
@click.pass_context
@handle_errors
def audit_cmd(ctx: click.Context, dealer_code: str | None, dry_run: bool, as_json: bool) -> None:
    """Compare the mirror with the ads the API lists and record what changed outside syncd."""
    settings = settings_of(ctx)
    # One audit per dealer, however many feeds it has (a dealer group's feeds share it).
    dealers = list(dict.fromkeys(j.dealer_code for j in dealer_jobs(settings, dealer_code)))
    container = bootstrap.build(settings)
    stop = GracefulStop("audit")

    async def go() -> list[audit.AuditReport]:
        """Each dealer audited under its run lock (never beside a run of it); a stop
        signal cancels the listing at once (a read) or ends the wait for a lock, and
        never cuts a dealer's recording short (no await in it)."""
        reports: list[audit.AuditReport] = []
        async with stop.stoppable(container.aclose):
            for dealer in dealers:
                work = audit.audit(
                    container.mirror, container.catalog, container.clock, dealer, dry_run=dry_run
                )
                lock, wait = container.run_lock, settings.sync.lock_wait
                reports.append(await stop.locked(lock, dealer, work, wait=wait))
        return reports

    reports = asyncio.run(go())
    if as_json:
        print_json([audit.audit_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(audit.audit_lines(r)))
    if stop.signal is not None:  # the dealers audited in full are printed above
        stop.exit(done=len(reports), total=len(dealers), what="dealer(s) audited")
    # Assumption: a drift is news an operator (or cron's mail) should see, as a plan with
    # changes is for `plan --detailed-exitcode`; recorded or not, the code says it.
    if any(sum(r.counts.values()) for r in reports):
        sys.exit(ExitCode.DRIFT)
