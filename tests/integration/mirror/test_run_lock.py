"""The per-dealer run lock: a file lock on SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine
from structlog.testing import capture_logs

from syncd.errors import MirrorUnavailable, RunLocked, Stopped
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import advisory_key, lock_path, run_lock
from tests.processes import Processes

HOLDER = """
import sys, time
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import run_lock
engine = make_engine(sys.argv[1])
with run_lock(engine, sys.argv[2], wait=0):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database (the lock needs no schema)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_second_acquirer_is_refused_then_gets_the_lock_after_release(engine: Engine) -> None:
    """While one run holds the lock another is refused; after release it gets it."""
    with run_lock(engine, "D1", wait=0):
        with pytest.raises(RunLocked, match="'D1'"):
            with run_lock(engine, "D1", wait=0):
                pytest.fail("two runs held the same lock")
    with run_lock(engine, "D1", wait=0):
        pass


def test_dealers_do_not_share_a_lock(engine: Engine) -> None:
    """Runs of different dealers (and the token's own dealer) do not block each other."""
    with run_lock(engine, "D1", wait=0), run_lock(engine, "D2", wait=0):
        with run_lock(engine, "", wait=0), pytest.raises(RunLocked, match="token's dealer"):
            with run_lock(engine, "", wait=0):
                pass


def test_installs_in_two_schemas_of_one_database_do_not_share_a_lock(
    postgres_url: str, other_postgres_url: str
) -> None:
    """Two installs on one PostgreSQL database, each in its own schema, both with the token's
    own dealer, run at once: advisory locks are per database, so the key names the schema."""
    first, second = make_engine(postgres_url), make_engine(other_postgres_url)
    try:
        with run_lock(first, "", wait=0), run_lock(second, "", wait=0):
            with pytest.raises(RunLocked):
                with run_lock(first, "", wait=0):
                    pass
    finally:
        first.dispose()
        second.dispose()


@contextmanager
def noticing(event: str) -> Iterator[threading.Event]:
    """An Event set once ``event`` is logged, from any thread (the logs are dropped)."""
    seen = threading.Event()

    def notice(logger: Any, name: str, event_dict: Any) -> Any:
        if event_dict.get("event") == event:
            seen.set()
        raise structlog.DropEvent

    processors = structlog.get_config()["processors"]
    old = processors.copy()
    processors[:] = [notice]  # the same list: loggers already bound keep seeing it
    structlog.configure(processors=processors)
    try:
        yield seen
    finally:
        processors[:] = old
        structlog.configure(processors=processors)


def test_waiting_acquirer_gets_the_lock_when_it_is_released(engine: Engine) -> None:
    """A run waiting without limit takes the lock once the holder lets go (after it logged
    run_lock_waiting), not before: bounded by those events, never by time."""
    order: list[str] = []
    ended: list[BaseException] = []

    def wait() -> None:
        try:
            with run_lock(engine, "D1", wait=None, poll_interval=0.01):
                order.append("taken")
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            ended.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)  # daemon: a broken lock hangs no exit
    with noticing("run_lock_waiting") as waiting:
        with run_lock(engine, "D1", wait=0):
            waiter.start()
            seen = waiting.wait(30)
            order.append("released")  # still held until here: the waiter cannot have it yet
        waiter.join(30)  # a bound, not a timing: it takes the lock at its next try
    assert seen
    assert not waiter.is_alive()
    assert ended == []
    assert order == ["released", "taken"]


class SteppingClock:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.reads = 0

    def __call__(self) -> float:
        now, self.now = self.now, self.now + self.step
        self.reads += 1
        return now


def test_wait_gives_up_once_the_given_time_has_passed(engine: Engine) -> None:
    """A run that waits in vain tries until its clock passes ``wait``, then gives up with
    RunLocked, having logged run_lock_waiting once: counted on a clock of its own (each
    failed try reads it once), never timed."""
    clock = SteppingClock(0.1)
    with capture_logs() as logs, run_lock(engine, "D1", wait=0):
        with pytest.raises(RunLocked, match=r"after waiting 0\.3 s"):
            with run_lock(engine, "D1", wait=0.3, poll_interval=0.001, monotonic=clock):
                pass
    # Read at 0 for the deadline (0.3), then after each of the three tries: 0.1 and 0.2
    # (waited on), 0.3 (given up).
    assert clock.reads == 4
    waits = [e for e in logs if e["event"] == "run_lock_waiting"]
    assert [(e["dealer_code"], e["lock_wait"]) for e in waits] == [("D1", 0.3)]


def test_a_stop_ends_the_wait_at_once_and_the_lock_is_not_taken(engine: Engine) -> None:
    """A run waiting without limit, its poll an hour apart, ends with Stopped as soon as
    its stop event is set (after it logged run_lock_waiting); the holder keeps the lock."""
    stop = threading.Event()
    ended: list[BaseException] = []

    def wait() -> None:
        try:
            with run_lock(engine, "D1", wait=None, poll_interval=3600, stop=stop):
                pass
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            ended.append(exc)

    with run_lock(engine, "D1", wait=0), noticing("run_lock_waiting") as waiting:
        waiter = threading.Thread(target=wait)
        waiter.start()
        try:
            assert waiting.wait(30)
            stop.set()
            waiter.join(30)  # a bound, not a timing: it returns at once
            assert not waiter.is_alive()
        finally:
            stop.set()
            waiter.join(30)
        assert len(ended) == 1
        assert isinstance(ended[0], Stopped)
        assert "run lock of dealer 'D1'" in str(ended[0])
        with pytest.raises(RunLocked):  # still ours
            with run_lock(engine, "D1", wait=0):
                pass
    with run_lock(engine, "D1", wait=0):  # and free once let go: the waiter never took it
        pass


def test_a_stop_set_beforehand_makes_no_attempt(engine: Engine) -> None:
    """With its stop already set, taking even a free lock raises Stopped."""
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        with run_lock(engine, "D1", wait=10, stop=stop):
            pass
    with run_lock(engine, "D1", wait=0):
        pass


@pytest.mark.slow
def test_lock_is_released_when_the_holding_process_dies(
    database_url: str, engine: Engine, processes: Processes
) -> None:
    """A lock held by a process killed with SIGKILL is free again for the next run."""
    holder = processes.start(
        [sys.executable, "-c", HOLDER, database_url, "D1"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(RunLocked):
        with run_lock(engine, "D1", wait=0):
            pass
    holder.send_signal(signal.SIGKILL)
    processes.stop(holder)
    # The server may take a moment to notice the dead connection: wait, generously.
    with run_lock(engine, "D1", wait=30, poll_interval=0.05):
        pass


def test_file_lock_names_the_holding_process(sqlite_url: str) -> None:
    """On SQLite the refusal names the pid written into the lock file."""
    engine = make_engine(sqlite_url)
    try:
        with run_lock(engine, "D1", wait=0), pytest.raises(RunLocked, match=r"\(pid \d+\)"):
            with run_lock(engine, "D1", wait=0):
                pass
    finally:
        engine.dispose()


def test_lock_file_sits_next_to_the_database(sqlite_url: str) -> None:
    """The lock file is <db>.<dealer>.lock, quoted; <db>.lock for the token's dealer."""
    engine = make_engine(sqlite_url)
    try:
        database = engine.url.database
        assert str(lock_path(engine, "D1")) == f"{database}.D1.lock"
        assert str(lock_path(engine, "a/b")) == f"{database}.a%2Fb.lock"
        assert str(lock_path(engine, "")) == f"{database}.lock"
    finally:
        engine.dispose()


def test_unwritable_lock_directory_is_mirror_unavailable() -> None:
    """A lock file that cannot be created is reported like an unreachable database."""
    engine = make_engine("sqlite:////nonexistent-dir/for/sure/mirror.db")
    try:
        with pytest.raises(MirrorUnavailable, match="run lock file"):
            with run_lock(engine, "D1", wait=0):
                pass
    finally:
        engine.dispose()


def test_in_memory_sqlite_has_no_run_lock() -> None:
    """An in-memory database cannot be shared, so asking it for a run lock is an error."""
    engine = make_engine("sqlite://")
    try:
        with pytest.raises(ValueError, match="file path"):
            run_lock(engine, "D1", wait=0)
    finally:
        engine.dispose()


def test_advisory_keys_are_stable_signed_64_bit() -> None:
    """Each dealer has its own stable key that fits PostgreSQL's bigint."""
    assert advisory_key("D1", "s") == advisory_key("D1", "s")
    assert advisory_key("D1", "s") != advisory_key("D2", "s")
    assert advisory_key("", "s") != advisory_key("D1", "s")
    assert all(-(2**63) <= advisory_key(d, "s") < 2**63 for d in ("", "D1", "x" * 100))
    assert advisory_key("", "install_a") != advisory_key("", "install_b")
