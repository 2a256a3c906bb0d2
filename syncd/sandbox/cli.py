"""Sandbox: ``syncd sandbox``: serve the sandbox over HTTP, or mint a token for it.

``syncd sandbox [--host H] [--port P] [--state FILE] [--processing-delay S]
[--secret S] [--strict-source-ids] [--list-entry-per-request] [--no-request-ids]
[--log-transitions] [--fault-* ...]`` serves the API with uvicorn
and prints one line, ``syncd sandbox listening on http://H:P``, once it accepts
connections (``--port 0`` picks a free port and the line shows the real one).
``syncd sandbox token --dealer D1 [--dealer D2 ...] [--group NAME]`` prints a
token. Both default to the documented development secret
(:data:`~syncd.sandbox.settings.DEV_SECRET`), so they agree without setup;
``$SYNCD_SANDBOX_SECRET`` or ``--secret`` change it for both.
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Any

import click
import structlog
import uvicorn
from pydantic import ValidationError

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import DEV_SECRET, MIN_SECRET_LENGTH, Faults, SandboxSettings

SECRET_ENV = "SYNCD_SANDBOX_SECRET"  # noqa: S105 - the name of a variable, not a secret

_secret_option = click.option(
    "--secret",
    envvar=SECRET_ENV,
    default=DEV_SECRET,
    show_default="the development secret",
    help=f"HS256 secret of the tokens (at least {MIN_SECRET_LENGTH} characters).",
)


class _Server(uvicorn.Server):
    """uvicorn, printing the ready line once it listens."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then announce the URL on stdout (tests and scripts wait for it)."""
        await super().startup(sockets=sockets)
        if self.started:
            click.echo(f"syncd sandbox listening on {self.url}")
            sys.stdout.flush()


def _faults(options: dict[str, Any]) -> Faults:
    doc: dict[str, Any] = {
        "latency": options["fault_latency"],
        "error_rate": options["fault_error_rate"],
        "rate_limit": options["fault_rate_limit"],
        "retry_after": options["fault_retry_after"],
        "drop_rate": options["fault_drop_rate"],
        "timeout_rate": options["fault_timeout_rate"],
        "timeout_seconds": options["fault_timeout_seconds"],
        "late": options["fault_late"],
        "stuck_actions": list(options["fault_stuck"]),
        "failing_actions": list(options["fault_fail"]),
        "seed": options["fault_seed"],
    }
    if options["fault_error_status"]:
        doc["error_statuses"] = list(options["fault_error_status"])
    if options["broken_image_host"]:
        doc["broken_image_hosts"] = list(options["broken_image_host"])
    if options["broken_image_path"]:
        doc["broken_image_paths"] = list(options["broken_image_path"])
    return Faults.model_validate(doc)


def _bind(host: str, port: int) -> tuple[socket.socket, str]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets whose proto
    # says TCP, and an accepted socket inherits this one's. Without it, Nagle holds each
    # answer's body until the client's delayed ACK of its headers: 40 ms per call.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return sock, f"http://{shown}:{real_port}"


def _configure_logs(log_level: str) -> None:
    """The sandbox's own events (``client_disconnected``) as lines on stderr beside
    uvicorn's, at ``log_level`` (stdout carries only the ready line)."""
    level = logging.getLevelNamesMapping()[log_level.upper()]
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def serve(settings: SandboxSettings, host: str, port: int, log_level: str) -> None:
    """Serve the sandbox with uvicorn until SIGINT/SIGTERM."""
    sock, url = _bind(host, port)
    _configure_logs(log_level)
    config = uvicorn.Config(
        create_app(settings),
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=log_level in ("debug", "info"),
    )
    state = settings.state_path or "memory"
    click.echo(
        f"syncd sandbox: state {state}, processing delay {settings.processing_delay}s", err=True
    )
    try:
        _Server(config, url).run(sockets=[sock])
    finally:
        sock.close()


@click.group("sandbox", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8900, show_default=True, type=int, help="0 picks a free port.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), help="SQLite file.")
@click.option(
    "--processing-delay",
    default=1.0,
    show_default=True,
    type=float,
    help="Seconds each action of a call stays in processing.",
)
@_secret_option
@click.option("--strict-source-ids", is_flag=True, help="A source_id is never reused.")
@click.option(
    "--allow-updates-while-creating",
    is_flag=True,
    help="Accept PATCH/PUT/DELETE while the ad's create is processing (default: 409).",
)
@click.option(
    "--list-entry-per-request",
    is_flag=True,
    help="GET /ad lists one row per write request on an ad (the seed's other reading).",
)
@click.option(
    "--no-request-ids",
    is_flag=True,
    help="No X-Request-Id header; log entries carry request_id null.",
)
@click.option(
    "--log-transitions",
    is_flag=True,
    help="One log entry per state transition, logged when it happens, in whole seconds.",
)
@click.option("--fault-latency", default=0.0, type=float, help="Seconds added to each answer.")
@click.option("--fault-error-rate", default=0.0, type=float, help="Share (0..1) of 5xx.")
@click.option("--fault-error-status", multiple=True, type=int, help="5xx statuses to use.")
@click.option("--fault-rate-limit", default=0.0, type=float, help="Requests/s before 429.")
@click.option("--fault-retry-after", default=None, type=int, help="Fixed Retry-After (s).")
@click.option("--fault-drop-rate", default=0.0, type=float, help="Share of dropped connections.")
@click.option("--fault-timeout-rate", default=0.0, type=float, help="Share of stalled answers.")
@click.option("--fault-timeout-seconds", default=30.0, type=float, help="Stall duration.")
@click.option("--fault-late", is_flag=True, help="5xx/drops after the request was applied.")
@click.option("--fault-stuck", multiple=True, help='Action kept in processing ("*": all).')
@click.option("--fault-fail", multiple=True, help='Action that ends in error ("*": all).')
@click.option("--fault-seed", default=0, type=int, help="Seed of the random faults.")
@click.option("--broken-image-host", multiple=True, help="Host pattern of broken images.")
@click.option("--broken-image-path", multiple=True, help="Path pattern of broken images.")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.pass_context
def sandbox(ctx: click.Context, /, **options: Any) -> None:
    """Serve a local Pro Import API (v3 and v4) for tests and trials.

    Admin endpoints under /_sandbox (faults, journal, ads, reset, token, clock)
    need no token: the sandbox is a local tool, never expose it.
    """
    if ctx.invoked_subcommand is not None:
        return
    serve(settings_of(options), options["host"], options["port"], options["log_level"])


def settings_of(options: dict[str, Any]) -> SandboxSettings:
    """The sandbox's settings from the command's options; a usage error when invalid."""
    try:
        return SandboxSettings(
            secret=options["secret"],
            processing_delay=options["processing_delay"],
            state_path=options["state"],
            strict_source_ids=options["strict_source_ids"],
            refuse_updates_while_creating=not options["allow_updates_while_creating"],
            list_entry_per_request=options["list_entry_per_request"],
            request_ids=not options["no_request_ids"],
            log_transitions=options["log_transitions"],
            faults=_faults(options),
        )
    except ValidationError as exc:
        raise click.UsageError(_first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}"


@sandbox.command("token")
@click.option("--dealer", "dealers", multiple=True, required=True, help="Dealer code (repeat).")
@click.option("--group", default=None, help="Make a dealer_group token with this name.")
@click.option("--expires-in", default=None, type=float, help="Seconds until it expires.")
@_secret_option
def token(
    dealers: tuple[str, ...], group: str | None, expires_in: float | None, secret: str
) -> None:
    """Print a token for one dealer, or for a dealer group (several --dealer or --group)."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise click.UsageError(f"--secret must have at least {MIN_SECRET_LENGTH} characters")
    click.echo(mint_token(list(dealers), secret=secret, group=group, expires_in=expires_in))
