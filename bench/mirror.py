"""Benchmark: loading the mirror of 1 000, 10 000 and 100 000 ads, SQLite and PostgreSQL.

``load()`` is what every run does before planning, so it bounds how fast a run of
a large dealer group can start. Prints the best of three load times per size.
PostgreSQL is measured in a schema of its own on $SYNCD_BENCH_POSTGRES_URL
(default the local server's database "test"); the schema is dropped afterwards.

Run: .venv/bin/python bench/mirror.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import orjson
from databases import on_each_database
from sqlalchemy import Engine, insert

from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.schema import ads
from syncd.mirror.sql import SqlMirror

SIZES = (1_000, 10_000, 100_000)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAYLOAD = orjson.dumps(
    {
        "title": "Volvo V70 2.4",
        "body": "Välskött bil med servicebok. " * 8,
        "price": [{"type": "list", "amount": 129900}],
        "image_urls": [f"https://img.example/{n}.jpg" for n in range(10)],
        "location": {"zipcode": "11122"},
        "category_fields": {"registration_number": "ABC123", "model_year": 2019},
    }
).decode()


def fill(engine: Engine, dealer: str, n: int) -> None:
    rows = [
        {
            "dealer_code": dealer,
            "source_id": f"s{i:06}",
            "category_id": 1020,
            "payload": PAYLOAD,
            "payload_hash": f"h{i}",
            "remote_state": "created",
            "last_op": "create",
            "stage": "done",
            "pending_hash": f"h{i}",
            "blocket_ad_id": str(i),
            "sent_at": T0,
            "created_at": T0,
            "updated_at": T0,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(ads), rows)


def measure(name: str, url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        mirror = SqlMirror(engine)
        for n in SIZES:
            dealer = f"D{n}"
            fill(engine, dealer, n)
            best = min(_timed(mirror, dealer) for _ in range(3))
            print(f"{name:10} {n:>7} ads: load {best:6.3f} s")
    finally:
        engine.dispose()


def _timed(mirror: SqlMirror, dealer: str) -> float:
    started = time.perf_counter()
    mirror.load(dealer)
    return time.perf_counter() - started


def main() -> None:
    on_each_database(measure)


if __name__ == "__main__":
    main()
