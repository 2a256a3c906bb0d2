"""A database error names the database it concerns: the SQLite file, or host and name."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import ConfigError, MirrorUnavailable
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import ensure_current


def test_an_unopenable_sqlite_file_is_named(tmp_path: Path) -> None:
    """A mirror whose folder does not exist fails naming the file's path."""
    path = tmp_path / "no-such-folder" / "mirror.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(MirrorUnavailable) as info:
            ensure_current(engine, auto_upgrade=True)
    finally:
        engine.dispose()
    assert f"SQLite file {path}" in str(info.value)


def test_an_unreachable_server_is_named_without_its_password() -> None:
    """A PostgreSQL server that refuses connections is named by host, port and database."""
    engine = make_engine("postgresql+psycopg://syncd:hunter2@127.0.0.1:1/inventory")
    try:
        with pytest.raises(MirrorUnavailable) as info:
            ensure_current(engine, auto_upgrade=True)
    finally:
        engine.dispose()
    message = str(info.value)
    assert "postgresql at 127.0.0.1:1, database inventory" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://syncd:hunter2@127.0.0.1/inventory", "the mirror lives in SQLite"),
        ("postgresql+asyncpg://syncd:hunter2@127.0.0.1/inventory", "driver is not installed"),
    ],
)
def test_a_database_syncd_cannot_use_is_a_config_error(url: str, reason: str) -> None:
    """Another database, or a driver syncd does not install, is refused (exit 3) without
    its password, not a ModuleNotFoundError traceback (exit 1)."""
    with pytest.raises(ConfigError) as info:
        make_engine(url)
    message = str(info.value)
    assert message.startswith("database.url: cannot use ")
    assert reason in message
    assert "hunter2" not in message


@pytest.mark.postgres
def test_a_search_path_schema_that_does_not_exist_is_a_config_error(postgres_url: str) -> None:
    """A search_path naming a schema nobody created (one install per schema, the schema
    not made first) is exit 3 naming the fix, not exit 7: no retry can create it."""
    url = postgres_url.replace("search_path%3D", "search_path%3Dno_such_").replace(
        "search_path=", "search_path=no_such_"
    )
    assert "no_such_" in url
    engine = make_engine(url)
    try:
        with pytest.raises(ConfigError) as info:
            ensure_current(engine, auto_upgrade=True)
    finally:
        engine.dispose()
    message = str(info.value)
    assert message.startswith("database.url: ")
    assert "search_path" in message
    assert "CREATE SCHEMA" in message
