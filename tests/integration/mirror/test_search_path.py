"""A PostgreSQL search_path whose first schema does not exist is refused at start (exit 3):
PostgreSQL would silently put syncd's tables in the next one, maybe another install's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, make_url

from syncd import bootstrap
from syncd.cli import ExitCode
from syncd.config import DatabaseSettings, Settings
from syncd.errors import ConfigError
from syncd.mirror.engine import make_engine
from syncd.mirror.search_path import check_search_path, first_schema
from tests.integration.cli_sandbox import invoke


def with_search_path(url: str, search_path: str) -> str:
    """``url`` with this search_path instead of its own."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={search_path}"})
    return parsed.render_as_string(hide_password=False)


def schema_of(url: str) -> str:
    """The schema a test URL names as its search_path."""
    return str(make_url(url).query["options"]).removeprefix("-csearch_path=")


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the test's own schema (to look at what was created in it)."""
    made = make_engine(postgres_url)
    yield made
    made.dispose()


def start(url: str) -> None:
    """What every command does first: open the mirror (creating its tables if need be)."""
    bootstrap.build_engine(Settings(database=DatabaseSettings(url=url))).dispose()


def test_a_missing_first_schema_is_refused_and_nothing_is_made_in_the_next(
    postgres_url: str, engine: Engine
) -> None:
    """``missing,<an install's schema>``: exit 3 naming the missing schema, and no table is
    made in the other install's schema."""
    schema = schema_of(postgres_url)
    with pytest.raises(ConfigError) as info:
        start(with_search_path(postgres_url, f"missing_{schema},{schema}"))
    message = str(info.value)
    assert message.startswith("database.url: the search_path's first schema ")
    assert f"'missing_{schema}'" in message
    assert "CREATE SCHEMA" in message
    assert inspect(engine).get_table_names() == []


def test_db_upgrade_with_a_missing_first_schema_exits_3(
    postgres_url: str, engine: Engine, tmp_path: Path
) -> None:
    """`syncd db upgrade` refuses it as a configuration error (exit 3), creating nothing."""
    schema = schema_of(postgres_url)
    url = with_search_path(postgres_url, f"missing_{schema},{schema}")
    config = tmp_path / "syncd.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    result = invoke(["db", "upgrade"], env={"SYNCD_CONFIG": str(config)})
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"'missing_{schema}'" in result.stderr
    assert inspect(engine).get_table_names() == []


def test_the_default_search_path_passes(postgres_url: str) -> None:
    """A URL without ``options`` (``"$user", public``, no schema of the user's own): one
    install in ``public``, as before."""
    plain = make_url(postgres_url).difference_update_query(["options"])
    made = make_engine(plain.render_as_string(hide_password=False))
    try:
        check_search_path(made)
    finally:
        made.dispose()


def test_an_existing_first_schema_is_used(postgres_url: str, engine: Engine) -> None:
    """The first schema exists (a second one after it too): the tables are made in it."""
    start(with_search_path(postgres_url, f"{schema_of(postgres_url)},public"))
    assert "ads" in inspect(engine).get_table_names()


def test_no_existing_schema_at_all_is_refused(postgres_url: str) -> None:
    """No schema of the search_path exists: exit 3 before any query of the tables."""
    with pytest.raises(ConfigError, match="no schema of the URL's search_path"):
        start(with_search_path(postgres_url, "missing_a,missing_b"))


@pytest.mark.parametrize(
    ("setting", "user", "usable", "first"),
    [
        ("missing, public", "syncd", {"public"}, "missing"),
        ('"$user", public', "syncd", {"public"}, "public"),
        ('"$user", public', "syncd", {"syncd", "public"}, "syncd"),
        ('"Install A", public', "syncd", set(), "Install A"),
        ('"a,b", public', "syncd", set(), "a,b"),
        ('"say ""hi""",x', "syncd", set(), 'say "hi"'),
        ("Install_A,public", "syncd", set(), "install_a"),
        ('""', "syncd", set(), None),
    ],
    ids=["missing", "user-skipped", "user-schema", "quoted", "comma", "quotes", "folded", "empty"],
)
def test_the_first_schema_is_read_as_postgresql_reads_it(
    setting: str, user: str, usable: set[str], first: str | None
) -> None:
    """Quoted names kept, unquoted folded to lower case, a leading "$user" without its
    schema skipped (PostgreSQL's default search_path)."""
    assert first_schema(setting, user, usable) == first
