"""Downgrading a migration that drops a column of ``ads`` keeps every row of ``ads`` and of
``action_logs`` (on SQLite a copy of the table would cascade to the logs), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import downgrade, upgrade
from syncd.mirror.schema import action_logs, ads, runs

NOW = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("target", ["0005", "0004", "0002"])
def test_a_downgrade_keeps_the_action_logs(database_url: str, target: str) -> None:
    """An ad with one log entry: after downgrading past 0006 (and 0005, 0003), both are there."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            ad_id = conn.execute(
                insert(ads)
                .values(dealer_code="D1", source_id="a", created_at=NOW, updated_at=NOW)
                .returning(ads.c.id)
            ).scalar_one()
            conn.execute(
                insert(action_logs).values(
                    ad_id=ad_id,
                    request_id="r1",
                    action="create",
                    state="done",
                    created=NOW,
                    recorded_at=NOW,
                )
            )
        downgrade(engine, target)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ads)).scalar_one() == 1
            logs = conn.execute(select(func.count()).select_from(action_logs)).scalar_one()
        assert logs == 1
    finally:
        engine.dispose()


def test_the_0006_downgrade_keeps_the_runs_and_the_absent_marks(database_url: str) -> None:
    """Dropping runs.absent_recorded (in place) keeps every run, and ads.absent_since
    (0005's) keeps its marks."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(ads).values(
                    dealer_code="D1", source_id="a", created_at=NOW, updated_at=NOW,
                    absent_since=NOW,
                )
            )  # fmt: skip
            conn.execute(
                insert(runs).values(dealer_code="D1", started_at=NOW, absent_recorded=True)
            )
        downgrade(engine, "0005")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 1
            marks = conn.execute(select(ads.c.absent_since)).scalars().all()
        assert marks == [NOW]
        upgrade(engine)
    finally:
        engine.dispose()
