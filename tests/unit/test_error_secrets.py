"""What a command prints on stderr when it fails never holds a secret the redactor knows."""

from __future__ import annotations

import secrets

import click
import httpx
import pytest

from syncd.cli.exits import ExitCode, error_line, handle_errors
from syncd.errors import ApiContractError
from syncd.logs import REDACTED, REDACTOR


def _token() -> str:
    """A token no other test told the (process-wide) redactor."""
    token = "tok-" + secrets.token_urlsafe(24)
    REDACTOR.add(token)
    return token


def test_an_error_line_quoting_the_token_shows_it_redacted() -> None:
    """An error whose message quotes the token (a library's text it wraps) prints
    ``[REDACTED]`` in its place, the rest of the line as it was."""
    token = _token()
    line = error_line(ApiContractError(f"GET /v4/ad: failed (X-Auth-Token: {token})"))
    assert line == f"syncd: GET /v4/ad: failed (X-Auth-Token: {REDACTED})"


def test_an_unexpected_library_error_s_traceback_is_printed_without_the_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A foreign exception escaping a command (a bug), its message echoing the token in
    a URL: exit 1, its traceback and a last ``syncd:`` line on stderr, the token masked."""
    token = _token()

    @handle_errors
    def command() -> None:
        raise httpx.InvalidURL(f"https://api.test/v4/ad?token={token} is not valid")

    with pytest.raises(SystemExit) as stopped:
        command()
    assert stopped.value.code == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert token not in err
    assert f"?token={REDACTED} is not valid" in err
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith("syncd: internal error (InvalidURL)")


def test_click_s_own_exceptions_pass_through_the_error_handler() -> None:
    """A usage error or ``ctx.exit`` raised in a command is click's to handle (its exit
    code and message), not turned into an internal error."""

    @handle_errors
    def usage() -> None:
        raise click.UsageError("no such option")

    @handle_errors
    def leave() -> None:
        raise click.exceptions.Exit(2)

    with pytest.raises(click.UsageError):
        usage()
    with pytest.raises(click.exceptions.Exit):
        leave()
