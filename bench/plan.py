"""Benchmark: validation and planning of 1 000, 10 000 and 100 000 ads.

The mirror holds every ad of the feed as created and settled; 1 % of the feed's
items then change (their price), so the plan is 99 % unchanged and 1 % updates.
Prints, per size: validation time (wall clock, and CPU time, which is steadier
on a shared machine), plan time (best of three), and the plan's peak memory as
measured by tracemalloc (in a separate run, since tracing slows Python down).
Target (issue 2): 100 000 ads planned in under 1 s and under 300 MB.

Run: .venv/bin/python bench/plan.py
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from syncd.core.models import (
    FeedMeta,
    MirrorAd,
    Op,
    Origin,
    RawFeed,
    RawRecord,
    RemoteState,
    Stage,
    ValidatedFeed,
)
from syncd.core.plan import plan
from syncd.core.validate.feed import validate_feed

DEALER = "D123"
API_VERSION = 4
SIZES = (1_000, 10_000, 100_000)
CHANGED = 0.01
TARGET_SECONDS = 1.0
TARGET_MB = 300.0


def ad(i: int, *, changed: bool) -> dict[str, Any]:
    """A realistic feed item: every third one a car, the rest computers."""
    bump = 1 if changed else 0
    if i % 3 == 0:
        return {
            "source_id": f"car-{i}",
            "category_id": 1020,
            "body": f"Välskött bil nummer {i}. Servad, besiktigad, två nycklar.",
            "price": [{"type": "list", "amount": 150_000 + i + bump}],
            "image_urls": [f"https://cdn.example.com/cars/{i}/{k}.jpg" for k in range(8)],
            "location": {"zipcode": "12133"},
            "category_fields": {
                "model_year": 2018,
                "registration_number": f"ABC{i % 1000:03d}",
                "brand": "volvo",
                "model": "v70",
                "condition": {"mileage": {"value": 12_000 + i, "unit": "km"}},
                "powertrain": {"fuels": ["petrol"], "transmission": "automatic"},
            },
        }
    return {
        "source_id": f"item-{i}",
        "category_id": 5022,
        "title": f"Laptop {i}",
        "body": "Snabb, tyst och nästan ny. Laddare ingår.",
        "price": [{"type": "list", "amount": 7_000 + bump, "currency": "SEK"}],
        "image_urls": [f"https://cdn.example.com/x/{i}/{k}.png?w=800" for k in range(4)],
        "location": {"latitude": "59.33", "longitude": 18.07},
        "contact": {"name": "Anna", "phone": "+46701234567", "email": "anna@example.com"},
        "visible": True,
    }


def raw_feed(n: int, *, changed_every: int | None) -> RawFeed:
    """n items; every ``changed_every``-th one changed."""
    meta = FeedMeta("bench.json", "0" * 64, 0, datetime(2025, 5, 1, tzinfo=UTC))
    records = tuple(
        RawRecord(
            Origin("bench.json", index=i),
            ad(i, changed=changed_every is not None and i % changed_every == 0),
        )
        for i in range(n)
    )
    return RawFeed(meta, records)


def mirror_of(feed: ValidatedFeed) -> dict[str, MirrorAd]:
    """Every item of the feed as created, settled and accepted."""
    return {
        item.source_id: MirrorAd(
            dealer_code=DEALER,
            source_id=item.source_id,
            category_id=item.category_id,
            payload=item.payload,
            payload_hash=item.payload_hash,
            remote_state=RemoteState.CREATED,
            last_op=Op.CREATE,
            stage=Stage.DONE,
            pending_hash=item.payload_hash,
        )
        for item in feed.items
    }


def run(n: int) -> tuple[float, float, float, float, dict[str, int]]:
    """(validation s, validation CPU s, plan s, plan peak MB, plan counts) for n ads."""
    before = validate_feed(
        raw_feed(n, changed_every=None), dealer_code=DEALER, api_version=API_VERSION
    )
    mirror = mirror_of(before)
    raw = raw_feed(n, changed_every=round(1 / CHANGED))
    start, cpu = time.perf_counter(), time.process_time()
    feed = validate_feed(raw, dealer_code=DEALER, api_version=API_VERSION)
    validation = time.perf_counter() - start
    validation_cpu = time.process_time() - cpu
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = plan(feed, mirror, api_version=API_VERSION)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    plan(feed, mirror, api_version=API_VERSION)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return validation, validation_cpu, best, peak / 1e6, result.counts()


def main() -> None:
    """Print the figures for every size and whether the 100 000 target is met."""
    print(f"{'ads':>8} {'validate s':>11} {'(cpu s)':>8} {'plan s':>8} {'plan peak MB':>13}  plan")
    for n in SIZES:
        validation, cpu, seconds, peak_mb, counts = run(n)
        kinds = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        print(f"{n:>8} {validation:>11.3f} {cpu:>8.3f} {seconds:>8.3f} {peak_mb:>13.1f}  {kinds}")
    ok = seconds < TARGET_SECONDS and peak_mb < TARGET_MB
    print(
        f"target for {SIZES[-1]}: plan < {TARGET_SECONDS} s and < {TARGET_MB:.0f} MB: "
        f"{'met' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
