"""On PostgreSQL the mirror's statements are planned for their own values: psycopg prepares
none of them on the server, where a plan made while the table was empty would stay."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade

pytestmark = pytest.mark.postgres


def prepared_after_repeats(engine: Engine) -> int:
    """How many statements the server holds prepared for one connection that ran the same
    query ten times (psycopg prepares one after five runs, by default)."""
    with engine.connect() as conn:
        for n in range(10):
            conn.execute(text("SELECT id FROM ads WHERE source_id = :s"), {"s": f"s{n}"})
        return int(conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def test_the_mirror_engine_prepares_no_statement_on_the_server(postgres_url: str) -> None:
    """Ten runs of one query leave nothing prepared; a plain psycopg engine (the control)
    would have prepared it."""
    engine = make_engine(postgres_url)
    plain = create_engine(postgres_url)
    try:
        upgrade(engine)
        assert prepared_after_repeats(engine) == 0
        assert prepared_after_repeats(plain) == 1
    finally:
        engine.dispose()
        plain.dispose()
