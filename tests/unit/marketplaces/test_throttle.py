"""The client-side limiter: pacing, concurrency and 429 back-off, on a fake clock."""

from __future__ import annotations

import itertools

import pytest

from syncd.marketplaces.throttle import HEADROOM, Throttle


class FakeTime:
    """A monotonic clock that only moves when the throttle sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _throttle(t: FakeTime, rate: float = 10.0) -> Throttle:
    return Throttle(rate, 4, monotonic=t.monotonic, sleep=t.sleep)


@pytest.mark.anyio
async def test_starts_are_spaced_by_the_rate() -> None:
    """Twenty requests at 10/s are spaced a little over 0.1 s: never more than the rate."""
    t = FakeTime()
    throttle = _throttle(t)
    starts = []
    for _ in range(20):
        async with throttle.slot():
            starts.append(t.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(0.1 / HEADROOM)
    assert starts[-1] - starts[0] == pytest.approx(1.9 / HEADROOM)


@pytest.mark.anyio
async def test_429_pauses_and_halves_then_recovers() -> None:
    """A 429 pauses everyone for Retry-After and halves the rate; successes restore it."""
    t = FakeTime()
    throttle = _throttle(t)
    throttle.rate_limited(3.0)
    assert throttle.rate == pytest.approx(5.0 * HEADROOM)
    async with throttle.slot():
        assert t.now == pytest.approx(103.0)
    for _ in range(100):
        throttle.succeeded()
    assert throttle.rate == pytest.approx(10.0 * HEADROOM)
