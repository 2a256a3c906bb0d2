"""Benchmark: what a renewal policy reads of 100 000 ads, SQLite and PostgreSQL: the whole
rows (``Mirror.load``: every payload read and decoded, as ``run_policy`` did before)
beside ``Mirror.renewal_ads`` (no payload but where its text may say ``visible: false``;
with a filter, each payload decoded and kept only in the filter's values).

Each payload is about 3 kB (a car's text and twenty image URLs); 1 % of the ads are hidden
(``visible: false``). Prints the best of three reads and the policy's decision on them,
and the peak of memory allocated (tracemalloc, a run of its own: untimed) for each path:
Python's allocations only, not the driver's own buffers (psycopg holds a whole result).
Targets, for a policy without a filter: at least twice as fast as the whole rows, and a
tenth of their memory. The floor of the new path is the database's own scan of the payloads
for ``"visible":false`` (SQLite reads each row's overflow pages, PostgreSQL detoasts each
payload): about 0.6 s of the figure on SQLite here.

Run: .venv/bin/python bench/renewal_ads.py
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from databases import on_each_database  # type: ignore[import-not-found]  # bench/ is the path
from sqlalchemy import Engine, insert

from syncd.core.renewal_models import Caps, RenewalPolicy
from syncd.core.renewals import decide, renewal_ad
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.schema import ads
from syncd.mirror.sql import SqlMirror

N = 100_000
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
FASTER, LIGHTER = 2.0, 10.0
EVERY = timedelta(days=7)
PLAIN = RenewalPolicy("cars", EVERY, Caps(20, 300), categories=frozenset({1020}))
FILTERED = RenewalPolicy(
    "volvos", EVERY, Caps(20, 300), filter={"category_fields.brand": ("volvo", "saab")}
)


def payload(i: int) -> str:
    """A car's accepted payload as the mirror stores it (about 3 kB); every 100th hidden."""
    doc: dict[str, object] = {
        "title": f"Volvo V70 2.4 nr {i}",
        "body": "Välskött bil med servicebok, vinterhjul och dragkrok. " * 40,
        "price": [{"type": "list", "amount": 129900 + i}],
        "image_urls": [f"https://img.example/{i}/{n}.jpg" for n in range(20)],
        "location": {"zipcode": "11122"},
        "category_fields": {
            "brand": "volvo" if i % 3 else "saab",
            "model": "v70",
            "registration_number": f"ABC{i:06}",
            "model_year": 2019,
        },
    }
    if i % 100 == 0:
        doc["visible"] = False
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()


def fill(engine: Engine, dealer: str, n: int) -> int:
    """n live, published cars created a month ago; returns the payload bytes stored."""
    created = NOW - timedelta(days=30)
    rows = [
        {
            "dealer_code": dealer,
            "source_id": f"s{i:06}",
            "category_id": 1020,
            "payload": payload(i),
            "payload_hash": f"h{i}",
            "remote_state": "created",
            "last_op": "create",
            "stage": "done",
            "pending_hash": f"h{i}",
            "blocket_ad_id": str(i),
            "sent_at": created,
            "created_at": created,
            "updated_at": created,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(ads), rows[start : start + 10_000])
    return sum(len(str(r["payload"]).encode()) for r in rows)


def best(call: Callable[[], object]) -> float:
    """The best of three wall-clock timings."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_mb(call: Callable[[], object]) -> float:
    """The peak of memory allocated by one call, in MB (traced: slower, so untimed)."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(name: str, url: str) -> None:
    """The two paths, for a policy without a filter and one with, on one backend."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        stored = fill(engine, "D1", N)
        mirror = SqlMirror(engine)
        print(f"{name}: {N} ads, {stored / 1e6:.0f} MB of payloads")
        for policy in (PLAIN, FILTERED):
            paths = tuple(policy.filter)

            def old(p: RenewalPolicy = policy, k: tuple[str, ...] = paths) -> object:
                whole = mirror.load("D1").values()
                return decide(p, "D1", [renewal_ad(a, k) for a in whole], [], NOW)

            def new(p: RenewalPolicy = policy, k: tuple[str, ...] = paths) -> object:
                return decide(p, "D1", mirror.renewal_ads("D1", k), [], NOW)

            assert old() == new()  # the same decision both ways
            slow, fast = best(old), best(new)
            heavy, light = peak_mb(old), peak_mb(new)
            what = f"filter {', '.join(paths)}" if paths else "no filter"
            print(
                f"  {what:30} whole rows {slow:6.3f} s {heavy:6.0f} MB | "
                f"renewal_ads {fast:6.3f} s {light:6.0f} MB | "
                f"{slow / fast:4.1f}x faster, {heavy / light:4.1f}x less memory"
            )
            if not paths:
                met = slow / fast >= FASTER and heavy / light >= LIGHTER
                print(
                    f"  target: no filter >= {FASTER:g}x faster and >= {LIGHTER:g}x less "
                    f"memory than the whole rows: {'met' if met else 'MISSED'}"
                )
    finally:
        engine.dispose()


def main() -> None:
    on_each_database(measure)


if __name__ == "__main__":
    main()
