"""Sandbox: the request journal: every API request the sandbox received, for tests and benchmarks.

Requests to ``/_sandbox`` are not journaled, so a test counts exactly the calls
its client made. The journal lives in memory (bounded) and is not persisted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.sandbox.views import iso


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request: what was asked, what was answered, and which fault if any."""

    method: str
    path: str
    query: str
    status: int | None  # None when the connection was dropped
    time: datetime
    dealer: str | None
    source_id: str | None
    fault: str | None
    request_id: str | None
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        """The entry as ``GET /_sandbox/journal`` shows it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "time": iso(self.time),
            "dealer": self.dealer,
            "source_id": self.source_id,
            "fault": self.fault,
            "request_id": self.request_id,
            "duration_ms": round(self.duration_ms, 3),
        }


class Journal:
    """A bounded, thread-safe list of journal entries, oldest first."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=limit)

    def add(self, entry: JournalEntry) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> int:
        """Forget every entry; answers how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def entries(self, filters: Mapping[str, str]) -> list[JournalEntry]:
        """The entries matching ``method``, ``source_id``, ``dealer``, ``status``, ``fault``."""
        with self._lock:
            entries = list(self._entries)
        for name in ("method", "source_id", "dealer", "status", "fault"):
            wanted = filters.get(name)
            if wanted:
                entries = [e for e in entries if str(getattr(e, name)).upper() == wanted.upper()]
        return entries
