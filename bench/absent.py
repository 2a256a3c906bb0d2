"""Benchmark: recording the absent marks (``record_absent``) of 100 000 ads, SQLite and
PostgreSQL, on a table just filled (PostgreSQL: never analysed, as after a first sync).

Three runs of one dealer's marks: the whole stock newly absent (an empty feed whose
deletes a guard holds back), the same marks again (the usual run: no write), and the
feed back (every mark cleared). Prints seconds and the ``UPDATE ads`` statements and
rows each took. Before 0006 marking 100 000 on PostgreSQL took 21 s (keyed chunks, one
sequential scan each); the target is under 3 s.

Run: .venv/bin/python bench/absent.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from databases import on_each_database  # type: ignore[import-not-found]
from mirror import fill  # type: ignore[import-not-found]  # bench/ is the script's path
from sqlalchemy import Engine, event

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.sql import SqlMirror

N = 100_000
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def counted(engine: Engine, call: Callable[[], object]) -> tuple[float, int, int]:
    """Seconds, UPDATE statements and rows changed of one call."""
    seen = [0, 0]

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ADS"):
            seen[0] += 1
            seen[1] += cursor.rowcount

    event.listen(engine, "after_cursor_execute", after)
    started = time.perf_counter()
    try:
        call()
    finally:
        event.remove(engine, "after_cursor_execute", after)
    return time.perf_counter() - started, seen[0], seen[1]


def measure(name: str, url: str) -> None:
    """The three runs on one backend, printed."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        fill(engine, "D1", N)
        mirror = SqlMirror(engine)
        every = [f"s{i:06}" for i in range(N)]
        runs = (
            ("all newly absent", every, T0),
            ("same marks again", every, T0 + timedelta(hours=1)),
            ("feed back", [], T0 + timedelta(hours=2)),
        )
        for what, keys, now in runs:
            took, statements, rows = counted(
                engine, lambda k=keys, n=now: mirror.record_absent("D1", k, n)
            )
            print(f"{name:10} {N} ads, {what:17}: {took:6.3f} s, {statements} UPDATE, {rows} rows")
    finally:
        engine.dispose()


def main() -> None:
    on_each_database(measure)


if __name__ == "__main__":
    main()
