"""Sandbox: where the sandbox keeps its ads: nowhere (memory) or a SQLite file (``--state``).

The store holds every ad in memory and writes each changed ad through to the
repository, one JSON document per ad; at start-up it loads them back. Each
operation opens its own short-lived SQLite connection, so no connection
outlives a request (the ASGI transport runs no lifespan to close one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Protocol

import orjson

from syncd.sandbox.records import Ad, ad_from_json, ad_to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ads (
    dealer_code TEXT NOT NULL,
    source_id TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (dealer_code, source_id)
)
"""


class Repository(Protocol):
    """Persistence of ads (write-through from the store)."""

    def load(self) -> list[Ad]:
        """Every stored ad."""
        ...

    def save(self, ads: Iterable[Ad]) -> None:
        """Insert or replace these ads."""
        ...

    def clear(self) -> None:
        """Forget every ad."""
        ...


class MemoryRepository:
    """No persistence: state lives and dies with the app."""

    def load(self) -> list[Ad]:
        """Nothing is ever stored."""
        return []

    def save(self, ads: Iterable[Ad]) -> None:
        """Nothing to do."""

    def clear(self) -> None:
        """Nothing to do."""


class SqliteRepository:
    """One JSON document per ad in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    def _connect(self) -> closing[sqlite3.Connection]:
        conn = sqlite3.connect(self._path, timeout=30)
        # WAL with synchronous=NORMAL: durable across crashes of the sandbox, and fast.
        conn.execute("PRAGMA synchronous=NORMAL")
        return closing(conn)

    def load(self) -> list[Ad]:
        """Every stored ad."""
        with self._connect() as conn:
            rows = conn.execute("SELECT doc FROM ads").fetchall()
        return [ad_from_json(orjson.loads(row[0])) for row in rows]

    def save(self, ads: Iterable[Ad]) -> None:
        """Insert or replace these ads in one transaction."""
        rows = [(ad.dealer_code, ad.source_id, orjson.dumps(ad_to_json(ad))) for ad in ads]
        with self._connect() as conn, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO ads (dealer_code, source_id, doc) VALUES (?, ?, ?)", rows
            )

    def clear(self) -> None:
        """Delete every ad."""
        with self._connect() as conn, conn:
            conn.execute("DELETE FROM ads")
