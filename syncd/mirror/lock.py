"""Adapter (mirror): one run at a time per dealer: a lock held for the whole run.

PostgreSQL: a session advisory lock on a connection of its own, held until
the run ends (the server drops it when that connection dies). SQLite: an
exclusive ``flock`` on a file next to the database (the kernel drops it when
the holding process dies). Either way a second run waits up to ``wait``
seconds, then gets :class:`~syncd.errors.RunLocked`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from syncd.errors import MirrorUnavailable, RunLocked
from syncd.mirror.engine import db_errors

POLL_INTERVAL = 0.2
"""Seconds between two attempts while waiting for the lock."""

LOCK_NAMESPACE = b"syncd-run:"
"""Prefix of the advisory-lock key, so syncd's keys do not meet other applications'."""


def run_lock(
    engine: Engine, dealer_code: str, *, wait: float | None, poll_interval: float = POLL_INTERVAL
) -> AbstractContextManager[None]:
    """Hold the run lock of ``dealer_code`` for the ``with`` block.

    ``wait``: seconds to keep trying (0: try once; None: wait as long as it takes).
    Raises RunLocked when the lock is still held by someone else after that,
    MirrorUnavailable when the database (or the lock file) cannot be used.
    """
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, dealer_code, wait, poll_interval)
    if engine.dialect.name == "sqlite":
        return _file_lock(lock_path(engine, dealer_code), dealer_code, wait, poll_interval)
    raise ValueError(f"no run lock for {engine.dialect.name} databases")


class SqlRunLock:
    """The ``RunLock`` port on the mirror's database (advisory lock or lock file)."""

    def __init__(self, engine: Engine, *, poll_interval: float = POLL_INTERVAL) -> None:
        self._engine = engine
        self._poll_interval = poll_interval

    def hold(self, dealer_code: str, *, wait: float | None) -> AbstractContextManager[None]:
        """Hold the run lock of ``dealer_code`` (see :func:`run_lock`)."""
        return run_lock(self._engine, dealer_code, wait=wait, poll_interval=self._poll_interval)


def advisory_key(dealer_code: str, schema: str = "public") -> int:
    """The signed 64-bit advisory-lock key of a dealer's mirror (stable across processes).

    PostgreSQL's advisory locks are per database, not per schema, and an integrator
    may run many installs against one database, each in its own schema (its
    search_path) and often each with the token's own dealer ``""``: the schema is
    part of the key, so one install's run never locks out another's.
    """
    name = LOCK_NAMESPACE + schema.encode() + b"\0" + dealer_code.encode()
    digest = hashlib.blake2b(name, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_path(engine: Engine, dealer_code: str) -> Path:
    """``<db>.<dealer>.lock`` next to the SQLite file (``<db>.lock`` for the token's dealer)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        # Assumption: a run lock only matters for a database other processes can open.
        raise ValueError("the SQLite run lock needs a database file path")
    # quote() keeps the name reversible and free of path separators.
    suffix = f".{quote(dealer_code, safe='')}" if dealer_code else ""
    return Path(f"{database}{suffix}.lock")


def _poll(try_once: Callable[[], bool], wait: float | None, interval: float) -> bool:
    deadline = None if wait is None else time.monotonic() + wait
    while not try_once():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def _refused(dealer_code: str, wait: float | None, holder: str = "") -> RunLocked:
    who = f"dealer {dealer_code!r}" if dealer_code else "the token's dealer"
    waited = f" after waiting {wait:g} s" if wait else ""
    return RunLocked(
        f"another syncd run holds the lock for {who}{holder}{waited}; "
        "try again when it has finished"
    )


@contextmanager
def _advisory_lock(
    engine: Engine, dealer_code: str, wait: float | None, interval: float
) -> Iterator[None]:
    with db_errors("taking the run lock", engine):
        # AUTOCOMMIT: the lock belongs to the session, no transaction stays open.
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        with db_errors("taking the run lock", engine):
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        key = advisory_key(dealer_code, str(schema))
        with db_errors("taking the run lock", engine):
            taken = _poll(lambda: _try_advisory(conn, key), wait, interval)
        if not taken:
            raise _refused(dealer_code, wait)
        try:
            yield
        finally:
            _release_advisory(conn, key)
    finally:
        conn.close()


def _release_advisory(conn: Connection, key: int) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except SQLAlchemyError:
        # The session is unusable; ending it releases every lock it holds, and
        # raising here would hide whatever ended the run.
        conn.invalidate()


def _try_advisory(conn: Connection, key: int) -> bool:
    taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
    return bool(taken)


@contextmanager
def _file_lock(path: Path, dealer_code: str, wait: float | None, interval: float) -> Iterator[None]:
    # The file is never deleted: unlinking a lock file races with a waiter that
    # has opened the old one. O_CLOEXEC keeps the lock out of child processes.
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise MirrorUnavailable(f"cannot open the run lock file {path}: {exc.strerror}") from exc
    try:
        if not _poll(lambda: _try_flock(fd), wait, interval):
            holder = _read_holder(fd)
            raise _refused(dealer_code, wait, f" (pid {holder})" if holder else "")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(fd: int) -> str:
    return os.pread(fd, 32, 0).decode(errors="replace").strip()
