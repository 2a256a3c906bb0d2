"""Shell: ``syncd db upgrade`` and ``adopt``: create, migrate or rebuild the mirror."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import click

from syncd import adopt, bootstrap
from syncd.cli.exits import handle_errors
from syncd.cli.progress import progress_bar
from syncd.cli.shell import dealer_jobs, global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop
from syncd.core.models import ValidatedFeed
from syncd.ports import Progress


@click.group("db")
@global_options
def db() -> None:
    """Manage the mirror database."""


@db.command("upgrade")
@global_options
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the mirror's schema to this version of syncd."""
    settings = settings_of(ctx)
    bootstrap.build_engine(settings, upgrade=True).dispose()
    click.echo("database schema is up to date")


@click.command("adopt")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--dry-run", is_flag=True, help="Write nothing; say what would be adopted.")
@click.option("--json", "as_json", is_flag=True, help="Print the adoption as JSON.")
@click.pass_context
@handle_errors
def adopt_cmd(ctx: click.Context, dealer_code: str | None, dry_run: bool, as_json: bool) -> None:
    """Build or repair the mirror from the ads the API holds (README: The mirror was lost)."""
    settings = settings_of(ctx)
    jobs = dealer_jobs(settings, dealer_code)
    container = bootstrap.build(settings)

    stop = GracefulStop("adopt")

    async def go(progress: Progress | None) -> list[adopt.AdoptReport]:
        """Each dealer adopted under its run lock, its feed read first (without it, what
        the mirror must hold cannot be decided: a FeedError stops, nothing written). A
        stop signal cancels the listing at once (a read: nothing is lost) or ends the
        wait for a lock; it never cuts a dealer's recording short (no await in it)."""
        reports: list[adopt.AdoptReport] = []

        def adopting(feed: ValidatedFeed) -> Coroutine[Any, Any, adopt.AdoptReport]:
            mirror, catalog, clock = container.mirror, container.catalog, container.clock
            return adopt.adopt(mirror, catalog, clock, feed, dry_run=dry_run, progress=progress)

        async with stop.stoppable(container.aclose):
            lock, wait = container.run_lock, settings.sync.lock_wait
            await stop.each_feed(lock, jobs, settings.api.version, adopting, reports, wait=wait)
        return reports

    with progress_bar(as_json=as_json) as progress:
        reports = asyncio.run(go(progress))
    if as_json:
        print_json([adopt.adopt_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(adopt.adopt_lines(r)))
    if stop.signal is not None:  # the dealers adopted in full are printed above
        stop.exit(done=len(reports), total=len(jobs), what="dealer(s) adopted")
