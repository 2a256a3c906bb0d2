"""Shell: what every command shares: its settings, its global options, its output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import structlog

from syncd import bootstrap, config, logs, runs, terminal
from syncd.cli.exits import F
from syncd.core import source_ids
from syncd.errors import ConfigError
from syncd.ports import Mirror

log = structlog.get_logger("syncd.cli")


def settings_of(ctx: click.Context) -> config.Settings:
    """The settings the command line names (``--config`` or ``--demo``), logging set up."""
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
    _redact_token(settings)
    if path is not None and config.token_file_exposed(settings, path):
        log.warning(
            "config_token_readable_by_others",
            path=str(path),
            hint="chmod 600 the file, or use api.token_file",
        )
    return settings


def _redact_token(settings: config.Settings) -> None:
    """Tell the log redactor the API token as soon as the settings are read, so an error
    line printed before the adapters are built (they tell it too) cannot show it.

    Assumption: a token that cannot be read (an unreadable token file) is not an error
    here: the command that needs the token reports it, and one that does not (``status``)
    goes on as before."""
    try:
        token = settings.token()
    except ConfigError:
        return
    if token is not None:
        logs.REDACTOR.add(token.get_secret_value())


def with_feeds(settings: config.Settings) -> config.Settings:
    """The settings, or a config error when they name no feed."""
    if not settings.feeds:
        raise ConfigError(f"{settings.source}: feeds: no [[feeds]] configured")
    return settings


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


def print_json(doc: object) -> None:
    """The command's result as JSON on stdout."""
    click.echo(terminal.dumps(doc))


def chosen_feeds(
    settings: config.Settings, name: str | None
) -> list[tuple[config.FeedSettings, runs.FeedJob]]:
    """The configured feeds (with their jobs), or the one ``--feed NAME`` names."""
    pairs = bootstrap.feed_pairs(with_feeds(settings))
    if name is None:
        return pairs
    chosen = [(f, j) for f, j in pairs if name in (f.label, j.dealer_code, j.path, f.source)]
    if not chosen:
        known = ", ".join(f.label for f in settings.feeds)
        raise click.UsageError(f"no feed named {name!r} (feeds: {known})")
    return chosen


def dealer_jobs(settings: config.Settings, dealer_code: str | None) -> list[runs.FeedJob]:
    """The configured feeds' jobs, or those of ``--dealer D``."""
    jobs = bootstrap.feed_jobs(with_feeds(settings))
    chosen = [j for j in jobs if dealer_code is None or j.dealer_code == dealer_code]
    if not chosen:
        known = ", ".join(repr(j.dealer_code) for j in jobs)
        raise click.UsageError(f"no feed of dealer {dealer_code!r} (dealers: {known})")
    return chosen


def usable_source_id(
    settings: config.Settings,
    source_id: str,
    known: Callable[[Mirror], bool],
    *,
    known_goes: bool = False,
) -> None:
    """A usage error (exit 2) for a source_id that the feed validator would refuse
    (``core/source_ids.py``: ``a/b``, ``a,b``, ``..``, a control character, over
    100 characters): no ad can have it, so pinning, renewing or showing it is a typo.

    Assumption: a row the mirror already has (``known``: its ad, or its pin) is
    taken as it is whatever its length, Unicode form or blank-looking characters (an
    id the API accepted before those rules still works in a URL, as
    ``source_ids.unreachable`` says); with ``known_goes`` (pin, unpin, show: nothing
    is sent) any id the mirror has is accepted, so that a stale row can still be
    looked at, kept and its pin removed.
    The mirror is opened only for an id that breaks a rule.
    """
    reason = source_ids.problem(source_id)
    if reason is None:
        return
    if known_goes or source_ids.unreachable(source_id) is None:
        with bootstrap.open_mirror(settings) as mirror:
            if known(mirror):
                return
    raise refused_source_id(source_id, reason)


def refused_source_id(source_id: str, reason: str, more: str = "") -> click.UsageError:
    """The usage error (exit 2) for a source_id argument no ad can have, with the
    validator's reason (escaped: it may hold a control character); ``more`` is added."""
    return click.UsageError(
        f"source_id {terminal.printable(repr(source_id))}: {reason}; no ad can have it "
        f"(the feed validator refuses it){more}"
    )
