"""Use case: what the calls of one run got back, and which errors stop a run.

The executor (``syncd.execute``) counts into :class:`ApplyResults`; the service
folds them into the run's report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from syncd.core.models import Delete, ItemProblem, Update
from syncd.errors import ApiAuthError, ConfigError, SyncdError, TemporaryError


@dataclass(slots=True)
class ApplyResults:
    """Counts of what the calls of one run got back, and the rejections' messages."""

    counts: dict[str, int] = field(default_factory=lambda: {"sent": 0, "rejected": 0})
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    followups: set[str] = field(default_factory=set)  # created; a PATCH is still owed
    held_because: str | None = None  # why deletes were held back (the feed changed)
    # What the plan counted and the calls turned out otherwise (an adopted create is an
    # update or unchanged): added to the plan's counts.
    moved: dict[str, int] = field(default_factory=dict)
    # Items found invalid by their call (a vehicle type the API has no typed path for),
    # for the run's row beside the plan's invalid items.
    invalid: list[ItemProblem] = field(default_factory=list)

    def add(self, other: ApplyResults) -> None:
        """Fold the results of a later round into these."""
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        for key, n in other.moved.items():
            self.moved[key] = self.moved.get(key, 0) + n
        self.problems.extend(other.problems)
        self.invalid.extend(other.invalid)
        self.held_because = self.held_because or other.held_because

    def bump(self, key: str, n: int = 1) -> None:
        """Add ``n`` to one count."""
        self.counts[key] = self.counts.get(key, 0) + n

    def move(self, planned: str, actual: str) -> None:
        """One entry the plan counted as ``planned`` turned out ``actual``."""
        self.moved[planned] = self.moved.get(planned, 0) - 1
        self.moved[actual] = self.moved.get(actual, 0) + 1


DeleteGate: TypeAlias = Callable[[Delete], str | None]
"""Asked before each delete: why it must not go out now (None: it may)."""

UpdateGate: TypeAlias = Callable[[Sequence[Update]], Awaitable[Mapping[str, str]]]
"""Asked once per batch of updates: those the API would refuse, by source_id, with the
message to report (a v3 ad v4 cannot PATCH: ``syncd/v3_ads.py``)."""


def stops_the_run(exc: Exception) -> bool:
    """Whether an error ends the whole run rather than one item's call: the API or
    the mirror is unreachable, the token is refused, or the API's client cannot be
    built (a ConfigError at its first use); every other call would fail the same way."""
    return isinstance(exc, TemporaryError | ApiAuthError | ConfigError)


def item_failure(exc: Exception) -> str:
    """The message recorded for one item's unexpected failure (never a traceback)."""
    if isinstance(exc, SyncdError | ValueError):
        return f"failed, retried next run: {exc}"
    return f"failed, retried next run: internal error ({type(exc).__name__}); see the log"
