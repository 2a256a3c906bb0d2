"""Sandbox: the running sandbox: settings, state, faults, journal and clock of one app.

Built once by :func:`syncd.sandbox.app.create_app` (nothing is created at
import time) and shared by every request through ``app.state.sandbox``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syncd.sandbox.clock import OffsetClock
from syncd.sandbox.faults import FaultState
from syncd.sandbox.journal import Journal
from syncd.sandbox.settings import SandboxSettings
from syncd.sandbox.store import Store


@dataclass(slots=True)
class Sandbox:
    """Everything one sandbox app holds."""

    settings: SandboxSettings
    store: Store
    faults: FaultState
    journal: Journal
    clock: OffsetClock

    def now(self) -> datetime:
        """The sandbox's current time."""
        return self.clock()

    def advance(self, now: datetime) -> None:
        """Lazy processing: settle every action due by ``now``."""
        self.store.advance(now, self.faults.is_broken, self.faults.is_stuck, self.faults.is_failing)

    def reset(self) -> None:
        """Back to the start: no ads, empty journal, the configured faults."""
        self.store.reset()
        self.journal.clear()
        self.faults.set(self.settings.faults)
