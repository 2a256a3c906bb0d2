"""start_run closes abandoned runs through the partial index of open runs (0007)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, text

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.schema import runs
from syncd.mirror.sql import SqlMirror

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _updates_of_start_run(engine: Engine) -> list[tuple[str, Any]]:
    """The UPDATE statements (SQL and parameters) ``start_run`` sends."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, sql: str, params: Any, *_: object) -> None:
        if sql.lstrip().upper().startswith("UPDATE"):
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        SqlMirror(engine).start_run("D1", None, T0 + timedelta(days=30))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_start_run_searches_the_open_runs_index_not_the_dealers_history(
    sqlite_url: str,
) -> None:
    """With 2 000 finished runs kept, SQLite's plan for the UPDATE that closes abandoned
    runs is a search of ``ix_runs_dealer_code_open`` (the open runs only), not a scan nor
    a search of every run of the dealer; the abandoned run is still closed."""
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        finished = [
            {
                "dealer_code": "D1",
                "started_at": T0 + timedelta(minutes=i),
                "finished_at": T0 + timedelta(minutes=i, seconds=30),
                "outcome": "success",
            }
            for i in range(2000)
        ]
        with engine.begin() as conn:
            conn.execute(insert(runs), finished)
            conn.execute(text("ANALYZE"))
        dead = SqlMirror(engine).start_run("D1", None, T0 + timedelta(days=20))
        [(sql, params)] = _updates_of_start_run(engine)
        with engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert plan == ["SEARCH runs USING INDEX ix_runs_dealer_code_open (dealer_code=?)"]
        [closed] = [r for r in SqlMirror(engine).runs("D1", 2) if r.run_id == dead]
        assert closed.outcome == "failed"
    finally:
        engine.dispose()
