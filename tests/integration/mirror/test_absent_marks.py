"""The absent marks on SQLite and PostgreSQL: only the changes are written (statements and
rows counted, never timed), and which runs recorded them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

from syncd.core.models import RunOutcome
from syncd.mirror.sql import SqlMirror
from tests.integration.mirror.test_mirror_contract import create

D = "D1"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
N = 1_200  # more keys than one SQLite statement binds


@contextmanager
def counting_writes(engine: Engine) -> Iterator[list[tuple[str, int]]]:
    """The UPDATEs of ``ads`` run inside the block, each with the rows it changed."""
    seen: list[tuple[str, int]] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ADS"):
            seen.append((statement, cursor.rowcount))

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", after)


def stocked(engine: Engine) -> SqlMirror:
    """A mirror of N ads of dealer D1."""
    mirror = SqlMirror(engine)
    mirror.record_intents([create(f"s{i:04}") for i in range(N)], T0)
    return mirror


def test_unchanged_marks_write_nothing_and_a_change_touches_only_its_rows(
    migrated_engine: Engine,
) -> None:
    """The whole stock marked, then the same marks again: no UPDATE at all; then 3 ads
    back in the feed and 2 more gone: the rows touched are those 3 (+2 already marked:
    none), and a later run keeps the first time of every mark."""
    mirror = stocked(migrated_engine)
    every = [f"s{i:04}" for i in range(N)]
    mirror.record_absent(D, every[:10], T0)
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, every[:10], T0 + timedelta(hours=1))
    assert writes == []
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, every[3:12], T0 + timedelta(hours=2))
    assert sum(rows for _, rows in writes) == 3 + 2
    assert len(writes) == 2  # one to clear, one to set
    marks = {s: ad.absent_since for s, ad in mirror.load(D).items() if ad.absent_since}
    assert marks == {
        **dict.fromkeys(every[3:10], T0),
        **dict.fromkeys(every[10:12], T0 + timedelta(hours=2)),
    }


def test_marking_a_whole_stock_takes_one_statement_on_postgresql(migrated_engine: Engine) -> None:
    """A guard holding every delete back (an empty feed): N rows marked in one UPDATE on
    PostgreSQL (an array of keys), in chunks of keys on SQLite; each row once."""
    mirror = stocked(migrated_engine)
    every = [f"s{i:04}" for i in range(N)]
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, every, T0)
    assert sum(rows for _, rows in writes) == N
    if migrated_engine.dialect.name == "postgresql":
        assert len(writes) == 1
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, [], T0)
    assert sum(rows for _, rows in writes) == N


def test_a_dealer_counts_as_recorded_once_a_run_of_this_version_recorded_the_marks(
    migrated_engine: Engine,
) -> None:
    """A run finished without the flag (as every run before 0006) says nothing; one with
    it says so for its dealer only (its start, whatever its outcome); a later run without
    the flag (a sync that failed before its plan) leaves the time of the last one with it."""
    mirror = SqlMirror(migrated_engine)
    old = mirror.start_run(D, None, T0)
    mirror.finish_run(old, RunOutcome.SUCCESS, {}, None, T0)
    assert mirror.absent_recorded_at(D) is None
    new = mirror.start_run(D, None, T0 + timedelta(minutes=5))
    mirror.finish_run(
        new, RunOutcome.FAILED, {}, "boom", T0 + timedelta(hours=1), absent_recorded=True
    )
    assert mirror.absent_recorded_at(D) == T0 + timedelta(minutes=5)
    assert mirror.absent_recorded_at("D2") is None
    broken = mirror.start_run(D, None, T0 + timedelta(hours=2))
    mirror.finish_run(broken, RunOutcome.FAILED, {}, "feed unreadable", T0 + timedelta(hours=2))
    assert mirror.absent_recorded_at(D) == T0 + timedelta(minutes=5)


def test_an_id_without_a_row_makes_no_write_on_every_run(migrated_engine: Engine) -> None:
    """The plan names an invalid item of an ad never created (no row, never marked): the
    marks unchanged otherwise, the next run writes nothing (no UPDATE, no write lock);
    one new mark beside it is still written."""
    mirror = stocked(migrated_engine)
    mirror.record_absent(D, ["s0001", "never-created"], T0)
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, ["s0001", "never-created"], T0 + timedelta(hours=1))
    assert writes == []
    with counting_writes(migrated_engine) as writes:
        mirror.record_absent(D, ["s0001", "s0002", "never-created"], T0 + timedelta(hours=2))
    assert sum(rows for _, rows in writes) == 1
    marks = {s: ad.absent_since for s, ad in mirror.load(D).items() if ad.absent_since}
    assert marks == {"s0001": T0, "s0002": T0 + timedelta(hours=2)}


def test_the_marks_of_a_dealer_group_are_each_dealers_own(migrated_engine: Engine) -> None:
    """Two dealers of one group file both sell ``x``: D1's run finds it absent, D2's
    still has it; each run replaces only its own dealer's marks, in either order."""
    mirror = SqlMirror(migrated_engine)
    mirror.record_intents([create("x", dealer=D), create("x", dealer="D2")], T0)
    mirror.record_absent(D, ["x"], T0)
    mirror.record_absent("D2", [], T0 + timedelta(minutes=1))
    assert mirror.load(D)["x"].absent_since == T0
    assert mirror.load("D2")["x"].absent_since is None
    mirror.record_absent("D2", ["x"], T0 + timedelta(minutes=2))
    mirror.record_absent(D, [], T0 + timedelta(minutes=3))
    assert mirror.load(D)["x"].absent_since is None
    assert mirror.load("D2")["x"].absent_since == T0 + timedelta(minutes=2)
