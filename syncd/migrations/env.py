"""Adapter (mirror): Alembic environment of the mirror: runs the migrations in ``versions/``.

syncd runs it programmatically (:mod:`syncd.mirror.migrate` hands over an open
connection in ``config.attributes["connection"]``); developers may also run
the ``alembic`` command with the repository's ``alembic.ini``, which names a
database URL instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from syncd.mirror.engine import make_engine
from syncd.mirror.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: set sqlalchemy.url (or run `syncd db upgrade`)")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
