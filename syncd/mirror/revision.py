"""Adapter (mirror): is the schema this syncd's? Answered without importing Alembic.

Every command opens the mirror, and importing Alembic costs more than most
commands' own work; it is imported (by :mod:`syncd.mirror.migrate`) only when
the schema is not current: a new database, an upgrade, or a newer schema.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from syncd.mirror.engine import db_errors

HEAD = "0008"
"""The newest migration this syncd ships (a test holds it equal to Alembic's head)."""


def is_current(engine: Engine) -> bool:
    """True when the database's Alembic revision is exactly :data:`HEAD`."""
    with db_errors("reading the schema revision", engine), engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(found) == [HEAD]
