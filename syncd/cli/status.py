"""Shell: ``syncd status``, ``show`` and ``history``: what the mirror and the API know."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click
from rich.console import Console

from syncd import bootstrap, config, inspect, release, tables, terminal
from syncd.cli.exits import ExitCode, error_text, handle_errors
from syncd.cli.renewals import pin_json, renewal_json
from syncd.cli.shell import global_options, print_json, settings_of, usable_source_id
from syncd.errors import FeedError
from syncd.ports import Mirror
from syncd.views.status import status_json, withheld_json


@click.command("status")
@global_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many runs and failing ads (and invalid items in the table).",
)
@click.pass_context
@handle_errors
def status(ctx: click.Context, as_json: bool, dealer_code: str | None, limit: int) -> None:
    """Ads per state, the last runs, the failing ads with their last message, and the
    invalid items of each dealer's latest finished run (e-mail addresses and phone
    numbers in the messages masked)."""
    settings = settings_of(ctx)
    with bootstrap.open_records(settings) as (mirror, renewal_log):
        counts = mirror.counts_by_state(dealer_code)
        runs = mirror.runs(dealer_code, limit)
        failing = mirror.failing(dealer_code, limit)
        withheld = _withheld(settings, mirror, dealer_code)
        latest = mirror.latest_finished_runs(dealer_code)
        pins = [pin_json(p) for p in mirror.pins(dealer_code)]
        # A renewal's message is the API's answer: renewal_json masks it.
        renewed = [renewal_json(r) for r in renewal_log.latest(dealer_code, limit)]
    if as_json:
        print_json(
            {
                **status_json(counts, runs, failing, latest),
                "withheld": withheld,
                "pins": pins,
                "renewals": renewed,
            }
        )
        return
    console = Console()
    for table in tables.status_tables(counts, runs, failing, latest, limit):
        console.print(table)
    if any(w["source_ids"] or w["error"] for w in withheld):
        console.print(tables.withheld_table(withheld))
    if pins:
        console.print(tables.rows_table("Pinned ads (never deleted for being absent)", pins))
    if renewed:
        shown = ("dealer_code", "source_id", "kind", "at", "outcome", "policy", "message")
        console.print(tables.rows_table("Latest renewals (charged calls)", renewed, shown))


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
                withheld_json(asyncio.run(release.withheld(job, mirror, options)), "", None)
            )
        except FeedError as exc:  # redacted as the error line is: it may quote the token
            docs.append(withheld_json(None, job.dealer_code, error_text(exc)))
    return docs


@click.command("show")
@global_options
@click.argument("source_id")
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option("--json", "as_json", is_flag=True, help="Print the ad's story as JSON.")
@click.pass_context
@handle_errors
def show_cmd(ctx: click.Context, source_id: str, dealer_code: str | None, as_json: bool) -> None:
    """One ad's mirror row, last payload (the only place its contact data shows), remote ad and
    whole action-log timeline; exits 11 when neither the mirror nor the API knows it."""
    settings = settings_of(ctx)
    # Every dealer the feeds serve (a dealer-group file's too), each once.
    served = dict.fromkeys(d for f in settings.feeds for d in f.dealers)
    dealers = [dealer_code] if dealer_code is not None else list(served)
    usable_source_id(
        settings,
        source_id,
        lambda m: any(m.get(d, source_id) is not None for d in dealers or [""]),
        known_goes=True,  # a row keyed by an id refused since can still be looked at
    )
    container = bootstrap.build(settings)

    async def go() -> list[inspect.AdStory]:
        try:
            return await inspect.stories(
                container.mirror, container.catalog, dealers or [""], source_id
            )
        finally:
            await container.aclose()

    knowing = asyncio.run(go())
    if len(knowing) > 1:
        # Assumption: showing one of them would hide the other (a deleted ad of the
        # dealer an item left, beside the live one of the dealer it moved to).
        named = ", ".join(terminal.printable(s.dealer_code) for s in knowing)
        raise click.UsageError(
            f"{terminal.printable(source_id)} is known for several dealers ({named}): pass --dealer"
        )
    found = knowing[0]
    if not found.known:
        click.echo(
            f"syncd: no ad {terminal.printable(source_id)!s} in the mirror or the API", err=True
        )
        sys.exit(ExitCode.NOT_FOUND)
    if as_json:
        print_json(inspect.story_json(found))
    else:
        click.echo("\n".join(inspect.story_lines(found)))


@click.command("history")
@global_options
@click.option("--dealer", "dealer_code", help="Only this dealer_code.")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many runs, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
@handle_errors
def history_cmd(ctx: click.Context, dealer_code: str | None, limit: int, as_json: bool) -> None:
    """The latest runs with their statistics, duration and outcome."""
    settings = settings_of(ctx)
    with bootstrap.open_mirror(settings) as mirror:
        runs = inspect.history_json(mirror, dealer_code, limit)
    if as_json:
        print_json(runs)
    else:
        click.echo("\n".join(inspect.history_lines(runs)))
