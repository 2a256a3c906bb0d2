"""Benchmark: the daemon's status page for one dealer of 10 000 and 100 000 ads.

Times :func:`syncd.daemon.status.gather` with :func:`syncd.daemon.page.render` on a
SQLite mirror that holds the feed's ads and two weeks of runs (one every five minutes:
4 032): the usual page (the mirror's queries only) beside its floor, and after a guarded
run the first page, which reads, validates and plans the feed as ``syncd status`` does,
and the next ones, which reuse that set. Best of three. The page runs on the health
server's thread, never on the daemon's event loop.

Run: .venv/bin/python bench/status_page.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from pydantic import SecretStr
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
from plan import ad

from syncd import bootstrap, config
from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord
from syncd.core.validate.feed import validate_feed
from syncd.daemon.page import StatusView, render
from syncd.daemon.status import HeldBackCache, gather
from syncd.mirror.schema import ads, runs

SIZES = (10_000, 100_000)
ROUNDS = 3
FLOOR = 1.0  # seconds for the usual page, whatever the size of the feed
RUNS = 14 * 288
NOW = datetime.now(UTC)
GUARDED = {"dealer_code": "D1", "started_at": NOW, "finished_at": NOW, "outcome": "guarded"}


def prepare(folder: Path, n: int) -> bootstrap.Container:
    """A feed of n ads, the mirror holding them live, and two weeks of runs."""
    items = [ad(i, changed=False) for i in range(n)]
    feed = folder / "inventory.json"
    feed.write_bytes(orjson.dumps({"ads": items}))
    settings = config.parse(
        {
            "database": {"url": f"sqlite:///{folder / 'mirror.db'}"},
            "api": {"base_url": "http://api.test"},
            "feeds": [{"path": str(feed), "dealer_code": "D1", "settle_seconds": 0}],
        },
        source="bench",
    )
    container = bootstrap.build(
        settings, transport=httpx.MockTransport(httpx.Response), token=SecretStr("bench-token")
    )
    # The mirror holds what the API accepted for this very feed: every item unchanged.
    meta = FeedMeta(str(feed), "-", 0, NOW)
    raw = RawFeed(meta, tuple(RawRecord(Origin("bench", index=i), a) for i, a in enumerate(items)))
    rows = [
        {
            "dealer_code": "D1",
            "source_id": a.source_id,
            "category_id": a.category_id,
            "payload": orjson.dumps(a.payload).decode(),
            "payload_hash": a.payload_hash,
            "remote_state": "created",
            "last_op": "create",
            "stage": "done",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for a in validate_feed(raw, dealer_code="D1", api_version=4).items
    ]
    history = [
        {
            "dealer_code": "D1",
            "started_at": NOW - timedelta(minutes=5 * i),
            "finished_at": NOW - timedelta(minutes=5 * i - 1),
            "outcome": "success",
            "counts": orjson.dumps({"unchanged": n, "requests": i % 7}).decode(),
        }
        for i in range(RUNS)
    ]
    with container.engine.begin() as conn:
        conn.execute(insert(ads), rows)
        conn.execute(insert(runs), history)
    return container


def best(container: bootstrap.Container, cache: HeldBackCache | None = None) -> float:
    """The best of ROUNDS page builds (gather and render), in seconds."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        render(gather(container, datetime.now(UTC), held_back=cache))
        times.append(time.perf_counter() - started)
    return min(times)


def measure(n: int) -> None:
    """Three figures: the usual page (the last run was not guarded: no feed is read);
    after a guarded run, the first page (reads and plans the feed) and the next ones
    (the set kept while the run and the feed stay the same)."""
    with tempfile.TemporaryDirectory() as tmp:
        container = prepare(Path(tmp), n)
        try:
            usual = best(container)
            with container.engine.begin() as conn:
                conn.execute(insert(runs), {**GUARDED, "counts": "{}"})
            started = time.perf_counter()
            cache = HeldBackCache(timeout=3600)
            view = gather(container, datetime.now(UTC), held_back=cache)
            cold = time.perf_counter() - started
            assert view.held_back[0].error is None, view.held_back
            warm = best(container, cache)
            render_ms = min(_render_ms(view) for _ in range(ROUNDS))
            print(
                f"{n:>7} ads, {RUNS} runs: page {usual:6.3f} s (floor {FLOOR:g} s: "
                f"{'ok' if usual <= FLOOR else 'SLOW'}); after a guarded run: first "
                f"{cold:6.2f} s, then {warm:6.3f} s; render alone {render_ms:5.1f} ms"
            )
        finally:
            asyncio.run(container.aclose())


def _render_ms(view: StatusView) -> float:
    started = time.perf_counter()
    render(view)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    for size in SIZES:
        measure(size)
