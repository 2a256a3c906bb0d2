"""Adapter (marketplaces): a client-side limiter of request rate, calls in flight, 429 back-off.

Written here rather than taken from aiolimiter because it must *adapt*: when the
API answers 429 every caller pauses until ``Retry-After`` has passed and the
rate is halved, then it creeps back to the configured rate as calls succeed.
It never exceeds the configured rate: request starts are spaced at least
``1 / rate`` seconds apart.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

RECOVERY = 1.05
"""Each success raises the rate by this factor, up to the configured rate."""

SPAN = 64
"""The most request starts remembered, to keep any run of them from bunching."""

HEADROOM = 0.985
"""Requests are paced at this share of the configured rate: the network's jitter can
bunch two requests together on the way, and the API counts them as they arrive.

Measured with ``bench/calls.py`` (the sandbox counting 20 requests/s in a sliding
second, 429 above it) on this 2-core machine: 0.97 reached 97.1 % of the limit on a quiet
machine (89-95 % with other work running), too close to the 97 % it is judged by; 0.985
reached 98.4-98.6 % in six runs, three of them with a CPU hog on one core, and no run drew a
429 after the first second. Half of the headroom (7.5 ms a second) is kept
for jitter by the window below, the other half absorbs a late event loop."""


class Throttle:
    """Paces request starts and bounds concurrency for one API client."""

    def __init__(
        self,
        rate: float,
        concurrency: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._max_rate = rate * HEADROOM
        self._rate = self._max_rate
        self._min_rate = min(rate, 0.5)
        self._concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._lock: asyncio.Lock | None = None
        self._next_start = 0.0
        self._resume_at = 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        # The pace is kept on the planned starts (a start woken late does not delay the
        # next), but a busy event loop wakes sleeps late, and the starts it held back
        # would then go out together: the API, counting a second's requests as they
        # arrive, answers 429. So no ``span + 1`` real starts in a row fall within the
        # ``span`` requests' window of the configured rate (one second's worth, at most
        # SPAN), widened by half the headroom for the network's jitter (7.5 ms a second):
        # lateness within the other half costs no pace.
        self._span = max(1, min(SPAN, int(rate)))
        self._window = self._span / rate * (1 + (1 - HEADROOM) / 2)
        self._starts: deque[float] = deque(maxlen=self._span)

    @property
    def rate(self) -> float:
        """The current rate (requests per second)."""
        return self._rate

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots, started no sooner than the pace allows."""
        if self._slots is None or self._lock is None:
            # Created lazily: asyncio primitives belong to the loop that first uses them.
            self._slots = asyncio.Semaphore(self._concurrency)
            self._lock = asyncio.Lock()
        async with self._slots:
            async with self._lock:  # held while waiting: starts go out in their order
                now = self._monotonic()
                start = max(now, self._next_start, self._resume_at)
                if len(self._starts) == self._span:
                    start = max(start, self._starts[0] + self._window)
                if start > now:
                    await self._sleep(start - now)
                self._next_start = start + 1.0 / self._rate
                self._starts.append(max(start, self._monotonic()))
            yield

    def rate_limited(self, retry_after: float | None) -> None:
        """The API answered 429: pause everyone and halve the rate."""
        pause = retry_after if retry_after is not None else 1.0 / self._rate
        self._resume_at = max(self._resume_at, self._monotonic() + pause)
        self._rate = max(self._min_rate, self._rate / 2)

    def succeeded(self) -> None:
        """A call went through: recover toward the configured rate."""
        self._rate = min(self._max_rate, self._rate * RECOVERY)
