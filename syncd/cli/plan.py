"""Shell: ``syncd plan``: what a run would send, shown, and saved for ``syncd apply``."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from syncd import bootstrap, leftovers, reading, saved_plans, tables, terminal
from syncd.cli.exits import ExitCode, error_json, error_line, exit_code_for, handle_errors
from syncd.cli.shell import global_options, print_json, settings_of
from syncd.config import Settings
from syncd.core import saved_plan
from syncd.core.models import Plan
from syncd.errors import FeedError
from syncd.ports import Mirror
from syncd.views.plans import plan_json


@click.command("plan")
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
    settings = settings_of(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        made, failed = asyncio.run(_make_all(settings, mirror))
        waiting = [leftovers.waiting(mirror, p.dealer_code) for p, _ in made]
        now = bootstrap.SystemClock().now()
    # Assumption: a plan missing a feed is no plan to apply: nothing is saved then.
    if out is not None and not failed:
        saved_plans.write(out, [s for _, s in made], settings.api.version, now)
        click.echo(f"syncd: plan saved to {terminal.printable(out)}", err=True)
    plans = [(p, s.guard, w) for (p, s), w in zip(made, waiting, strict=True)]
    _show(plans, failed, as_json=as_json, include_unchanged=include_unchanged)
    if failed:
        if out is not None:
            click.echo(f"syncd: plan not saved to {terminal.printable(out)}", err=True)
        sys.exit(exit_code_for(failed[0][1]))
    # Assumption: an ad a crash left unanswered is work for `apply` too (it reads the ad
    # back and records what it finds), though no call is planned for it: a script that
    # applies only on exit 2 must not leave it waiting for ever.
    if detailed_exitcode and any(p.actions or w for p, _, w in plans):
        sys.exit(ExitCode.CHANGES)


def _show(
    plans: list[tuple[Plan, str | None, list[str]]],
    failed: list[tuple[str, FeedError]],
    *,
    as_json: bool,
    include_unchanged: bool,
) -> None:
    """The plans (JSON or tables) on stdout, and each unreadable feed's line on stderr."""
    if as_json:
        docs = [
            {
                **plan_json(p, include_unchanged=include_unchanged),
                "guard": g,
                "unresolved_intents": w,
            }
            for p, g, w in plans
        ]
        # As run-once --json: a feed that could not be read has an entry saying why.
        empty: dict[str, Any] = {"counts": {}, "entries": [], "guard": None}
        print_json(docs + [{**empty, **error_json(exc, d)} for d, exc in failed])
    else:
        _print_plans(plans, include_unchanged=include_unchanged)
    for _, exc in failed:
        click.echo(error_line(exc), err=True)


def _print_plans(
    plans: list[tuple[Plan, str | None, list[str]]], *, include_unchanged: bool
) -> None:
    """Each plan's table, the deletes a run would hold back, and the ads waiting on a
    crashed run's lost answers (the plan sends nothing for them: see syncd.leftovers)."""
    console = Console()
    for p, guard, waiting in plans:
        console.print(tables.plan_table(p, include_unchanged=include_unchanged))
        if guard:
            console.print(f"[bold red]A run would hold these deletes back:[/] {guard}")
        if waiting:
            console.print(
                f"[bold yellow]{len(waiting)} ad(s) wait on calls a crashed run left "
                f"unanswered[/] ({escape(terminal.printable(leftovers.named(waiting)))}): no call "
                f"is planned for them; `syncd apply` or `syncd run-once` reads them back first"
            )


async def _make_all(
    settings: Settings, mirror: Mirror
) -> tuple[list[tuple[Plan, saved_plan.SavedPlan]], list[tuple[str, FeedError]]]:
    """Each feed's plan, its vehicle values checked as a run checks them (cached lists),
    and the dealer and error of each feed that could not be read (the others planned
    all the same, as ``run-once`` syncs them)."""
    options = bootstrap.run_options(settings)
    made, failed = [], []
    async with bootstrap.api_helpers(settings) as helpers:
        for job in bootstrap.feed_jobs(settings):
            try:
                feed = await reading.load_feed(
                    replace(job, vehicles=helpers.vehicles), settings.api.version
                )
            except FeedError as exc:
                failed.append((job.dealer_code, exc))
                continue
            made.append(saved_plans.make(feed, mirror, options))
    return made, failed
