"""Adapter (mirror): refuse a PostgreSQL search_path that would put the tables in another schema.

Many installs may share one PostgreSQL database, each in its own schema named
first in the URL's search_path (README, ``database.url``). PostgreSQL creates and
finds tables in the first schema of the search_path that exists
(``current_schema()``), skipping the others silently: with ``missing,public``
(``missing`` never created, or misspelt) syncd's tables would be made, or
found, in ``public``, where another install may live, and the two would
delete each other's ads. So the schema in use must be the first one named.

Assumption: the first schema named is the one the operator means. ``"$user"``
first (PostgreSQL's default search_path, ``"$user", public``) is the one
exception: it stands for the user's own schema, and PostgreSQL's documented
convention is that it is skipped when no such schema exists, so a URL without
``options`` (one install, in ``public``) keeps working.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from syncd.errors import ConfigError
from syncd.mirror.engine import db_errors

_ENTRY = re.compile(r'\s*("(?:[^"]|"")*"|[^,]*?)\s*(?:,|$)')
_USER = "$user"


def check_search_path(engine: Engine) -> None:
    """Raise ConfigError (exit 3) unless the tables live in the search_path's first schema.

    Nothing to check on SQLite (one file, one mirror).
    """
    if engine.dialect.name != "postgresql":
        return
    query = text(
        "SELECT current_setting('search_path'), current_schema(), current_user, "
        "current_schemas(false)"
    )
    with db_errors("reading the search_path", engine), engine.connect() as conn:
        setting, current, user, usable = conn.execute(query).one()
    if current is None:
        raise ConfigError(
            f"database.url: no schema of the URL's search_path ({setting}) exists; "
            "create it first (CREATE SCHEMA ...)"
        )
    wanted = first_schema(setting, user, set(usable))
    if wanted is not None and wanted != current:
        raise ConfigError(
            f"database.url: the search_path's first schema {wanted!r} does not exist (or "
            f"this user may not use it): syncd's tables would be in {current!r}, where "
            f"another install may live; create it first (CREATE SCHEMA ...) or name "
            f"{current!r} first"
        )


def first_schema(setting: str, user: str, usable: set[str]) -> str | None:
    """The schema ``setting`` (a search_path as PostgreSQL shows it) names first, as
    PostgreSQL reads it (unquoted names folded to lower case); a leading ``"$user"`` whose
    schema is not ``usable`` is skipped (see the module docstring). None: none named."""
    names = [_name(entry) for entry in _ENTRY.findall(setting)]
    names = [name for name in names if name]
    if names and names[0] == _USER:
        if user in usable:
            return user
        names = names[1:]
    return names[0] if names else None


def _name(entry: str) -> str:
    if entry.startswith('"') and entry.endswith('"') and len(entry) >= 2:
        return entry[1:-1].replace('""', '"')
    return entry.lower()
