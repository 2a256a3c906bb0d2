"""Shell: the exit codes a supervisor acts on, and errors turned into them."""

from __future__ import annotations

import functools
import signal
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

import click

from syncd.core import contacts
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
    the same way, without ids.

    The secrets the log redactor knows (the API token, a feed's credentials) are masked
    first (:func:`syncd.logs.public_error`), as in every log line: syncd's own messages
    never hold the token, but an error may quote a foreign text that does, and stderr
    is often kept with the logs (journald, cron mail, CI)."""
    # Imported here: `syncd --help` and a no-op run must not pay for structlog at import.
    from syncd.logs import public_error  # noqa: PLC0415

    return public_error(exc, ERROR_LIMIT)


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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors, ctx.exit(), Ctrl-C at a prompt
        except Exception as exc:  # noqa: BLE001 - a bug: shown masked, exit 1
            click.echo(internal_error_text(exc), err=True, nl=False)
            sys.exit(ExitCode.INTERNAL)

    return wrapper  # type: ignore[return-value]


def internal_error_text(exc: BaseException) -> str:
    """An unexpected exception's traceback as printed on stderr (exit 1), then its line.

    Assumption: a bug's traceback is still wanted (the README: "the traceback is in
    the log", and the log is stderr), but Python's own hook would print it as it is: a
    library's exception (httpx's, SQLAlchemy's) may quote a header, a URL or a feed's
    value. So it is written as the console log writes one (``syncd.logs``): the secrets
    the redactor knows masked, then e-mail addresses and phone numbers."""
    from syncd.logs import REDACTOR  # noqa: PLC0415 - only when a command failed

    trace = REDACTOR.scrub("".join(traceback.format_exception(exc)))
    line = f"internal error ({type(exc).__name__}); please report it with the traceback above"
    return f"{contacts.mask(trace)}{error_line(line)}\n"
