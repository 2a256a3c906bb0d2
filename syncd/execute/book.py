"""Use case: the executor's record of its calls in the mirror, written in batches.

Intents: the calls of a batch are recorded intended in one transaction, and
:meth:`CallBook.intend` returns only once it has committed: the executor sends
none of them before. Answers are held in memory and recorded in one transaction
every ``flush_every`` answers, or ``flush_after`` after the first of them
arrived (a timer on the event loop), and always before a round of calls ends,
however it ends. An answer still
held when the process dies leaves its ad in INTENT, which the next run resolves
by reading the ad back (``settling.resolve_intents``): batching costs a crash a
few reads, never a duplicate or a lost change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog

from syncd.core.models import Accepted, Action, Answer, Rejected
from syncd.errors import SyncdError, shown
from syncd.ports import Clock, Mirror

log = structlog.get_logger("syncd.execute")

FLUSH_EVERY = 64
"""Answers recorded in one transaction at most (a crash then re-reads as many ads)."""

FLUSH_AFTER = timedelta(milliseconds=250)
"""How long an answer waits for others before being recorded anyway (a slow API's)."""


class CallBook:
    """Records one round of calls: intents at once, in batches; answers in batches."""

    def __init__(
        self,
        mirror: Mirror,
        clock: Clock,
        *,
        flush_every: int = FLUSH_EVERY,
        flush_after: timedelta = FLUSH_AFTER,
    ) -> None:
        self._mirror = mirror
        self._clock = clock
        self._flush_every = flush_every
        self._flush_after = flush_after
        self._answers: list[Answer] = []
        self._timer: asyncio.TimerHandle | None = None

    def intend(self, actions: Sequence[Action]) -> None:
        """Record the actions intended, in one transaction; returns once it committed."""
        if actions:
            self._mirror.record_intents(actions, self._clock.now())

    def answered(self, action: Action, result: Accepted | Rejected) -> None:
        """Hold a call's answer; record those held once there are enough, or soon."""
        self._answers.append(Answer(action, result, self._clock.now()))
        if len(self._answers) >= self._flush_every:
            self.flush()
        elif self._timer is None:
            delay = self._flush_after.total_seconds()
            self._timer = asyncio.get_running_loop().call_later(delay, self._flush_on_time)

    def _flush_on_time(self) -> None:
        """The timer's flush: one that fails is retried by the next (at the latest, the
        round's last), which raises; an error must not end up in the loop's handler."""
        self._timer = None
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - kept; the next flush raises it
            log.warning("answers_flush_deferred", answers=len(self._answers), error=_shown(exc))

    def flush(self) -> None:
        """Record every answer held, in one transaction (kept held if that fails)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._answers:
            self._mirror.record_answers(self._answers)
            self._answers = []

    def flush_after_stop(self) -> None:
        """At a stop (an error, a cancellation): record what was answered if the mirror
        still can. If it cannot, the rows stay INTENT and the next run resolves them;
        the error that stopped the run is the one reported, not this one."""
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - never hides the error that stopped the run
            log.error(
                "answers_not_recorded",
                answers=len(self._answers),
                error=_shown(exc),
                hint="their ads stay intended; the next run reads them back",
            )


def _shown(exc: Exception) -> str:
    """An error as a log line shows it: our messages (never a secret), else its type."""
    return shown(exc) if isinstance(exc, SyncdError) else type(exc).__name__
