"""Benchmark: the renewal decision and a plan with pins, at 10 000 and 100 000 ads.

``decide``: one policy over every ad of a dealer, with a history of one renewal
per ten ads (a month of bumps), as the daemon's renew job runs it each pass.
``plan`` with pins: the whole feed gone but 1 % pinned ads (the planner's
check for a pin is a set lookup per absent ad). Prints best-of-three seconds
beside the floor. Target: 100 000 ads decided in under 1 s.

Run: .venv/bin/python bench/renewals.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.core.models import FeedMeta, MirrorAd, RemoteState, Stage, ValidatedFeed
from syncd.core.plan import plan
from syncd.core.renewal_models import Caps, Renewal, RenewalKind, RenewalOutcome, RenewalPolicy
from syncd.core.renewals import decide, renewal_ad

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
SIZES = (10_000, 100_000)
TARGET_SECONDS = 1.0
POLICY = RenewalPolicy("bench", timedelta(days=7), Caps(500, 10_000), categories=frozenset({2048}))


def ads(n: int) -> dict[str, MirrorAd]:
    """n live, published sofas."""
    return {
        f"s{i}": MirrorAd(
            "D1",
            f"s{i}",
            category_id=2048,
            remote_state=RemoteState.CREATED,
            stage=Stage.DONE,
            blocket_ad_id=str(i),
            payload={"category_id": 2048},
        )
        for i in range(n)
    }


def history(n: int) -> list[Renewal]:
    """One charged bump per ten ads, spread over the last 30 days."""
    return [
        Renewal(
            "D1",
            f"s{i}",
            RenewalKind.BUMP,
            NOW - timedelta(days=(i // 10) % 30),
            RenewalOutcome.ACCEPTED,
            "bench",
        )
        for i in range(0, n, 10)
    ]


def best(call: Callable[[], object]) -> float:
    """The best of three wall-clock timings."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print the figures per size, and whether the 100 000 target is met."""
    print(f"{'ads':>8} {'decide s':>9} {'chosen':>7} {'plan (pins) s':>14} {'kept':>6}")
    seconds = 0.0
    for n in SIZES:
        mirror, past = ads(n), history(n)
        # What the renew job decides on: the light values Mirror.renewal_ads reads.
        light = [renewal_ad(a, tuple(POLICY.filter)) for a in mirror.values()]
        decision = decide(POLICY, "D1", light, past, NOW)
        seconds = best(lambda r=light, h=past: decide(POLICY, "D1", r, h, NOW))
        pinned = frozenset(f"s{i}" for i in range(0, n, 100))
        meta = FeedMeta("feed.json", "0" * 64, 0, NOW)
        gone = ValidatedFeed("D1", meta, (), ())
        kept = plan(gone, mirror, api_version=4, pinned=pinned).counts()["unchanged"]
        planned = best(lambda m=mirror, p=pinned, f=gone: plan(f, m, api_version=4, pinned=p))
        print(f"{n:>8} {seconds:>9.3f} {len(decision.chosen):>7} {planned:>14.3f} {kept:>6}")
    verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
    print(f"target for {SIZES[-1]}: decide < {TARGET_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
