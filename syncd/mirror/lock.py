"""Adapter (mirror): one run at a time per dealer: a lock held for the whole run.

PostgreSQL: a session advisory lock on a connection of its own, held until
the run ends (the server drops it when that connection dies). SQLite: an
exclusive ``flock`` on a file next to the database (the kernel drops it when
the holding process dies). Either way a second run waits up to ``wait``
seconds (logging ``run_lock_waiting`` once), then gets :class:`~syncd.errors.RunLocked`.
The wait sleeps on a ``stop`` event between two attempts: once it is set (the CLI's
first stop signal) the wait ends at once with :class:`~syncd.errors.Stopped`, the
lock not taken.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from syncd.errors import MirrorUnavailable, RunLocked, Stopped
from syncd.mirror import keys
from syncd.mirror.engine import db_errors

log = structlog.get_logger("syncd.mirror")

POLL_INTERVAL = 0.2
"""Seconds between two attempts while waiting for the lock."""

LOCK_NAMESPACE = b"syncd-run:"
"""Prefix of the advisory-lock key, so syncd's keys do not meet other applications'."""


def run_lock(
    engine: Engine,
    dealer_code: str,
    *,
    wait: float | None,
    poll_interval: float = POLL_INTERVAL,
    stop: threading.Event | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> AbstractContextManager[None]:
    """Hold the run lock of ``dealer_code`` for the ``with`` block.

    ``wait``: seconds to keep trying (0: try once; None: wait as long as it takes).
    ``stop``: once set, the wait ends (and no attempt is made) with Stopped; none
    given (a try with ``wait=0``, a test's holder), only ``wait`` ends it.
    ``monotonic``: the clock ``wait`` is measured on (a test's own: no timing).
    Raises RunLocked when the lock is still held by someone else after that,
    MirrorUnavailable when the database (or the lock file) cannot be used.
    """
    never = threading.Event()
    waiting = _Waiting(dealer_code, wait, poll_interval, never if stop is None else stop, monotonic)
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, waiting)
    if engine.dialect.name == "sqlite":
        return _file_lock(lock_path(engine, dealer_code), waiting)
    raise ValueError(f"no run lock for {engine.dialect.name} databases")


class SqlRunLock:
    """The ``RunLock`` port on the mirror's database (advisory lock or lock file)."""

    def __init__(self, engine: Engine, *, poll_interval: float = POLL_INTERVAL) -> None:
        self._engine = engine
        self._poll_interval = poll_interval

    def hold(
        self, dealer_code: str, *, wait: float | None, stop: threading.Event
    ) -> AbstractContextManager[None]:
        """Hold the run lock of ``dealer_code`` (see :func:`run_lock`)."""
        return run_lock(
            self._engine, dealer_code, wait=wait, poll_interval=self._poll_interval, stop=stop
        )


def advisory_key(dealer_code: str, schema: str) -> int:
    """The signed 64-bit advisory-lock key of a dealer's run in ``schema`` (stable across
    processes; :mod:`syncd.mirror.keys`: installs in separate schemas, often each with
    the token's own dealer ``""``, never lock each other out)."""
    return keys.advisory_key(LOCK_NAMESPACE, schema, dealer_code)


def lock_path(engine: Engine, dealer_code: str) -> Path:
    """``<db>.<dealer>.lock`` next to the SQLite file (``<db>.lock`` for the token's dealer)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        # Assumption: a run lock only matters for a database other processes can open.
        raise ValueError("the SQLite run lock needs a database file path")
    # quote() keeps the name reversible and free of path separators.
    suffix = f".{quote(dealer_code, safe='')}" if dealer_code else ""
    return Path(f"{database}{suffix}.lock")


@dataclass(frozen=True, slots=True)
class _Waiting:
    """How one taking of the lock waits: for whom, how long, how often, until what."""

    dealer_code: str
    wait: float | None
    interval: float
    stop: threading.Event  # never set: only ``wait`` ends the wait
    clock: Callable[[], float]  # time.monotonic

    def poll(self, try_once: Callable[[], bool], holder: Callable[[], str]) -> bool:
        """Try until taken (True) or ``wait`` has passed (False); Stopped once ``stop`` is set."""
        deadline = None if self.wait is None else self.clock() + self.wait
        waited = False
        while True:
            if self.stop.is_set():
                raise Stopped(
                    f"stopped while waiting for the run lock of {_who(self.dealer_code)}",
                    ids=(self.dealer_code,),
                )
            if try_once():
                return True
            if deadline is not None and self.clock() >= deadline:
                return False
            if not waited:
                waited = True
                log.info(
                    "run_lock_waiting",
                    dealer_code=self.dealer_code,
                    holder=holder() or None,
                    lock_wait=self.wait,
                )
            self.stop.wait(self.interval)  # returns at once when the stop is set

    def refused(self, holder: str = "") -> RunLocked:
        """The error for a lock still held after the wait (``holder``: who holds it)."""
        held_by = f" (pid {holder})" if holder else ""
        waited = f" after waiting {self.wait:g} s" if self.wait else ""
        return RunLocked(
            f"another syncd run holds the lock for {_who(self.dealer_code)}{held_by}{waited}; "
            "try again when it has finished",
            ids=(self.dealer_code,),
        )


def _who(dealer_code: str) -> str:
    return f"dealer {dealer_code!r}" if dealer_code else "the token's dealer"


@contextmanager
def _advisory_lock(engine: Engine, waiting: _Waiting) -> Iterator[None]:
    with db_errors("taking the run lock", engine):
        # AUTOCOMMIT: the lock belongs to the session, no transaction stays open.
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        with db_errors("taking the run lock", engine):
            key = advisory_key(waiting.dealer_code, keys.current_schema(conn))
        with db_errors("taking the run lock", engine):
            taken = waiting.poll(lambda: _try_advisory(conn, key), _unknown_holder)
        if not taken:
            raise waiting.refused()
        try:
            yield
        finally:
            _release_advisory(conn, key)
    finally:
        conn.close()


def _unknown_holder() -> str:
    return ""  # Assumption: an advisory lock's holder is not worth a query to pg_locks.


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
def _file_lock(path: Path, waiting: _Waiting) -> Iterator[None]:
    # The file is never deleted: unlinking a lock file races with a waiter that
    # has opened the old one. O_CLOEXEC keeps the lock out of child processes.
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise MirrorUnavailable(f"cannot open the run lock file {path}: {exc.strerror}") from exc
    try:
        if not waiting.poll(lambda: _try_flock(fd), lambda: _read_holder(fd)):
            raise waiting.refused(_read_holder(fd))
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
