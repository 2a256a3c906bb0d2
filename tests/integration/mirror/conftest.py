"""The mirror port three ways, for the tests that hold every implementation to one contract.

* ``mirror`` — a ``FakeMirror`` in memory, a ``SqlMirror`` on a SQLite file, and one on a
  PostgreSQL schema (ids ``fake``, ``sqlite``, ``postgres``), each migrated to head.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.sql import SqlMirror
from syncd.ports import Mirror
from tests.fakes import FakeMirror


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def mirror(request: pytest.FixtureRequest) -> Iterator[Mirror]:
    """The same port three ways: in memory, on a SQLite file, on a PostgreSQL schema."""
    if request.param == "fake":
        yield FakeMirror()
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    try:
        upgrade(engine)
        yield SqlMirror(engine)
    finally:
        engine.dispose()
