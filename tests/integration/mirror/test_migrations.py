"""The Alembic migrations on a real SQLite file and PostgreSQL: they build schema.py's tables."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, inspect, text

from syncd.core.models import ItemProblem
from syncd.errors import MirrorUnavailable, SchemaError
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import (
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    upgrade,
)
from syncd.mirror.schema import MIGRATIONS_ONLY, runs
from syncd.mirror.sql import SqlMirror
from tests.integration.mirror.schema_diff import differences


def test_migrated_schema_equals_the_metadata(migrated_engine: Engine) -> None:
    """Autogenerate finds no difference between the migrated database and schema.py (but
    the indexes schema.py leaves to the migrations, which the database has)."""
    with migrated_engine.connect() as conn:
        diff = differences(conn)
        found = inspect(conn)
        indexes = {i["name"] for t in ("ads", "runs") for i in found.get_indexes(t)}
    assert diff == []
    assert indexes >= MIGRATIONS_ONLY


def test_upgrade_reaches_head(migrated_engine: Engine) -> None:
    """After upgrade the database is at the newest revision this syncd ships."""
    assert current_revision(migrated_engine) == head_revision()


def test_upgrade_accepts_a_url(database_url: str) -> None:
    """upgrade() takes a URL too, and disposes of the engine it makes."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(migrated_engine: Engine) -> None:
    """The initial migration can be undone and redone."""
    downgrade(migrated_engine, "base")
    assert current_revision(migrated_engine) is None
    assert set(inspect(migrated_engine).get_table_names()) <= {"alembic_version"}
    upgrade(migrated_engine)
    assert {"ads", "action_logs", "runs"} <= set(inspect(migrated_engine).get_table_names())


def test_0002_adds_runs_invalid_and_its_downgrade_keeps_the_runs(database_url: str) -> None:
    """Runs from before 0002 read back with no invalid items; going down drops only the column."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        when = datetime(2026, 12, 1, tzinfo=UTC)
        with engine.begin() as conn:
            # Only columns 0001 has: the row is what an older syncd wrote.
            conn.execute(insert(runs).values(dealer_code="D1", started_at=when, outcome="partial"))
        upgrade(engine)
        mirror = SqlMirror(engine)
        [old] = mirror.runs("D1", 5)
        assert (old.outcome, old.invalid, old.invalid_omitted) == ("partial", (), 0)
        new = mirror.start_run("D1", None, when)
        mirror.finish_run(new, "partial", {}, None, when, invalid=[ItemProblem("a", "f", "x", "y")])
        downgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        found = inspect(engine)
        assert "invalid" not in {c["name"] for c in found.get_columns("runs")}
        assert "ix_runs_dealer_code_started_at" in {i["name"] for i in found.get_indexes("runs")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 2
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_empty_database_without_auto_upgrade_says_run_db_upgrade(database_url: str) -> None:
    """An empty database with auto_upgrade off stops with a message naming the command."""
    engine = make_engine(database_url)
    try:
        with pytest.raises(SchemaError, match="syncd db upgrade"):
            ensure_current(engine, auto_upgrade=False)
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_empty_database_with_auto_upgrade_is_upgraded(database_url: str) -> None:
    """An empty database with auto_upgrade on is migrated to head."""
    engine = make_engine(database_url)
    try:
        ensure_current(engine, auto_upgrade=True)
        assert current_revision(engine) == head_revision()
        ensure_current(engine, auto_upgrade=False)  # now current: no error
    finally:
        engine.dispose()


def test_newer_database_is_refused(migrated_engine: Engine) -> None:
    """A database migrated by a newer syncd is refused, even with auto_upgrade on."""
    with migrated_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(SchemaError, match="newer than this syncd"):
        ensure_current(migrated_engine, auto_upgrade=True)


def test_unreachable_database_is_mirror_unavailable() -> None:
    """A database that cannot be opened raises MirrorUnavailable, not a SQLAlchemy error."""
    engine = make_engine("sqlite:////nonexistent-dir/for/sure/mirror.db")
    try:
        with pytest.raises(MirrorUnavailable, match="unable to open"):
            current_revision(engine)
    finally:
        engine.dispose()


def test_version_table_lands_in_the_test_schema(postgres_url: str) -> None:
    """On PostgreSQL the Alembic version table is created in the per-test schema."""
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            found = conn.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'alembic_version'"
                )
            ).scalars()
            assert schema.startswith("t_")
            assert schema in list(found)
    finally:
        engine.dispose()


def test_concurrent_auto_upgrades_do_not_collide(database_url: str) -> None:
    """Two processes upgrading an empty database at once both end with a current schema."""
    engines = [make_engine(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            ensure_current(engine, auto_upgrade=True)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert {current_revision(e) for e in engines} == {head_revision()}
    finally:
        for e in engines:
            e.dispose()
