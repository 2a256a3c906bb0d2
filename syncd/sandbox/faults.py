"""Sandbox: fault injection: which answer a request gets instead of (or besides) the normal one.

:class:`FaultState` holds the current :class:`~syncd.sandbox.settings.Faults`,
the seeded RNG and the rate-limit window; :meth:`FaultState.decide` is called
once per API request (never for ``/_sandbox``) and answers a :class:`Decision`.
The app applies it: latency and timeouts sleep, errors answer 5xx, the rate
limit answers 429 with ``Retry-After``, drops close the connection.

Order of decisions: the ``script`` first (one entry per request), then the rate
limit, then the random faults (drop, timeout, error), each drawn from the RNG
that was seeded when the faults were set. ``methods`` restricts the script and
the random faults (not the rate limit) to some HTTP methods.
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import urlsplit

from syncd.sandbox.settings import Faults

Kind = Literal["none", "error", "rate_limited", "drop", "timeout"]
NO_FAULT: Decision


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one request."""

    kind: Kind = "none"
    status: int | None = None
    retry_after: int | None = None


NO_FAULT = Decision()


class FaultState:
    """The faults in force and the state they need (RNG, script, rate window)."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._window: deque[datetime] = deque()
        self.faults = faults
        self._rng = random.Random(faults.seed)  # noqa: S311 - reproducible faults, not security
        self._script = list(faults.script)
        self.set(faults)

    def set(self, faults: Faults) -> None:
        """Put new faults in force; the RNG is re-seeded and the script restarted."""
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311
            self._script = list(faults.script)
            self._window.clear()

    def decide(self, method: str, now: datetime) -> Decision:
        """The fault for one API request (NO_FAULT for a normal answer)."""
        with self._lock:
            faults = self.faults
            applies = not faults.methods or method.upper() in faults.methods
            if applies and self._script:
                return _scripted(self._script.pop(0), faults)
            limited = self._rate_limited(now, faults)
            if limited is not None:
                return limited
            if applies:
                return self._random(faults)
            return NO_FAULT

    def _rate_limited(self, now: datetime, faults: Faults) -> Decision | None:
        if faults.rate_limit <= 0:
            return None
        window = max(1.0, 1.0 / faults.rate_limit)
        capacity = max(1, int(faults.rate_limit * window))
        while self._window and (now - self._window[0]).total_seconds() >= window:
            self._window.popleft()
        if len(self._window) < capacity:
            self._window.append(now)
            return None
        wait = window - (now - self._window[0]).total_seconds()
        retry_after = faults.retry_after if faults.retry_after is not None else math.ceil(wait)
        return Decision("rate_limited", 429, max(retry_after, 0 if faults.retry_after else 1))

    def _random(self, faults: Faults) -> Decision:
        if faults.drop_rate and self._rng.random() < faults.drop_rate:
            return Decision("drop")
        if faults.timeout_rate and self._rng.random() < faults.timeout_rate:
            return Decision("timeout")
        if faults.error_rate and self._rng.random() < faults.error_rate:
            return Decision("error", self._rng.choice(faults.error_statuses))
        return NO_FAULT

    def is_broken(self, url: str) -> bool:
        """Whether an image URL cannot be fetched (its host or path matches a pattern)."""
        faults = self.faults
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        return any(fnmatchcase(host, p.lower()) for p in faults.broken_image_hosts) or any(
            fnmatchcase(path, p) for p in faults.broken_image_paths
        )

    def is_stuck(self, action: str, source_id: str) -> bool:
        """Whether this action of this ad stays in processing."""
        faults = self.faults
        if not ({"*", action} & faults.stuck_actions):
            return False
        return not faults.stuck_source_ids or source_id in faults.stuck_source_ids

    def is_failing(self, action: str, source_id: str) -> bool:
        """Whether this action of this ad ends in error when it settles."""
        faults = self.faults
        if not ({"*", action} & faults.failing_actions):
            return False
        return not faults.failing_source_ids or source_id in faults.failing_source_ids


def _scripted(entry: str, faults: Faults) -> Decision:
    if entry == "ok":
        return NO_FAULT
    if entry in ("drop", "timeout"):
        return Decision(entry)  # type: ignore[arg-type]
    if entry == "429":
        return Decision("rate_limited", 429, faults.retry_after if faults.retry_after else 1)
    return Decision("error", int(entry))
