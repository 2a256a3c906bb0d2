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


def _late(t: FakeTime, late: float) -> Throttle:
    """A throttle at 10/s whose event loop wakes one sleep in three ``late`` seconds late."""
    lateness = itertools.cycle([late, 0.0, 0.0])

    async def late_sleep(seconds: float) -> None:
        t.sleeps.append(seconds)
        t.now += seconds + next(lateness)

    return Throttle(10.0, 4, monotonic=t.monotonic, sleep=late_sleep)


@pytest.mark.anyio
@pytest.mark.parametrize("late", [0.01, 0.05])
async def test_starts_woken_late_never_bunch_into_a_second(late: float) -> None:
    """Sleeps woken late: no 11 starts in a row (10/s) fall within one second, and
    lateness within the headroom costs no pace."""
    t = FakeTime()
    throttle = _late(t, late)
    starts = []
    for _ in range(40):
        async with throttle.slot():
            starts.append(t.now)
    spans = [b - a for a, b in zip(starts, starts[10:], strict=False)]
    assert min(spans) >= 1.0 - 1e-9
    if late <= 0.01:  # one sleep in three, so within half the headroom of a second (7.5 ms)
        assert starts[-1] - starts[0] <= 39 * 0.1 / HEADROOM + late + 1e-9
