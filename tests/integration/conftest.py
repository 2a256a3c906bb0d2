"""Database fixtures for integration tests: a real SQLite file and the real PostgreSQL.

* ``sqlite_url`` — a fresh SQLite file under ``tmp_path`` (no schema yet).
* ``postgres_url`` — the PostgreSQL server (``$SYNCD_TEST_POSTGRES_URL``, default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) with a fresh schema
  ``t_<random>`` of its own as the search_path; dropped afterwards. Tests that use
  it are marked ``postgres``. When the server is down the test fails, unless
  ``SYNCD_TEST_NO_POSTGRES=1`` is set, which skips every PostgreSQL test.
* ``database_url`` — both of the above, ids ``sqlite`` and ``postgres``.
* ``migrated_engine`` — an Engine on ``database_url`` migrated to head; disposed after.
* ``http_sandbox`` — one sandbox subprocess over HTTP per test module (fast processing);
  tests reset it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, make_url

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from tests.integration.sandbox_server import SandboxServer, running_sandbox

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the postgres_url fixture carries the postgres marker."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite file (not created until first connected)."""
    return f"sqlite:///{tmp_path / 'mirror.db'}"


def _admin_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    parsed = make_url(url)
    try:
        return psycopg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database,
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {parsed.render_as_string(hide_password=True)} is not reachable "
            f"({exc}); start it, or set SYNCD_TEST_NO_POSTGRES=1 to skip PostgreSQL tests",
            pytrace=False,
        )


@contextmanager
def _fresh_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new schema, dropped afterwards."""
    if os.environ.get("SYNCD_TEST_NO_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped: SYNCD_TEST_NO_POSTGRES=1")
    base = os.environ.get("SYNCD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    schema = f"t_{secrets.token_hex(6)}"
    with _admin_connect(base) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test's own."""
    with _fresh_schema() as url:
        yield url


@pytest.fixture
def other_postgres_url(postgres_url: str) -> Iterator[str]:
    """A second fresh schema in the same database (another install beside the first)."""
    with _fresh_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: a SQLite file or a PostgreSQL schema."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An Engine on ``database_url`` with the Alembic migrations run to head."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def http_sandbox() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the test module, processing in 20 ms."""
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        yield sandbox
