"""Shell: ``syncd db upgrade`` and ``adopt``: create, migrate or rebuild the mirror."""

from __future__ import annotations

import asyncio

import click

from syncd import adopt, bootstrap
from syncd.cli.exits import handle_errors
from syncd.cli.progress import progress_bar
from syncd.cli.shell import dealer_jobs, global_options, print_json, settings_of
from syncd.cli.stopping import run_locks
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

    async def go(progress: Progress | None) -> list[adopt.AdoptReport]:
        deps = adopt.AdoptDeps(
            container.mirror,
            container.catalog,
            container.clock,
            run_locks(container.run_lock, wait=settings.sync.lock_wait),
            progress,
        )
        try:
            return await adopt.adopt_feeds(
                deps, jobs, api_version=settings.api.version, dry_run=dry_run
            )
        finally:
            await container.aclose()

    with progress_bar(as_json=as_json) as progress:
        reports = asyncio.run(go(progress))
    if as_json:
        print_json([adopt.adopt_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(adopt.adopt_lines(r)))
