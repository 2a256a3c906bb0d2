"""Shell: the exit codes a supervisor acts on, and errors turned into them."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

import click

from syncd.errors import (
    ApiAuthError,
    ConfigError,
    FeedError,
    GuardTripped,
    PermanentError,
    PlanFileError,
    RunLocked,
    SchemaError,
    Stopped,
    SyncdError,
    TemporaryError,
)
from syncd.terminal import printable

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
    # Stopped by a signal (128 + its number, as a shell reports it): `run-once`, `apply`,
    # `release-deletes`, `adopt`, `migrate-v4`, `bump` and `pole-position` answer and
    # record the calls in flight first (at once on a second signal), print what they
    # finished, and send nothing more; a signal that ends a wait for a dealer's run lock
    # exits so too, nothing of that dealer's run started.
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM (systemctl stop, a wrapper's timeout)


def exit_code_for(exc: SyncdError) -> ExitCode:
    """The exit code for an error that stopped a command."""
    if isinstance(exc, Stopped) and exc.signal is not None:
        return ExitCode.INTERRUPTED if exc.signal is signal.SIGINT else ExitCode.TERMINATED
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


def error_line(exc: SyncdError | str) -> str:
    """The one line on stderr for an error (escaped: it may quote a feed's value)."""
    return f"syncd: {printable(exc, ERROR_LIMIT)}"


def handle_errors(func: F) -> F:
    """Turn syncd's errors into a one-line message on stderr and a named exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyncdError as exc:
            click.echo(error_line(exc), err=True)
            sys.exit(exit_code_for(exc))

    return wrapper  # type: ignore[return-value]
