"""Shell: ``syncd validate``, ``map`` and ``map init``: check a feed and its mapping."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from syncd import service, tables, views
from syncd.cli.exits import ExitCode, error_line, handle_errors
from syncd.cli.shell import chosen_feeds, global_options, print_json, settings_of
from syncd.core.map import MappedRecord
from syncd.core.map.guess import guess
from syncd.core.map.starter import starter_toml
from syncd.errors import FeedError
from syncd.feeds.mapped import MappedFeedReader
from syncd.feeds.sample import read_sample


@click.command("validate")
@global_options
@click.option("--feed", "feed_name", metavar="NAME", help="Only this feed (name, file or dealer).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handle_errors
def validate_cmd(ctx: click.Context, feed_name: str | None, as_json: bool) -> None:
    """Read, map and validate every item of the feeds; send nothing.

    Exits 0 when every item is valid, 6 when some are not, 4 when a file cannot be read.
    """
    settings = settings_of(ctx)
    reports: list[dict[str, Any]] = []
    errors: list[FeedError] = []
    for feed, job in chosen_feeds(settings, feed_name):
        try:
            raw, validated = asyncio.run(service.read_feed(job, settings.api.version))
        except FeedError as exc:
            errors.append(exc)
            reports.append({"feed": feed.label, "path": str(feed.path), "error": str(exc)})
            continue
        label = f"{feed.label} ({job.dealer_code})" if feed.dealer_codes else feed.label
        reports.append(views.validation_json(label, raw, validated))
    if as_json:
        print_json(reports)
    else:
        console = Console()
        for report in reports:
            if "error" in report:
                click.echo(error_line(report["error"]), err=True)
            else:
                console.print(tables.validation_table(report))
    if errors:
        sys.exit(ExitCode.FEED)
    if any(r["counts"]["invalid"] for r in reports):
        sys.exit(ExitCode.PARTIAL)


@click.group("map", invoke_without_command=True)
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
    settings = settings_of(ctx)
    shown: list[MappedRecord] = []
    for _, job in chosen_feeds(settings, feed_name):
        shown += _mapped(job)
    if source_id is not None:
        shown = [m for m in shown if m.payload and m.payload.get("source_id") == source_id]
    else:
        shown = shown[:show]
    if as_json:
        print_json(views.map_json(shown))
    else:
        Console().print(tables.map_table(shown))


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
