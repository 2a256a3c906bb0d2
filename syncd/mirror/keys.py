"""Adapter (mirror): the keys of syncd's PostgreSQL advisory locks, each naming its schema.

PostgreSQL's advisory locks are per database, not per schema, and an integrator
may run many installs against one database, each in its own schema (its
search_path, README "Several installs on one PostgreSQL"). Every advisory lock
syncd takes (a dealer's run, a renewal policy's caps, a migration) is keyed on
the schema its tables are in (``current_schema()``) as well as on what it guards:
one install's lock never blocks another's, and two processes of one install,
which share the schema, always meet on the same key.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.engine import Connection


def advisory_key(namespace: bytes, schema: str, *parts: str) -> int:
    """The signed 64-bit advisory-lock key of ``parts`` in ``schema`` (stable across
    processes and versions of Python). ``namespace`` (``b"syncd-run:"``, ...) keeps the
    kinds of lock, and syncd's keys from other applications', apart."""
    name = namespace + schema.encode() + b"\0" + b"\0".join(p.encode() for p in parts)
    digest = hashlib.blake2b(name, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def current_schema(conn: Connection) -> str:
    """The schema this connection creates and finds syncd's tables in.

    ``""`` when no schema of the search_path exists: the install is refused at start
    (:mod:`syncd.mirror.search_path`), and a lock taken before that (``db upgrade``
    of such a URL fails next) needs no key of its own.
    """
    schema = conn.execute(text("SELECT current_schema()")).scalar_one_or_none()
    return "" if schema is None else str(schema)
