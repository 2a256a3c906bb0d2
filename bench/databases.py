"""Benchmarks' PostgreSQL: a fresh schema of the test server, dropped afterwards.

Imported as ``databases`` by the benchmarks run as scripts (``python bench/mirror.py``:
bench/ is their path) and as ``bench.databases`` by those run as modules (``-m bench.e2e``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from sqlalchemy import make_url

POSTGRES = os.environ.get(
    "SYNCD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def fresh_postgres(prefix: str = "bench") -> Iterator[str]:
    """The URL of a new, empty schema (its search_path set), dropped when the block ends."""
    parsed = make_url(POSTGRES)
    schema = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname=parsed.database,
        autocommit=True,
    ) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def on_each_database(measure: Callable[[str, str], None]) -> None:
    """``measure(name, url)`` on a new SQLite file, then on a fresh PostgreSQL schema."""
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")
    with fresh_postgres() as url:
        measure("postgresql", url)
