"""Shell: ``syncd validate``, ``map`` and ``map init``: check a feed and its mapping."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from syncd import bootstrap, config, logs, reading, runs, tables
from syncd.cli.exits import ExitCode, error_line, error_text, handle_errors
from syncd.cli.progress import progress_bar
from syncd.cli.shell import (
    chosen_feeds,
    global_options,
    print_json,
    refused_source_id,
    settings_of,
)
from syncd.config import FeedSettings, Settings
from syncd.core import source_ids
from syncd.core.map import MappedRecord
from syncd.core.map.guess import guess
from syncd.core.map.starter import starter_toml
from syncd.core.models import FeedItem, WriteResult
from syncd.core.validate.feed import source_id_issues
from syncd.errors import FeedError
from syncd.feeds.mapped import MappedFeedReader
from syncd.feeds.sample import read_sample
from syncd.marketplaces.lookups import all_of
from syncd.ports import Progress, VehicleLookups
from syncd.views.feeds import map_json, remote_json, validation_json


@click.command("validate")
@global_options
@click.option("--feed", "feed_name", metavar="NAME", help="Only this feed (name, file or dealer).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--remote",
    is_flag=True,
    help="Also ask the API's validate endpoint about the items syncd finds valid.",
)
@click.pass_context
@handle_errors
def validate_cmd(ctx: click.Context, feed_name: str | None, as_json: bool, remote: bool) -> None:
    """Read, map and validate every item of the feeds; send nothing.

    Brand, model, body type and fuels are checked against the API's lists (cached).
    With --remote, the API's validate endpoint checks the items found valid (it saves
    nothing, changes no ad). Exits 0 when every item is valid, 6 when some are not (or the API
    refuses some), 4 when a file cannot be read.
    """
    settings = settings_of(ctx)
    chosen = chosen_feeds(settings, feed_name)
    with progress_bar(as_json=as_json) as progress:
        reports, errors = asyncio.run(_validate(settings, chosen, remote=remote, progress=progress))
    if as_json:
        print_json(reports)
    else:
        console = Console()
        failures = iter(errors)  # one per report with an error, in the same order
        for report in reports:
            if "error" in report:
                click.echo(error_line(next(failures)), err=True)
                continue
            console.print(tables.validation_table(report))
            if "remote" in report:
                console.print(tables.remote_table(report))
    if errors:
        sys.exit(ExitCode.FEED)
    if any(r["counts"]["invalid"] or r.get("remote", {}).get("refused") for r in reports):
        sys.exit(ExitCode.PARTIAL)


async def _validate(
    settings: Settings,
    chosen: list[tuple[FeedSettings, runs.FeedJob]],
    *,
    remote: bool,
    progress: Progress | None,
) -> tuple[list[dict[str, Any]], list[FeedError]]:
    """Each chosen feed's report (with the API's answers when ``remote``), and the feed errors."""
    reports: list[dict[str, Any]] = []
    errors: list[FeedError] = []
    async with bootstrap.api_helpers(settings, need_api=remote) as helpers:
        for feed, job in chosen:
            label = f"{feed.label} ({job.dealer_code})" if feed.dealer_codes else feed.label
            task = f"items validated ({label})"
            if progress is not None:
                progress.update(task, 0)
            try:
                raw, validated = await reading.read_feed(
                    replace(job, vehicles=helpers.vehicles), settings.api.version
                )
            except FeedError as exc:
                errors.append(exc)
                reports.append({"feed": feed.label, "path": job.path, "error": error_text(exc)})
                continue
            if progress is not None:
                done = len(validated.items) + len(validated.invalid)
                progress.update(task, done, done)
            report = validation_json(label, raw, validated)
            if remote and helpers.lookups is not None:
                report["remote"] = remote_json(
                    await _ask_api(helpers.lookups, job.dealer_code, validated.items)
                )
            reports.append(report)
    return reports, errors


async def _ask_api(
    lookups: VehicleLookups, dealer_code: str, items: Sequence[FeedItem]
) -> list[tuple[FeedItem, WriteResult]]:
    """The validate endpoint's answer per item (the client's throttle bounds the calls)."""
    results = await all_of(
        lookups.validate(dealer_code, item.source_id, item.payload) for item in items
    )
    return list(zip(items, results, strict=True))


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
    shown = _of_source_id(shown, source_id) if source_id is not None else shown[:show]
    if as_json:
        print_json(map_json(shown))
    else:
        Console().print(tables.map_table(shown))


def _of_source_id(records: list[MappedRecord], source_id: str) -> list[MappedRecord]:
    """The records whose mapped source_id is ``source_id`` (an integer one too, by its
    digits), each with the validator's issues about that id added to its own.

    Assumption: ``map`` reads the feed, not the mirror, so it checks the id as ``pin``
    or ``show`` do (``shell.usable_source_id``) only when no record has it: an id the
    validator refuses is then a usage error (exit 2, the reason given, a typo); one the
    feed has is shown, bad as it is, with the reason its item is invalid (looking at
    that record is what ``map`` is for). A usable id no record has shows nothing, as
    before (exit 0).
    """
    # A native feed's item may be any JSON value (an array, a string): only an
    # object has a source_id.
    found = [
        m
        for m in records
        if isinstance(m.payload, dict) and _same_id(m.payload.get("source_id"), source_id)
    ]
    if not found and (reason := source_ids.problem(source_id)) is not None:
        raise refused_source_id(source_id, reason, ", and no record of the feed has it")
    return [_with_id_issues(m) for m in found]


def _same_id(value: Any, source_id: str) -> bool:
    if type(value) is int:  # refused by the validator (not a string), found by its digits
        return str(value) == source_id
    return bool(value == source_id)


def _with_id_issues(record: MappedRecord) -> MappedRecord:
    """The record with the validator's issues about its source_id (when mapping did not
    report one already)."""
    if record.payload is None or any(i.field == "source_id" for i in record.issues):
        return record
    found = source_id_issues(record.payload.get("source_id"))
    return replace(record, issues=(*record.issues, *found)) if found else record


@map_cmd.command("init")
@global_options
@click.argument("source", metavar="FILE|URL")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xml", "json", "jsonl", "xlsx"]),
    help="The sample's format (default: told by its name; of a configured URL feed, its own).",
)
@click.option(
    "--auth-env", metavar="NAME", help="URL: the environment variable holding a bearer token."
)
@click.option(
    "--auth-user-env", metavar="NAME", help="URL: the environment variable of basic auth's user."
)
@click.option(
    "--auth-password-env",
    metavar="NAME",
    help="URL: the environment variable of basic auth's password.",
)
@click.pass_context
@handle_errors
def map_init(
    ctx: click.Context,
    *,
    source: str,
    fmt: str | None,
    auth_env: str | None,
    auth_user_env: str | None,
    auth_password_env: str | None,
) -> None:
    """Print a starting mapping (TOML) for a sample export: its sources with example
    values, the rules guessed from their names, value maps for fuel and gearbox.

    The sample is a file, or an http(s) URL fetched as a URL feed is (its max_bytes,
    fetch_timeout and errors): the configured feed of that URL when there is one (named
    by its URL or as syncd shows it, query values masked), its credentials from the
    environment variables it names, or those --auth-env (a bearer token) or
    --auth-user-env and --auth-password-env (basic auth) name. A value is never printed.
    """
    auth = {
        "auth_env": auth_env,
        "auth_user_env": auth_user_env,
        "auth_password_env": auth_password_env,
    }
    if not source.startswith(("http://", "https://")):
        if any(auth.values()):
            raise click.UsageError(
                "--auth-env, --auth-user-env, --auth-password-env: only for a URL"
            )
        found = read_sample(Path(source), fmt)
        text = starter_toml(
            source, found.options, found.notes, found.columns, guess(found.columns),
            records=found.records,
        )  # fmt: skip
        click.echo(text, nl=False)
        return
    feed = bootstrap.sample_feed(source, _configured_feeds(ctx), auth)
    found = asyncio.run(bootstrap.fetch_sample(feed, fmt))
    shown = bootstrap.feed_shown(feed)
    options = {**found.options, **{k: v for k in auth if (v := getattr(feed, k))}}
    notes = dict(found.notes)
    if shown != feed.url:
        notes["url"] = "TODO: its query values are masked and its user info left out: put them back"
    text = starter_toml(
        shown, options, notes, found.columns, guess(found.columns),
        records=found.records, source_key="url",
    )  # fmt: skip
    click.echo(text, nl=False)


def _configured_feeds(ctx: click.Context) -> tuple[FeedSettings, ...]:
    """The configured feeds, when a configuration is named or ./syncd.toml is there
    (logging set up either way: a fetch logs, and only to stderr).

    Assumption: map init drafts a feed not configured yet, so no configuration is
    needed; one named (--config, $SYNCD_CONFIG, --demo) and missing is still an error.
    """
    obj = ctx.ensure_object(dict)
    named = obj.get("demo") or obj.get("config") or os.environ.get(config.CONFIG_ENV)
    if named or config.config_path(None).is_file():
        return tuple(settings_of(ctx).feeds)
    logs.configure(obj.get("log_level") or "info")
    return ()


def _mapped(job: runs.FeedJob) -> list[MappedRecord]:
    if isinstance(job.reader, MappedFeedReader):
        return asyncio.run(job.reader.read_mapped(job.path))[1]
    # A native feed is already in the API's shape: as read is what is sent.
    raw = asyncio.run(job.reader.read(job.path)).records
    return [MappedRecord(r.origin, {}, r.value(), r.issues) for r in raw]
