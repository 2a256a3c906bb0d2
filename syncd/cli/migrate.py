"""Shell: ``syncd migrate-v4``: v3 mopeds, campers, caravans and trailers made v4 in place."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import click

from syncd import bootstrap, migrate_v4
from syncd.cli.exits import ExitCode, handle_errors
from syncd.cli.shell import dealer_jobs, global_options, print_json, settings_of
from syncd.cli.stopping import GracefulStop
from syncd.core.models import ValidatedFeed
from syncd.errors import ConfigError


@click.command("migrate-v4")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--dry-run", is_flag=True, help="Send nothing; list what would be migrated.")
@click.option("--json", "as_json", is_flag=True, help="Print the migration as JSON.")
@click.pass_context
@handle_errors
def migrate_v4_cmd(
    ctx: click.Context, dealer_code: str | None, dry_run: bool, as_json: bool
) -> None:
    """Migrate the v3 ads that v4 cannot update (moped, camper, caravan, trailer) to v4."""
    settings = settings_of(ctx)
    if settings.api.version != 4:
        # Once migrated, an ad is a v4 one: a syncd still on v3 could not update it.
        raise ConfigError(f"{settings.source}: api.version: set it to 4 before migrate-v4")
    jobs = dealer_jobs(settings, dealer_code)
    container = bootstrap.build(settings)

    stop = GracefulStop("migrate-v4")

    async def go() -> list[migrate_v4.MigrateReport]:
        """Each dealer migrated under its run lock, its feed read as v4 first; a stop
        signal stops it as it stops ``run-once``, the migrations in flight answered and
        recorded, the next one never sent (its intent read back by the next run)."""
        deps = migrate_v4.MigrateDeps(
            container.mirror,
            container.catalog,
            stop.marketplace(container.marketplace),
            stop.migrator(container.migrator),
            container.clock,
        )
        reports: list[migrate_v4.MigrateReport] = []

        def migrating(feed: ValidatedFeed) -> Coroutine[Any, Any, migrate_v4.MigrateReport]:
            return migrate_v4.migrate(deps, feed, container.options(), dry_run=dry_run)

        async with stop.stoppable(container.aclose):
            lock, wait = container.run_lock, settings.sync.lock_wait
            await stop.each_feed(lock, jobs, 4, migrating, reports, wait=wait)  # read as v4
        return reports

    reports = asyncio.run(go())
    if as_json:
        print_json([migrate_v4.migrate_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(migrate_v4.migrate_lines(r)))
    if stop.signal is not None:  # the dealers migrated in full are printed above
        stop.exit(done=len(reports), total=len(jobs), what="dealer(s) migrated")
    if any(r.failed for r in reports):
        sys.exit(ExitCode.PARTIAL)
