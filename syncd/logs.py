"""Adapter (logs): logging — structlog events, JSON lines off a terminal, readable console on one.

The logs of the standard library (SQLAlchemy, httpx, APScheduler, uvicorn) go
through the same processors. A redaction processor replaces any secret it has
been told about (the API token) wherever it appears in an event, as a last line
of defence behind the code that never logs it in the first place. Another masks
e-mail addresses and phone numbers in an event's free text (the API's messages and
invalid items' reasons, under keys such as ``message``, ``reason``, ``error``): logs
are kept and shipped (journald, docker logs), and those texts may quote the seller's
contact data the API refused (:mod:`syncd.core.contacts`).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

from syncd.core import contacts
from syncd.errors import shown
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


def public_error(exc: BaseException | str, limit: int | None = None) -> contacts.Masked:
    """An error as shown where no log processor runs (a command's error line and its
    ``--json`` ``error``, systemd's ``STATUS=``, ``/readyz``, the status page): the secrets
    :data:`REDACTOR` knows masked first, then its contact data, its ids whole, cut to
    ``limit`` (:func:`syncd.errors.shown`). Assumption: these are read by people and
    tools outside the operator's log pipeline (``systemctl status`` for any local user,
    a probe's log, cron mail), so they show no more than a log line does; an error may
    quote a foreign text (a library's message, a path, a URL) holding the token."""
    return shown(exc, limit, redact=REDACTOR.scrub)


_USER_INFO = re.compile(r"(?<=://)[^\s/?#@]{1,256}@")
"""A URL's user info (``user:password@``), each quantifier bounded."""


def hide_url_credentials(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    """A structlog processor: a URL's user info and its query values masked in a
    library's record's text (httpx logs each request's URL whole, ``user:password@``
    and ``?key=...`` included, when syncd runs at debug; uvicorn each request's path and
    query). The redactor masks a password or a query value only when it is 8 characters
    or more, and only once the feed was fetched; this masks any. syncd's own events never
    give a URL with its user info or query values (:func:`syncd.feeds.http_auth.public_url`),
    so only records marked ``_from_structlog=False`` are looked at: one dict look-up per
    event."""
    if event.get("_from_structlog") is not False:
        return event
    text = event.get("event")
    if not isinstance(text, str):
        return event
    shown = text
    if "://" in shown and "@" in shown:
        shown = _USER_INFO.sub(REDACTED + "@", shown)
    if "?" in shown and "=" in shown:
        shown = _WORD.sub(_query_hidden, shown)
    return event if shown is text else {**event, "event": shown}


QUERY_KEPT = frozenset(
    {"dealer_code", "source_id__in", "include", "limit", "offset", "state", "ordering"}
    | {"exclude_bytbil", "exclude_blocket", "category_id", "brand"}
)
"""Query parameters whose values a library's record shows: those of the API calls
syncd makes (their values are dealer codes, source_ids, paging), which an operator
reading a debug log needs. Assumption: any other parameter may be a credential, whatever
its name (a dealer's DMS may take its key as ``?k=``, a signed URL as ``?sig=``,
``?X-Amz-Signature=``), so its value is masked, as :func:`syncd.feeds.http_auth.public_url`
masks every query value of a feed's URL; a value masked that was no secret costs an
operator a look at the configuration, a key shown may cost the dealer its feed."""
_WORD = re.compile(r"[^\s\"'<>]{1,8192}")
"""A word of a library's text: a URL or a path is one (quotes end it: uvicorn's
``"GET /status?x=1 HTTP/1.1"``); bounded, so a text is read in linear time."""


def _query_hidden(match: re.Match[str]) -> str:
    """A word that is a URL or a path with a query, each query value not in
    :data:`QUERY_KEPT` masked; any other word as it is."""
    word = match.group()
    head, mark, rest = word.partition("?")
    if not mark or "/" not in head or "=" not in rest:
        return word
    query, hash_mark, fragment = rest.partition("#")
    params = "&".join(_param_hidden(p) for p in query.split("&"))
    return f"{head}?{params}{hash_mark}{fragment}"


def _param_hidden(param: str) -> str:
    name, equals, value = param.partition("=")
    if not equals or not value or name.lower() in QUERY_KEPT:
        return param
    return f"{name}={REDACTED}"


TEXT_KEYS = frozenset(
    {
        *("message", "messages", "reason", "reasons", "error", "errors", "note", "notes"),
        *("hint", "warning", "warnings", "guard", "problems", "issues", "detail", "details"),
        "exception",  # a traceback formatted by format_exc_info: its last line is str(exc)
        "caused_by",  # stamina's retry_scheduled: the repr of the error retried
    }
)
"""Keys whose values are free text that may quote contact data: masked, at any depth.
Assumption: a key names its value's kind across events (``message`` is always a
message, ``source_id`` always an id), so every present and future event that uses these
keys is masked, and any other key is kept whole. Paths and URLs in a text are kept
(:func:`syncd.core.contacts.mask`). The event name of syncd's own events is kept (they
are constants); a library's record has its text there (SQLAlchemy's statement and its
parameters, an httpx request line, uvicorn's access line), so it is masked too, its
URLs and paths whole."""
ID_KEYS = frozenset(
    {"source_id", "source_ids", "dealer_code", "run_id", "request_id", "record", "origin"}
    | {"field", "path"}
)
"""Keys kept whole inside a text key's value (``errors=[{"source_id": ..., "message": ...}]``):
ids are no contact data, and an all-digit one would look like a phone number."""


def mask_contacts(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    """A structlog processor: e-mail addresses and phone numbers masked in the strings
    under :data:`TEXT_KEYS`, however deep (in lists, tuples and dicts), and in nothing
    else (an object there, as its repr); and in the text of a standard library record (a
    library's, under ``event``; structlog's ProcessorFormatter marks it
    ``_from_structlog=False``). Cheap: the patterns are compiled once, each masked string
    is read in linear time (about 5 us for an event with a 100-character message, 0.2 ms
    for an API message of 500 word characters and an at sign), and an event without such
    a key costs a set look-up and a call per key."""
    foreign = event.get("_from_structlog") is False
    return {
        k: _contacts_masked(v, k in TEXT_KEYS or (foreign and k == "event"))
        for k, v in event.items()
    }


def _contacts_masked(value: Any, text: bool) -> Any:
    if isinstance(value, str):
        # A Masked text was masked where it was made, its ids kept (errors.shown).
        return contacts.mask(value) if text and not isinstance(value, contacts.Masked) else value
    if isinstance(value, dict):
        return {
            k: _contacts_masked(v, k in TEXT_KEYS or (text and k not in ID_KEYS))
            for k, v in value.items()
        }
    # Exactly a list or a tuple: a named tuple (exc_info's, a library's) is no text.
    if type(value) in (list, tuple):
        return type(value)(_contacts_masked(v, text) for v in value)
    if text and not isinstance(value, int | float | None):
        # An object (an exception passed as error=exc): both renderers would show its
        # repr, which quotes its message; so it is shown as that repr, masked.
        return contacts.mask(repr(value))
    return value


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
        # The token first: masking a text could split it (its digits), and what is left
        # of it would not be found.
        REDACTOR,
        hide_url_credentials,
        mask_contacts,
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
    """The console log's traceback: the standard library's text, secrets and contact
    data masked.

    Not structlog's default, rich's traceback: it prints every frame's local
    variables, the token and the feed's contact data among them, and it is drawn
    after the redaction processors have run (JSON lines format theirs before them)."""
    shown = REDACTOR.scrub("".join(traceback.format_exception(*exc_info)))
    sio.write("\n" + contacts.mask(shown))


def _noop(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    return event


def _printable_values(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    """Console output: string values escaped and cut, so no value can forge a log line."""
    return {
        k: printable(v, CONSOLE_LIMIT) if isinstance(v, str) and k != "exception" else v
        for k, v in event.items()
    }
