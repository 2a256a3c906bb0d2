"""Adapter (mirror): Alembic driven from code, the only way the schema is created or changed.

The migration scripts ship inside the package (``syncd/migrations``), so no
``alembic.ini`` is needed at runtime: :func:`alembic_config` builds the
configuration in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from syncd.errors import SchemaError
from syncd.mirror import keys
from syncd.mirror.engine import db_errors, make_engine, writer

SCRIPT_LOCATION = "syncd:migrations"

MIGRATION_LOCK_NAMESPACE = b"syncd-migrate:"
"""Prefix of the key of the advisory lock migrations take (one per schema: ``keys``)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic configuration; ``connection`` is handed to env.py."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this syncd ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "syncd ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision, or None for an empty database."""
    with db_errors("reading the schema revision", engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the database up to ``revision``, in one transaction where the backend allows."""
    _migrate(command.upgrade, engine_or_url, revision)


def downgrade(engine_or_url: Engine | str, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"``: drop everything). For developers."""
    _migrate(command.downgrade, engine_or_url, revision)


def _migrate(
    step: Callable[[Config, str], None], engine_or_url: Engine | str, revision: str
) -> None:
    if isinstance(engine_or_url, str):
        engine = make_engine(engine_or_url)
        try:
            _migrate(step, engine, revision)
        finally:
            engine.dispose()
        return
    # Two syncd processes may auto-upgrade at once: the migration runs under a
    # write lock (BEGIN IMMEDIATE on SQLite, a transaction advisory lock on
    # PostgreSQL), so the second one waits and then finds the schema current.
    with db_errors("migrating the schema", engine_or_url), writer(engine_or_url).begin() as conn:
        if conn.dialect.name == "postgresql":
            key = keys.advisory_key(MIGRATION_LOCK_NAMESPACE, keys.current_schema(conn))
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        try:
            step(alembic_config(conn), revision)
        except (CommandError, RevisionError) as exc:
            raise SchemaError(f"cannot migrate the mirror's schema to {revision}: {exc}") from exc


def ensure_current(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is this syncd's; upgrade it first if ``auto_upgrade``.

    Raises SchemaError when the schema is older and ``auto_upgrade`` is off,
    or when the database was migrated by a newer syncd than this one.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is not None and not _known(current):
        raise SchemaError(
            f"the mirror database is at schema revision {current}, newer than this syncd "
            f"knows (its newest is {head}); upgrade syncd or point it at another database"
        )
    if not auto_upgrade:
        found = f"revision {current}" if current else "an empty database"
        raise SchemaError(
            f"the mirror database's schema is out of date ({found}, this syncd needs {head}); "
            "run `syncd db upgrade`"
        )
    upgrade(engine, head)


def _known(revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config())
    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False
