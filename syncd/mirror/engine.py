"""Adapter (mirror): its database engines, and the one place SQLAlchemy errors are translated.

:func:`make_engine` is called by the composition root only; nothing here runs
at import time. :func:`db_errors` turns every SQLAlchemy exception into
:class:`~syncd.errors.MirrorUnavailable` so none escapes the adapter.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError

from syncd.errors import ConfigError, MirrorUnavailable

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another writer before giving up (the
status command may read while a run writes; WAL lets readers proceed)."""

BEGIN_OPTION = "syncd_sqlite_begin"
"""Execution option naming the BEGIN flavour on SQLite (``IMMEDIATE`` for writers)."""


_BACKENDS = frozenset({"sqlite", "postgresql"})
"""Assumption: the mirror's schema, locks and tests are SQLite's and PostgreSQL's; any
other database (mysql://, mssql://) is refused at start as a configuration error rather
than a traceback about a driver, or a schema nobody has tested."""


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    SQLite: WAL, foreign keys on, a busy timeout, and real BEGINs so that every
    transaction (DDL included) is atomic. PostgreSQL: connections are pinged
    before use so that a restarted server does not fail the first query.
    Raises ConfigError when the URL cannot be used (the password is never shown).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError("database.url: not a database URL") from exc
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(
            f"database.url: cannot use {shown}: the mirror lives in SQLite (sqlite:///PATH) "
            f"or PostgreSQL (postgresql+psycopg://...)"
        )
    try:
        if backend == "sqlite":
            engine = create_engine(parsed)
            _configure_sqlite(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True, connect_args=_planned_each_time(parsed))
    except ArgumentError as exc:  # unknown dialect or driver
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(f"database.url: cannot use {shown}: {exc}") from exc
    except ImportError as exc:  # a driver syncd does not install (postgresql+asyncpg, ...)
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(
            f"database.url: cannot use {shown}: its driver is not installed ({exc}); "
            f"use postgresql+psycopg://"
        ) from None


def _planned_each_time(url: URL) -> dict[str, Any]:
    """psycopg's connection arguments: no server-side prepared statements.

    psycopg prepares a statement on the server once it has run five times, and
    PostgreSQL then plans it once for any values (a generic plan), from the table's
    statistics at that moment. A first sync starts on an empty ``ads`` table, and the
    generic plan made then looks a key up by ``dealer_code`` alone (any index will do
    for an empty table) and filters every row of the dealer: each lookup grew with
    the mirror, 20 ms at 100 000 ads, and the first sync of 100 000 ads slowed to
    about 100 calls/s. Unprepared, each statement is planned for its own values
    (about 0.1 ms). Other drivers (psycopg2) are left as they are."""
    return {"prepare_threshold": None} if url.get_driver_name() == "psycopg" else {}


def _configure_sqlite(engine: Engine) -> None:
    # Python 3.11's sqlite3 "legacy transaction mode" skips BEGIN before DDL and
    # SELECT; SQLAlchemy's documented recipe takes over BEGIN instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred
        # transaction that upgrades from read to write can fail with "database
        # is locked" without waiting for busy_timeout.
        flavour = conn.get_execution_options().get(BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {flavour}".strip())


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    # Switching a new file to WAL needs an exclusive lock, and SQLite answers
    # "database is locked" at once (busy_timeout does not apply) while another
    # process opening the same new file holds it: retry until the timeout.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
        else:
            return


def writer(engine: Engine) -> Engine:
    """The same engine, marked so that SQLite transactions begin IMMEDIATE."""
    return engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})


def describe(database: Engine | str) -> str:
    """Which database this is, for an operator: the SQLite file, or the server and name.

    Never the password (``render_as_string`` hides it; only host, port and name are used).
    """
    url = database.url if isinstance(database, Engine) else make_url(database)
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database or ':memory:'}"
    where = f"{url.host or 'localhost'}:{url.port}" if url.port else (url.host or "localhost")
    return f"{url.get_backend_name()} at {where}, database {url.database or '-'}"


INVALID_SCHEMA_NAME = "3F000"
"""PostgreSQL's SQLSTATE for a search_path none of whose schemas exists (the schema of
an install that shares a database with others was never created)."""


@contextmanager
def db_errors(doing: str, database: Engine | str | None = None) -> Iterator[None]:
    """Translate SQLAlchemy errors raised inside into MirrorUnavailable.

    The message names the database (the file, or host and name; :func:`describe`),
    what was being done and the driver's first line of error, never the SQL
    parameters (they may hold a seller's contact data). A value that could not be
    bound (a naive datetime) is a programming error and is re-raised as the
    original ValueError/TypeError.
    """
    where = f" ({describe(database)})" if database is not None else ""
    try:
        yield
    except StatementError as exc:
        orig = exc.orig
        if not isinstance(exc, DBAPIError) and isinstance(orig, ValueError | TypeError):
            raise orig from exc
        if getattr(orig, "sqlstate", None) == INVALID_SCHEMA_NAME:
            # No retry creates the schema: a person must (exit 3, not 7 retried forever).
            raise ConfigError(
                f"database.url: {doing} failed{where}: {_reason(exc)}: no schema of the "
                "URL's search_path exists; create it first (CREATE SCHEMA ...)"
            ) from exc
        raise MirrorUnavailable(f"mirror database{where}: {doing} failed: {_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise MirrorUnavailable(f"mirror database{where}: {doing} failed: {_reason(exc)}") from exc


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:300]
