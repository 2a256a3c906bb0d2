"""Shell: the ``syncd`` command group, which imports a command's module only to run it.

``syncd --help`` lists the commands from :data:`COMMANDS` without importing
them; a command's own module (and the stack it needs: the database, the HTTP
client, the sandbox, the daemon) is imported when that command is asked for.
Assumption: the one-line help kept here is the command's own first docstring
line (a test holds them equal), so ``--help`` says what ``COMMAND --help`` says.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, tuple[str, str]] = {
    "run-once": (
        "syncd.cli.run:run_once",
        "Sync every configured feed once: plan, send, and reconcile the outcomes.",
    ),
    "plan": ("syncd.cli.plan:plan_cmd", "Show what a run would send, without sending anything."),
    "apply": (
        "syncd.cli.apply:apply_cmd",
        "Send exactly the plan saved by `syncd plan --out FILE`, then reconcile.",
    ),
    "status": (
        "syncd.cli.status:status",
        "Ads per state, the last runs, the failing ads with their last message, and the "
        "invalid items of each dealer's latest finished run (e-mail addresses and phone "
        "numbers in the messages masked).",
    ),
    "show": (
        "syncd.cli.status:show_cmd",
        "One ad's mirror row, last payload (the only place its contact data shows), remote ad "
        "and whole action-log timeline; exits 11 when neither the mirror nor the API knows it.",
    ),
    "history": (
        "syncd.cli.status:history_cmd",
        "The latest runs with their statistics, duration and outcome.",
    ),
    "release-deletes": (
        "syncd.cli.release:release_deletes",
        "Show the deletes a guard holds back for a dealer, and on confirmation send exactly them.",
    ),
    "pin": (
        "syncd.cli.renewals:pin_cmd",
        "Pin an ad: it is never deleted for being absent from the feed (until `syncd unpin`).",
    ),
    "unpin": (
        "syncd.cli.renewals:unpin_cmd",
        "Unpin an ad: the next run deletes it if the feed no longer has it (behind the guards).",
    ),
    "bump": (
        "syncd.cli.renewals:bump_cmd",
        "Renew an ad now, a charged call (GET /ad/{source_id}/bump): it appears as new.",
    ),
    "pole-position": (
        "syncd.cli.renewals:pole_position_cmd",
        "Put an ad first in search results for 3 days, a charged call; no bump meanwhile.",
    ),
    "validate": (
        "syncd.cli.feeds:validate_cmd",
        "Read, map and validate every item of the feeds; send nothing.",
    ),
    "map": (
        "syncd.cli.feeds:map_cmd",
        "Show records as read beside the payloads they map to, to check a mapping by eye.",
    ),
    "adopt": (
        "syncd.cli.mirror:adopt_cmd",
        "Build or repair the mirror from the ads the API holds (README: The mirror was lost).",
    ),
    "audit": (
        "syncd.cli.audit:audit_cmd",
        "Compare the mirror with the ads the API lists and record what changed outside syncd.",
    ),
    "migrate-v4": (
        "syncd.cli.migrate:migrate_v4_cmd",
        "Migrate the v3 ads that v4 cannot update (moped, camper, caravan, trailer) to v4.",
    ),
    "db": ("syncd.cli.mirror:db", "Manage the mirror database."),
    "daemon": (
        "syncd.cli.daemon:daemon_cmd",
        "Sync every feed on a schedule and when it changes, until SIGTERM (README: The daemon).",
    ),
    "sandbox": (
        "syncd.sandbox.cli:sandbox",
        "Serve a local Pro Import API (v3 and v4) for tests and trials.",
    ),
}
"""Command name -> (``module:attribute`` of its click command, its one-line help)."""


def load_command(name: str) -> click.Command:
    """Import the module of command ``name`` and return its click command.

    The cyclic collector is paused while the command's modules (most of what the
    command runs with) are imported: hundreds of modules, classes and functions,
    none of them garbage, which the collector would otherwise walk again and again
    as they pile up (about 5 % of a run's start-up, issue 12)."""
    from syncd.collector import paused  # noqa: PLC0415 - not for --help
    from syncd.extras import STRUCTLOG_EXTRAS, import_without  # noqa: PLC0415

    module, _, attr = COMMANDS[name][0].partition(":")
    with paused():
        import_without("structlog", STRUCTLOG_EXTRAS)  # before any command's module
        command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command), f"{module}:{attr} is not a click command"
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, in the order ``--help`` lists them."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, imported now; None for an unknown name."""
        if cmd_name not in COMMANDS:
            return None
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, without importing any command."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, (_, text) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.option(
    "--config",
    "config_file",
    metavar="PATH",
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
