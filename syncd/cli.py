"""The ``syncd`` command line.

Every command takes ``--config PATH`` (default ``./syncd.toml`` or
``$SYNCD_CONFIG``) or ``--demo`` (embedded defaults: SQLite mirror in the
current folder, the bundled sample feed, the built-in sandbox in-process).
Exit codes are the named constants of :class:`ExitCode`, documented in the README.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
import structlog
from rich.console import Console

from syncd import bootstrap, config, logs, service, views
from syncd.daemon.process import Daemon
from syncd.errors import (
    ApiAuthError,
    ApiScopeError,
    ConfigError,
    FeedError,
    GuardTripped,
    PermanentError,
    RunLocked,
    SchemaError,
    SyncdError,
    TemporaryError,
)
from syncd.sandbox.cli import sandbox
from syncd.service import RunReport

log = structlog.get_logger("syncd.cli")
F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """What a supervisor (systemd, cron, CI) can act on."""

    OK = 0  # everything in the feed is where it should be (or on its way)
    INTERNAL = 1  # a bug: an unexpected exception (traceback in the log)
    USAGE = 2  # wrong command-line arguments (click's own code)
    CONFIG = 3  # the configuration file is missing or invalid
    FEED = 4  # a feed file cannot be read or parsed; nothing was sent
    AUTH = 5  # the API refused the token (401/403); nothing more was sent
    PARTIAL = 6  # the run finished, but some items are invalid, rejected or failed
    TEMPORARY = 7  # the API or the database is unavailable; retry later
    GUARD = 8  # a safety guard (mass delete) refused the plan
    LOCKED = 9  # another run holds the lock for this dealer
    SCHEMA = 10  # the mirror's schema needs `syncd db upgrade` (or a newer syncd)


def exit_code_for(exc: SyncdError) -> ExitCode:
    """The exit code for an error that stopped a command."""
    for kind, code in (
        (ConfigError, ExitCode.CONFIG),
        (FeedError, ExitCode.FEED),
        (ApiAuthError, ExitCode.AUTH),
        (GuardTripped, ExitCode.GUARD),
        (RunLocked, ExitCode.LOCKED),
        (SchemaError, ExitCode.SCHEMA),
        (TemporaryError, ExitCode.TEMPORARY),
        (PermanentError, ExitCode.INTERNAL),
    ):
        if isinstance(exc, kind):
            return code
    return ExitCode.INTERNAL


def _settings(ctx: click.Context) -> config.Settings:
    obj = ctx.ensure_object(dict)
    if obj.get("demo"):
        settings = bootstrap.demo_settings(Path.cwd())
    else:
        path = config.config_path(obj.get("config"))
        settings = config.load(path)
        if config.token_file_exposed(settings, path):
            log.warning(
                "config_token_readable_by_others",
                path=str(path),
                hint="chmod 600 the file, or use api.token_file",
            )
    logs.configure(obj.get("log_level") or settings.log.level, settings.log.format)
    return settings


def handle_errors(func: F) -> F:
    """Turn syncd's errors into a one-line message on stderr and a named exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyncdError as exc:
            click.echo(f"syncd: {exc}", err=True)
            sys.exit(exit_code_for(exc))

    return wrapper  # type: ignore[return-value]


@click.group()
@click.option(
    "--config",
    "config_file",
    metavar="PATH",
    envvar=config.CONFIG_ENV,
    help="Configuration file (default ./syncd.toml, or $SYNCD_CONFIG).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Embedded defaults: SQLite here, bundled sample feed, built-in sandbox.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Overrides log.level from the configuration.",
)
@click.pass_context
def main(ctx: click.Context, config_file: str | None, demo: bool, log_level: str | None) -> None:
    """syncd keeps a dealer's Blocket ads in step with the inventory feed."""
    ctx.ensure_object(dict).update(config=config_file, demo=demo, log_level=log_level)


def _print_json(doc: object) -> None:
    click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


async def _run_all(
    container: bootstrap.Container, *, allow_mass_delete: bool
) -> tuple[list[RunReport], list[SyncdError]]:
    """Sync each feed under its dealer's run lock; one feed's failure does not stop the
    others, except a refused token (401), which would fail them all the same way."""
    reports: list[RunReport] = []
    errors: list[SyncdError] = []
    wait = container.settings.sync.lock_wait
    options = container.options(allow_mass_delete=allow_mass_delete)
    try:
        for job in container.jobs():
            try:
                with container.run_lock.hold(job.dealer_code, wait=wait):
                    reports.append(await service.sync(container.deps(), job, options))
            except SyncdError as exc:
                errors.append(exc)
                if isinstance(exc, ApiAuthError) and not isinstance(exc, ApiScopeError):
                    break  # the token itself is refused: every other feed would fail alike
    finally:
        await container.aclose()
    return reports, errors


@main.command("run-once")
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
    settings = _settings(ctx)
    if not settings.feeds:
        raise ConfigError(f"{settings.source}: feeds: no [[feeds]] configured")
    container = bootstrap.build(settings)
    reports, errors = asyncio.run(_run_all(container, allow_mass_delete=allow_mass_delete))
    if as_json:
        _print_json([views.report_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(views.report_lines(r)))
    for exc in errors:
        click.echo(f"syncd: {exc}", err=True)
    if errors:
        sys.exit(exit_code_for(errors[0]))
    if any(r.guard for r in reports):
        sys.exit(ExitCode.GUARD)
    if any(r.failed_items for r in reports):
        sys.exit(ExitCode.PARTIAL)


@main.command("plan")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--all", "include_unchanged", is_flag=True, help="Show unchanged ads too.")
@click.pass_context
@handle_errors
def plan_cmd(ctx: click.Context, as_json: bool, include_unchanged: bool) -> None:
    """Show what a run would send, without sending anything."""
    settings = _settings(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        options = bootstrap.run_options(settings)
        plans = [
            service.guarded_plan(
                asyncio.run(service.load_feed(job, settings.api.version)), mirror, options
            )
            for job in bootstrap.feed_jobs(settings)
        ]
    if as_json:
        _print_json(
            [
                {**views.plan_json(p, include_unchanged=include_unchanged), "guard": g}
                for p, g in plans
            ]
        )
        return
    console = Console()
    for p, guard in plans:
        console.print(views.plan_table(p, include_unchanged=include_unchanged))
        if guard:
            console.print(f"[bold red]A run would hold these deletes back:[/] {guard}")


@main.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--limit", default=10, show_default=True, help="How many runs and failing ads.")
@click.pass_context
@handle_errors
def status(ctx: click.Context, as_json: bool, dealer_code: str | None, limit: int) -> None:
    """Ads per state, the last runs, and the failing ads with their last message."""
    settings = _settings(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        counts = mirror.counts_by_state(dealer_code)
        runs = mirror.runs(dealer_code, limit)
        failing = mirror.failing(dealer_code, limit)
    if as_json:
        _print_json(
            {
                "ads": counts,
                "runs": [views.run_json(r) for r in runs],
                "failing": [views.failing_json(a) for a in failing],
            }
        )
        return
    console = Console()
    for table in views.status_tables(counts, runs, failing):
        console.print(table)


@main.group("db")
def db() -> None:
    """Manage the mirror database."""


@db.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the mirror's schema to this version of syncd."""
    settings = _settings(ctx)
    bootstrap.build_engine(settings, upgrade=True).dispose()
    click.echo("database schema is up to date")


@main.command("daemon")
@click.pass_context
@handle_errors
def daemon_cmd(ctx: click.Context) -> None:
    """Sync every feed on a schedule and when it changes, until SIGTERM (README: The daemon)."""

    def load() -> config.Settings:  # again on SIGHUP
        settings = _settings(ctx)
        if not settings.feeds:
            raise ConfigError(f"{settings.source}: feeds: no [[feeds]] configured")
        return settings

    asyncio.run(Daemon(load).run())


main.add_command(sandbox)
