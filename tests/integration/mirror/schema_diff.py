"""What autogenerate finds between a migrated database and ``syncd/mirror/schema.py``."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from syncd.mirror.schema import MIGRATIONS_ONLY, metadata


def _compared(obj: object, name: str | None, type_: str, *_: object) -> bool:
    """Everything but the indexes schema.py leaves to the migrations (MIGRATIONS_ONLY)."""
    return not (type_ == "index" and name in MIGRATIONS_ONLY)


def differences(conn: Connection) -> list[Any]:
    """Autogenerate's differences, the migrations-only indexes left out."""
    context = MigrationContext.configure(conn, opts={"include_object": _compared})
    return list(compare_metadata(context, metadata))
