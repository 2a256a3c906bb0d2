"""Adapter (logs): logging — structlog events, JSON lines off a terminal, readable console on one.

The logs of the standard library (SQLAlchemy, httpx, APScheduler, uvicorn) go
through the same processors. A redaction processor replaces any secret it has
been told about (the API token) wherever it appears in an event, as a last line
of defence behind the code that never logs it in the first place.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

from syncd.terminal import printable

REDACTED = "[REDACTED]"
CONSOLE_LIMIT = 500
"""Characters of one value shown by the console log (JSON lines keep values whole)."""


class Redactor:
    """A structlog processor that masks registered secrets in every value."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Mask this string from now on (short strings are ignored: too many false hits)."""
        if secret and len(secret) >= 8:
            self._secrets.add(secret)

    def __call__(self, logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
        if not self._secrets:
            return event
        return {k: self._scrub(v) for k, v in event.items()}

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret masked."""
        scrubbed: str = self._scrub(text)
        return scrubbed

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, MutableMapping | dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._scrub(v) for v in value)
        return value


REDACTOR = Redactor()


def configure(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    """Set up structlog and the standard library's logging for the whole process."""
    stream = stream or sys.stderr
    json_lines = fmt == "json" or (fmt == "auto" and not stream.isatty())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info if json_lines else _noop,
        REDACTOR,
        # JSON lines escape every non-ASCII character themselves; the console shows
        # values as they are, so a feed's newline or bidi mark is escaped first.
        _noop if json_lines else _printable_values,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=console_traceback
        )
    )
    structlog.configure(
        # An event below the level is dropped first, before any processor's work (a call
        # sent costs two events: a debug and an info one).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries are chatty (SQLAlchemy logs every statement at INFO, httpx every
    # request): they speak at WARNING, and at INFO only when syncd runs at debug.
    library_level = logging.INFO if root.level <= logging.DEBUG else logging.WARNING
    for noisy in ("httpx", "httpcore", "sqlalchemy", "alembic", "apscheduler", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(library_level, root.level))


def console_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    """The console log's traceback: the standard library's text, secrets masked.

    Not structlog's default, rich's traceback: it prints every frame's local
    variables, the token and the feed's contact data among them, and it is drawn
    after the redaction processor has run (JSON lines format theirs before it)."""
    sio.write("\n" + REDACTOR.scrub("".join(traceback.format_exception(*exc_info))))


def _noop(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    return event


def _printable_values(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    """Console output: string values escaped and cut, so no value can forge a log line."""
    return {
        k: printable(v, CONSOLE_LIMIT) if isinstance(v, str) and k != "exception" else v
        for k, v in event.items()
    }
