"""Shell: ``syncd daemon``: the long-running service (systemd, docker-compose)."""

from __future__ import annotations

import asyncio

import click

from syncd import config
from syncd.cli.exits import handle_errors
from syncd.cli.shell import global_options, settings_of, with_feeds
from syncd.daemon.process import Daemon


@click.command("daemon")
@global_options
@click.pass_context
@handle_errors
def daemon_cmd(ctx: click.Context) -> None:
    """Sync every feed on a schedule and when it changes, until SIGTERM (README: The daemon)."""

    def load() -> config.Settings:  # again on SIGHUP
        return with_feeds(settings_of(ctx))

    asyncio.run(Daemon(load).run())
