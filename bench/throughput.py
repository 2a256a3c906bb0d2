"""Benchmark: sending 2 000 changed ads through a rate-limited, slow API.

The sandbox runs as a subprocess with 50 ms added latency and a limit of 20
requests/s (429 with Retry-After above it). syncd's real client and executor
(rate 20/s, 4 in flight) send one PATCH per ad; a naive client sends the same
PATCHes one at a time with no limiter and simply retries on 429. Prints, for
each: achieved requests/s, 429s received (and after the first second), wall time.
Target (issue 4): syncd at >= 95 % of the limit, no 429 after the first second.

Run: .venv/bin/python bench/throughput.py [--ads 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from syncd import logs
from syncd.core.models import Update
from syncd.execute import Executor
from syncd.marketplaces.blocket import BlocketClient, TokenAuth
from syncd.marketplaces.throttle import Throttle
from tests.fakes import FakeMirror
from tests.integration.sandbox_server import SandboxServer, running_sandbox

LIMIT = 20.0
LATENCY = 0.05
DEALER = "D1"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def seed(server: SandboxServer, token: str, n: int) -> None:
    """Create n ads with the faults off, and let them settle."""
    server.admin("PUT", "faults", json={})
    with httpx.Client(base_url=server.url, headers={"X-Auth-Token": token}) as client:
        for i in range(n):
            client.post(
                "/v4/ad",
                json={
                    "source_id": f"s{i}",
                    "category_id": 2048,
                    "title": f"Ad {i}",
                    "body": "x",
                    "price": [{"type": "list", "amount": 100}],
                    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
                },
            ).raise_for_status()


def limit(server: SandboxServer) -> None:
    server.admin("PUT", "faults", json={"latency": LATENCY, "rate_limit": LIMIT})
    server.clear_journal()


def figures(name: str, journal: Sequence[dict[str, Any]], wall: float) -> None:
    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() for e in journal]
    first = min(times)
    ok = [e for e in journal if e["status"] == 200]
    limited = [t for e, t in zip(journal, times, strict=True) if e["status"] == 429]
    late = [t for t in limited if t - first > 1.0]
    rate = len(ok) / wall
    print(
        f"{name:8} {len(ok):5} PATCH in {wall:6.1f} s: {rate:5.2f} req/s "
        f"({rate / LIMIT:4.0%} of the limit), 429s: {len(limited)} "
        f"({len(late)} after the first second)"
    )


async def syncd_client(server: SandboxServer, token: str, n: int) -> float:
    http = httpx.AsyncClient(base_url=server.url, auth=TokenAuth(SecretStr(token)), timeout=30)
    client = BlocketClient(http, throttle=Throttle(LIMIT, 4))
    actions = [
        Update(DEALER, f"s{i}", 2048, {"price": [{"type": "list", "amount": 200}]}, {}, f"h{i}")
        for i in range(n)
    ]
    began = time.monotonic()
    await Executor(FakeMirror(), client, Clock(), max_in_flight=4).apply(actions)
    wall = time.monotonic() - began
    await http.aclose()
    return wall


def naive_client(server: SandboxServer, token: str, n: int) -> float:
    began = time.monotonic()
    with httpx.Client(base_url=server.url, headers={"X-Auth-Token": token}) as client:
        for i in range(n):
            while True:
                r = client.patch(f"/v4/ad/s{i}", json={"price": [{"type": "list", "amount": 300}]})
                if r.status_code != 429:
                    break
                time.sleep(float(r.headers.get("Retry-After", "1")))
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ads", type=int, default=2000)
    n = parser.parse_args().ads
    logs.configure("warning")
    with running_sandbox("--processing-delay", "0.01") as server:
        token = server.token(DEALER)
        seed(server, token, n)
        limit(server)
        wall = asyncio.run(syncd_client(server, token, n))
        figures("syncd", server.journal(), wall)
        limit(server)
        wall = naive_client(server, token, n)
        figures("naive", server.journal(), wall)


if __name__ == "__main__":
    main()
