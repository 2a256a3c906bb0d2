"""Benchmark: what the progress hook costs a run's executor, without a bar and with a no-op one.

The executor sends 20 000 PATCHes to an in-memory marketplace and mirror (no I/O:
the hook's cost is not hidden behind HTTP), five times each way, interleaved: ``progress=None``
(run-once off a terminal, the daemon) and a no-op ``Progress`` (called once per 20
calls). Prints the best wall time of each and the difference per call.
Floor: the no-op hook adds under 2 % to the run (the difference is mostly noise).

Run: .venv/bin/python bench/progress.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from syncd import logs
from syncd.core.models import Update
from syncd.execute import Executor
from syncd.ports import Progress
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

ROUNDS = 5


class NoProgress:
    """A Progress that draws nothing."""

    def update(self, task: str, done: int, total: int | None = None) -> None:
        """Nothing."""


def _updates(n: int) -> list[Update]:
    payload = {"category_id": 2048, "title": "T"}
    return [Update("D1", f"s{i}", 2048, {"title": "T"}, payload, f"h{i}") for i in range(n)]


def _once(n: int, progress: Progress | None) -> float:
    actions = _updates(n)
    executor = Executor(FakeMirror(), FakeMarketplace(), FixedClock(), 4, progress=progress)
    start = time.perf_counter()
    asyncio.run(executor.apply(actions))
    return time.perf_counter() - start


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    n = parser.parse_args().calls
    logs.configure("error", "json")  # the logging of each call is not what is measured
    bare, noop = float("inf"), float("inf")
    for _ in range(ROUNDS):  # interleaved, so that a busy moment hits both alike
        bare = min(bare, _once(n, None))
        noop = min(noop, _once(n, NoProgress()))
    per_call = (noop - bare) / n * 1e6
    share = (noop - bare) / bare * 100
    print(f"{n} calls, {datetime.now(UTC):%Y-%m-%d %H:%M}Z")
    print(f"  without progress: {bare:.3f} s")
    print(f"  no-op progress:   {noop:.3f} s  ({per_call:+.2f} µs/call, {share:+.1f} %)")
    print("  floor: under +2 %")


if __name__ == "__main__":
    main()
