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
    shown,
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
    DRIFT = 12  # `audit`: some ads changed outside syncd (recorded, unless --dry-run)
    # Stopped by a signal (128 + its number, as a shell reports it): `run-once`, `apply`,
    # `release-deletes`, `adopt`, `audit`, `migrate-v4`, `bump` and `pole-position` answer and
    # record the calls in flight first (at once on a second signal), print what they
    # finished, and send nothing more; a signal that ends a wait for a dealer's run lock
    # exits so too, nothing of that dealer's run started.
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM (systemctl stop, a wrapper's timeout)


def signal_exit_code(sig: signal.Signals) -> ExitCode:
    """The exit code of a command a stop signal ended: 130 for SIGINT, 143 for SIGTERM."""
    return ExitCode.INTERRUPTED if sig is signal.SIGINT else ExitCode.TERMINATED


def exit_code_for(exc: SyncdError) -> ExitCode:
    """The exit code for an error that stopped a command."""
    if isinstance(exc, Stopped) and exc.signal is not None:
        return signal_exit_code(exc.signal)
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


def error_text(exc: SyncdError | str) -> str:
    """An error's message as shown: e-mail addresses and phone numbers masked, its
    paths, URLs and ids whole.

    The message may quote the API's message (a refused call's ``detail``, a proxy's
    page) or a feed's value (a parser's, a mapping's, the database's error), and their
    contact data; it also names files (``/srv/feeds/0701234567/stock.json``), URLs, API
    calls (``GET /v4/ad/0701234567``) and dealer codes and source_ids, which must be
    read as they are. Assumption: an error is one message, not fields, so it is masked
    whole (:func:`syncd.core.contacts.mask` keeps paths and URLs) but for the ids its
    raiser gave (:attr:`SyncdError.ids`). A text (a line syncd wrote itself) is masked
    the same way, without ids."""
    return shown(exc, ERROR_LIMIT)


def error_line(exc: SyncdError | str) -> str:
    """The one line on stderr for an error: masked (:func:`error_text`) and escaped (it
    may quote a feed's value)."""
    return f"syncd: {printable(error_text(exc), ERROR_LIMIT)}"


def error_json(exc: SyncdError, dealer_code: str) -> dict[str, Any]:
    """A feed's failure as ``run-once``, ``apply`` and ``plan --json`` give it, in the place
    of its report or plan: the dealer, the masked error (:func:`error_text`) and the exit
    code it stands for, by name and number, as ``validate --json`` gives an unreadable
    feed's ``error``.

    Assumption: a script reading stdout must tell a feed that failed from one with
    nothing to do, and, like a supervisor, act on the kind of failure without parsing
    stderr; the exit code's name is the stable word for it."""
    code = exit_code_for(exc)
    return {
        "dealer_code": dealer_code,
        "error": error_text(exc),
        "exit": code.name,
        "exit_code": int(code),
    }


def failed_report_json(dealer_code: str, exc: SyncdError) -> dict[str, Any]:
    """A failed feed's entry in ``run-once --json`` and ``apply --json``, after the
    reports: a report's keys (no run of it finished: ``run_id`` null, nothing counted),
    outcome ``failed``, and the error with its exit code (:func:`error_json`)."""
    return {
        "run_id": None,
        "dealer_code": dealer_code,
        "outcome": "failed",
        "counts": {},
        "guard": None,
        "warnings": [],
        "problems": [],
        **error_json(exc, dealer_code),
    }


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
