"""Shell: the ``syncd`` command line.

Every command takes ``--config PATH`` (default ``./syncd.toml`` or
``$SYNCD_CONFIG``) or ``--demo`` (embedded defaults: SQLite mirror in the
current folder, the bundled sample feed, the built-in sandbox in-process), and
``--log-level``; before or after the command name (after it wins).
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
import structlog
from rich.console import Console

from syncd import (
    adopt,
    bootstrap,
    config,
    inspect,
    logs,
    release,
    saved_plans,
    service,
    terminal,
    views,
)
from syncd.core import saved_plan
from syncd.core.map import MappedRecord
from syncd.core.map.guess import guess
from syncd.core.map.starter import starter_toml
from syncd.core.models import RunOutcome
from syncd.daemon.process import Daemon
from syncd.errors import (
    ApiAuthError,
    ApiScopeError,
    ConfigError,
    FeedError,
    GuardTripped,
    PermanentError,
    PlanFileError,
    RunLocked,
    SchemaError,
    SyncdError,
    TemporaryError,
)
from syncd.feeds.mapped import MappedFeedReader
from syncd.feeds.sample import read_sample
from syncd.ports import Mirror
from syncd.sandbox.cli import sandbox
from syncd.service import RunReport

log = structlog.get_logger("syncd.cli")

ERROR_LIMIT = 2000
"""Characters of an error message printed on stderr (it may quote a feed's or the API's value)."""
F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """What a supervisor (systemd, cron, CI) can act on."""

    OK = 0  # everything in the feed is where it should be (or on its way)
    INTERNAL = 1  # a bug: an unexpected exception (traceback in the log)
    USAGE = 2  # wrong command-line arguments (click's own code)
    CHANGES = 2  # `plan --detailed-exitcode`: the plan has changes (an alias of USAGE)
    CONFIG = 3  # the configuration file is missing or invalid
    FEED = 4  # a feed file cannot be read or parsed; nothing was sent
    AUTH = 5  # the API refused the token (401/403); nothing more was sent
    PARTIAL = 6  # the run finished, but some items are invalid, rejected or failed
    TEMPORARY = 7  # the API or the database is unavailable; retry later
    GUARD = 8  # a safety guard (mass delete) refused the plan
    LOCKED = 9  # another run holds the lock for this dealer
    SCHEMA = 10  # the mirror's schema needs `syncd db upgrade` (or a newer syncd)
    NOT_FOUND = 11  # `show`: neither the mirror nor the API knows the source_id


def exit_code_for(exc: SyncdError) -> ExitCode:
    """The exit code for an error that stopped a command."""
    for kind, code in (
        (ConfigError, ExitCode.CONFIG),
        (FeedError, ExitCode.FEED),
        (ApiAuthError, ExitCode.AUTH),
        (GuardTripped, ExitCode.GUARD),
        (PlanFileError, ExitCode.USAGE),
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
    path: Path | None = None
    if obj.get("demo"):
        settings = bootstrap.demo_settings(Path.cwd())
    else:
        path = config.config_path(obj.get("config"))
        settings = config.load(path)
    # Logging is set up before anything is logged: structlog's default would print
    # to stdout, which carries only the command's result (valid JSON with --json).
    logs.configure(obj.get("log_level") or settings.log.level, settings.log.format)
    if path is not None and config.token_file_exposed(settings, path):
        log.warning(
            "config_token_readable_by_others",
            path=str(path),
            hint="chmod 600 the file, or use api.token_file",
        )
    return settings


def handle_errors(func: F) -> F:
    """Turn syncd's errors into a one-line message on stderr and a named exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyncdError as exc:
            click.echo(f"syncd: {terminal.printable(exc, ERROR_LIMIT)}", err=True)
            sys.exit(exit_code_for(exc))

    return wrapper  # type: ignore[return-value]


def _given_after(ctx: click.Context, param: click.Parameter, value: object) -> None:
    # Runs after the group's callback stored its own values, so this one wins.
    if value is not None and value is not False and param.name:
        ctx.ensure_object(dict)[param.name] = value


def global_options(func: F) -> F:
    """``--config``, ``--demo`` and ``--log-level`` after a command's name, as before it."""
    after: dict[str, Any] = {"expose_value": False, "callback": _given_after}
    options = (
        click.option(
            "--config",
            "config",
            metavar="PATH",
            help="Configuration file (default ./syncd.toml, or $SYNCD_CONFIG).",
            **after,
        ),
        click.option(
            "--demo",
            "demo",
            is_flag=True,
            help="Embedded defaults: SQLite here, bundled sample feed, built-in sandbox.",
            **after,
        ),
        click.option(
            "--log-level",
            "log_level",
            type=click.Choice(["debug", "info", "warning", "error"]),
            help="Overrides log.level from the configuration.",
            **after,
        ),
    )
    for option in reversed(options):  # as if stacked: --config first in --help
        func = option(func)
    return func


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
    click.echo(terminal.dumps(doc))


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
        click.echo(f"syncd: {terminal.printable(exc, ERROR_LIMIT)}", err=True)
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


@main.command("plan")
@global_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--all", "include_unchanged", is_flag=True, help="Show unchanged ads too.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan to FILE, for `syncd apply FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to do, 2 when the plan has changes.",
)
@click.pass_context
@handle_errors
def plan_cmd(
    ctx: click.Context,
    as_json: bool,
    include_unchanged: bool,
    out: Path | None,
    detailed_exitcode: bool,
) -> None:
    """Show what a run would send, without sending anything."""
    settings = _settings(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        options = bootstrap.run_options(settings)
        made = [
            saved_plans.make(
                asyncio.run(service.load_feed(job, settings.api.version)), mirror, options
            )
            for job in bootstrap.feed_jobs(settings)
        ]
        now = bootstrap.SystemClock().now()
    if out is not None:
        saved_plans.write(out, [s for _, s in made], settings.api.version, now)
        click.echo(f"syncd: plan saved to {terminal.printable(out)}", err=True)
    plans = [(p, s.guard) for p, s in made]
    if as_json:
        _print_json(
            [
                {**views.plan_json(p, include_unchanged=include_unchanged), "guard": g}
                for p, g in plans
            ]
        )
    else:
        console = Console()
        for p, guard in plans:
            console.print(views.plan_table(p, include_unchanged=include_unchanged))
            if guard:
                console.print(f"[bold red]A run would hold these deletes back:[/] {guard}")
    if detailed_exitcode and any(p.actions for p, _ in plans):
        sys.exit(ExitCode.CHANGES)


async def _apply_all(
    container: bootstrap.Container, path: Path, saved: list[saved_plan.SavedPlan]
) -> list[RunReport]:
    """Check every feed's saved plan, then apply each under its dealer's run lock."""
    settings, reports = container.settings, []
    jobs = [(s, saved_plans.job_for(s, container.jobs(), path)) for s in saved]
    try:
        for s, job in jobs:  # every feed checked before any is sent
            feed = await service.load_feed(job, settings.api.version)
            saved_plans.check(s, feed, container.mirror, path, container.options())
        for s, job in jobs:
            with container.run_lock.hold(job.dealer_code, wait=settings.sync.lock_wait):
                reports.append(
                    await saved_plans.apply(container.deps(), job, container.options(), s, path)
                )
    finally:
        await container.aclose()
    return reports


@main.command("apply")
@global_options
@click.argument("plan_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.pass_context
@handle_errors
def apply_cmd(ctx: click.Context, plan_file: Path, as_json: bool) -> None:
    """Send exactly the plan saved by `syncd plan --out FILE`, then reconcile.

    Refuses (exit 8) when the feed or a mirror row the plan touches changed since.
    """
    settings = _settings(ctx)
    saved = saved_plans.read(plan_file, settings.api.version)
    reports = asyncio.run(_apply_all(bootstrap.build(settings), plan_file, saved))
    if as_json:
        _print_json([views.report_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(views.report_lines(r)))
    if any(r.failed_items for r in reports):
        sys.exit(ExitCode.PARTIAL)


@main.command("status")
@global_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option(
    "--limit",
    default=10,
    show_default=True,
    help="How many runs and failing ads (and invalid items in the table).",
)
@click.pass_context
@handle_errors
def status(ctx: click.Context, as_json: bool, dealer_code: str | None, limit: int) -> None:
    """Ads per state, the last runs, the failing ads with their last message, and the
    invalid items of each dealer's latest finished run."""
    settings = _settings(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        counts = mirror.counts_by_state(dealer_code)
        runs = mirror.runs(dealer_code, limit)
        failing = mirror.failing(dealer_code, limit)
        withheld = _withheld(settings, mirror, dealer_code)
        latest = mirror.latest_finished_runs(dealer_code)
    if as_json:
        _print_json({**views.status_json(counts, runs, failing, latest), "withheld": withheld})
        return
    console = Console()
    for table in views.status_tables(counts, runs, failing, latest, limit):
        console.print(table)
    if any(w["source_ids"] or w["error"] for w in withheld):
        console.print(views.withheld_table(withheld))


def _withheld(
    settings: config.Settings, mirror: Mirror, dealer_code: str | None
) -> list[dict[str, Any]]:
    """Per configured feed: the deletes a guard holds back now (an unreadable feed says so)."""
    docs = []
    options = bootstrap.run_options(settings)
    for job in bootstrap.feed_jobs(settings):
        if dealer_code is not None and job.dealer_code != dealer_code:
            continue
        try:
            docs.append(
                views.withheld_json(asyncio.run(release.withheld(job, mirror, options)), "", None)
            )
        except FeedError as exc:
            docs.append(views.withheld_json(None, job.dealer_code, str(exc)))
    return docs


@main.command("release-deletes")
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
    settings = _settings(ctx)
    container = bootstrap.build(settings)
    try:
        job = release.job_for(dealer_code, container.jobs())
        shown = asyncio.run(release.withheld(job, container.mirror, container.options()))
    except BaseException:
        asyncio.run(container.aclose())
        raise
    doc = views.withheld_json(shown, dealer_code, None)
    if not as_json:
        Console().print(views.withheld_table([doc]))
    if not shown.deletes:
        asyncio.run(container.aclose())
        if as_json:
            _print_json({"withheld": doc, "run": None})
        return
    if not yes and not _confirmed(len(shown.deletes)):
        asyncio.run(container.aclose())
        if as_json:
            _print_json({"withheld": doc, "run": None})
        raise GuardTripped(
            f"{len(shown.deletes)} deletes held back for {dealer_code!r} were not released: "
            + ("not confirmed" if sys.stdin.isatty() else "confirm with --yes (no terminal to ask)")
        )
    report = asyncio.run(_release(container, job, shown))
    if as_json:
        _print_json({"withheld": doc, "run": views.report_json(report)})
    else:
        click.echo("\n".join(views.report_lines(report)))
    if report.failed_items:
        sys.exit(ExitCode.PARTIAL)


def _confirmed(n: int) -> bool:
    """Ask on a terminal; off one, nothing is confirmed."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    return click.confirm(f"Delete these {n} ads?", default=False, err=True)


async def _release(
    container: bootstrap.Container, job: service.FeedJob, shown: release.Withheld
) -> RunReport:
    try:
        with container.run_lock.hold(job.dealer_code, wait=container.settings.sync.lock_wait):
            return await release.release(container.deps(), job, container.options(), shown)
    finally:
        await container.aclose()


def _chosen_feeds(
    settings: config.Settings, name: str | None
) -> list[tuple[config.FeedSettings, service.FeedJob]]:
    """The configured feeds (with their jobs), or the one ``--feed NAME`` names."""
    if not settings.feeds:
        raise ConfigError(f"{settings.source}: feeds: no [[feeds]] configured")
    pairs = bootstrap.feed_pairs(settings)
    if name is None:
        return pairs
    chosen = [(f, j) for f, j in pairs if name in (f.label, j.dealer_code, str(f.path))]
    if not chosen:
        known = ", ".join(f.label for f in settings.feeds)
        raise click.UsageError(f"no feed named {name!r} (feeds: {known})")
    return chosen


@main.command("validate")
@global_options
@click.option("--feed", "feed_name", metavar="NAME", help="Only this feed (name, file or dealer).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handle_errors
def validate_cmd(ctx: click.Context, feed_name: str | None, as_json: bool) -> None:
    """Read, map and validate every item of the feeds; send nothing.

    Exits 0 when every item is valid, 6 when some are not, 4 when a file cannot be read.
    """
    settings = _settings(ctx)
    reports: list[dict[str, Any]] = []
    errors: list[FeedError] = []
    for feed, job in _chosen_feeds(settings, feed_name):
        try:
            raw, validated = asyncio.run(service.read_feed(job, settings.api.version))
        except FeedError as exc:
            errors.append(exc)
            reports.append({"feed": feed.label, "path": str(feed.path), "error": str(exc)})
            continue
        label = f"{feed.label} ({job.dealer_code})" if feed.dealer_codes else feed.label
        reports.append(views.validation_json(label, raw, validated))
    if as_json:
        _print_json(reports)
    else:
        console = Console()
        for report in reports:
            if "error" in report:
                click.echo(f"syncd: {terminal.printable(report['error'], ERROR_LIMIT)}", err=True)
            else:
                console.print(views.validation_table(report))
    if errors:
        sys.exit(ExitCode.FEED)
    if any(r["counts"]["invalid"] for r in reports):
        sys.exit(ExitCode.PARTIAL)


@main.group("map", invoke_without_command=True)
@global_options
@click.option("--feed", "feed_name", metavar="NAME", help="Only this feed (name, file or dealer).")
@click.option("--show", default=5, show_default=True, help="How many records to show.")
@click.option("--source-id", "source_id", help="Only the record of this source_id.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.pass_context
@handle_errors
def map_cmd(
    ctx: click.Context, feed_name: str | None, show: int, source_id: str | None, as_json: bool
) -> None:
    """Show records as read beside the payloads they map to, to check a mapping by eye.

    `syncd map init FILE` writes a starting mapping for a sample export instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(ctx)
    shown: list[MappedRecord] = []
    for _, job in _chosen_feeds(settings, feed_name):
        shown += _mapped(job)
    if source_id is not None:
        shown = [m for m in shown if m.payload and m.payload.get("source_id") == source_id]
    else:
        shown = shown[:show]
    if as_json:
        _print_json(views.map_json(shown))
    else:
        Console().print(views.map_table(shown))


@map_cmd.command("init")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xml", "json", "jsonl", "xlsx"]),
    help="The file's format (default: told by its name).",
)
@handle_errors
def map_init(file: Path, fmt: str | None) -> None:
    """Print a starting mapping (TOML) for a sample export: its sources with example
    values, the rules guessed from their names, value maps for fuel and gearbox."""
    found = read_sample(file, fmt)
    suggestion = guess(found.columns)
    text = starter_toml(
        str(file), found.options, found.notes, found.columns, suggestion, records=found.records
    )
    click.echo(text, nl=False)


def _mapped(job: service.FeedJob) -> list[MappedRecord]:
    if isinstance(job.reader, MappedFeedReader):
        return asyncio.run(job.reader.read_mapped(job.path))[1]
    # A native feed is already in the API's shape: as read is what is sent.
    raw = asyncio.run(job.reader.read(job.path)).records
    return [MappedRecord(r.origin, {}, r.data, r.issues) for r in raw]


@main.group("db")
@global_options
def db() -> None:
    """Manage the mirror database."""


@db.command("upgrade")
@global_options
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the mirror's schema to this version of syncd."""
    settings = _settings(ctx)
    bootstrap.build_engine(settings, upgrade=True).dispose()
    click.echo("database schema is up to date")


@main.command("daemon")
@global_options
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


def _dealer_jobs(settings: config.Settings, dealer_code: str | None) -> list[service.FeedJob]:
    """The configured feeds' jobs, or those of ``--dealer D``."""
    if not settings.feeds:
        raise ConfigError(f"{settings.source}: feeds: no [[feeds]] configured")
    jobs = bootstrap.feed_jobs(settings)
    chosen = [j for j in jobs if dealer_code is None or j.dealer_code == dealer_code]
    if not chosen:
        known = ", ".join(repr(j.dealer_code) for j in jobs)
        raise click.UsageError(f"no feed of dealer {dealer_code!r} (dealers: {known})")
    return chosen


@main.command("adopt")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--dry-run", is_flag=True, help="Write nothing; say what would be adopted.")
@click.option("--json", "as_json", is_flag=True, help="Print the adoption as JSON.")
@click.pass_context
@handle_errors
def adopt_cmd(ctx: click.Context, dealer_code: str | None, dry_run: bool, as_json: bool) -> None:
    """Build or repair the mirror from the ads the API holds (README: The mirror was lost)."""
    settings = _settings(ctx)
    jobs = _dealer_jobs(settings, dealer_code)
    container = bootstrap.build(settings)

    async def go() -> list[adopt.AdoptReport]:
        deps = adopt.AdoptDeps(
            container.mirror, container.catalog, container.clock, container.run_lock
        )
        try:
            return await adopt.adopt_feeds(
                deps,
                jobs,
                api_version=settings.api.version,
                lock_wait=settings.sync.lock_wait,
                dry_run=dry_run,
            )
        finally:
            await container.aclose()

    reports = asyncio.run(go())
    if as_json:
        _print_json([adopt.adopt_json(r) for r in reports])
    else:
        for r in reports:
            click.echo("\n".join(adopt.adopt_lines(r)))


@main.command("show")
@global_options
@click.argument("source_id")
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--json", "as_json", is_flag=True, help="Print the ad's story as JSON.")
@click.pass_context
@handle_errors
def show_cmd(ctx: click.Context, source_id: str, dealer_code: str | None, as_json: bool) -> None:
    """One ad's mirror row, last payload (the only place its contact data shows), remote ad and
    whole action-log timeline; exits 11 when neither the mirror nor the API knows it."""
    settings = _settings(ctx)
    dealers = [dealer_code] if dealer_code is not None else [f.dealer_code for f in settings.feeds]
    container = bootstrap.build(settings)

    async def go() -> inspect.AdStory:
        try:
            return await inspect.story(
                container.mirror, container.catalog, dealers or [""], source_id
            )
        finally:
            await container.aclose()

    found = asyncio.run(go())
    if not found.known:
        click.echo(
            f"syncd: no ad {terminal.printable(source_id)!s} in the mirror or the API", err=True
        )
        sys.exit(ExitCode.NOT_FOUND)
    if as_json:
        _print_json(inspect.story_json(found))
    else:
        click.echo("\n".join(inspect.story_lines(found)))


@main.command("history")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
@handle_errors
def history_cmd(ctx: click.Context, dealer_code: str | None, limit: int, as_json: bool) -> None:
    """The latest runs with their statistics, duration and outcome."""
    settings = _settings(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        runs = inspect.history_json(mirror, dealer_code, limit)
    if as_json:
        _print_json(runs)
    else:
        click.echo("\n".join(inspect.history_lines(runs)))


main.add_command(sandbox)
