"""Under injected faults syncd reaches the same final state as without, within its rate."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.core.models import Stage
from syncd.errors import TemporaryError
from syncd.runs import RunReport
from syncd.service import sync
from tests.integration.sandbox_server import SandboxServer, running_sandbox

pytestmark = pytest.mark.slow

RATE = 25.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox subprocess over real HTTP (drops and stalls need real sockets)."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def _ads(prices: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {
            "source_id": f"s{i}",
            "category_id": 2048,
            "title": f"Stol {i}",
            "body": "Bra.",
            "price": [{"type": "list", "amount": price}],
            "contact": {"name": "Butik", "phone": "0701234567", "email": "b@example.com"},
        }
        for i, price in prices.items()
    ]


def _settings(tmp_path: Path, url: str) -> config.Settings:
    return config.parse(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'mirror.db'}"},
            "api": {
                "base_url": url,
                "requests_per_second": RATE,
                "max_in_flight": 4,
                "timeout": 1.0,
                "connect_timeout": 1.0,
                "retry_attempts": 6,
                "retry_timeout": 30.0,
            },
            "feeds": [
                {"path": str(tmp_path / "feed.json"), "dealer_code": "D1", "settle_seconds": 0}
            ],
            "sync": {"reconcile_wait": 30.0, "poll_interval": 0.1},
        },
        source="test",
    )


def _converge(settings: config.Settings, token: str, runs: int = 4) -> list[RunReport]:
    """Run like a daemon would: again after a temporary failure, until a run succeeds."""

    async def once() -> RunReport:
        container = bootstrap.build(settings, token=SecretStr(token))
        try:
            return await sync(container.deps(), container.jobs()[0], container.options())
        finally:
            await container.aclose()

    reports = []
    for _ in range(runs):
        try:
            report = asyncio.run(once())
        except TemporaryError:
            continue
        reports.append(report)
        if report.outcome == "success" and not report.counts.get("processing"):
            return reports
    pytest.fail(f"no clean run after {runs} tries: {reports}")


def _max_per_second(journal: list[dict[str, Any]]) -> int:
    times = sorted(
        datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() for e in journal
    )
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _final_state(sandbox: SandboxServer) -> dict[str, tuple[str, int]]:
    return {sid: (ad["state"], ad["price"][0]["amount"]) for (_, sid), ad in sandbox.ads().items()}


def test_faults_do_not_change_the_outcome(tmp_path: Path, sandbox: SandboxServer) -> None:
    """With 5xx, 429, stalls and drops injected, the final ads equal a fault-free run's."""
    first = {i: 100 + i for i in range(30)}
    second = {i: 500 + i for i in range(0, 30, 2)} | {i: 100 + i for i in range(1, 30, 2)}
    token = sandbox.token("D1")

    sandbox.reset()
    (tmp_path / "feed.json").write_text(json.dumps(_ads(first)), encoding="utf-8")
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    (clean_dir / "feed.json").write_text(json.dumps(_ads(first)), encoding="utf-8")
    _converge(_settings(clean_dir, sandbox.url), token)
    (clean_dir / "feed.json").write_text(json.dumps(_ads(second)), encoding="utf-8")
    _converge(_settings(clean_dir, sandbox.url), token)
    expected = _final_state(sandbox)

    sandbox.reset()
    sandbox.admin(
        "PUT",
        "faults",
        json={
            "error_rate": 0.08,
            "drop_rate": 0.05,
            "timeout_rate": 0.03,
            "timeout_seconds": 2.0,
            "rate_limit": RATE * 0.8,
            "seed": 7,
            "late": True,
            # Every kind at least once, whatever the dice say: the script comes first.
            "script": ["500", "drop", "timeout", "429", "503", "drop"],
        },
    )
    settings = _settings(tmp_path, sandbox.url)
    _converge(settings, token)
    (tmp_path / "feed.json").write_text(json.dumps(_ads(second)), encoding="utf-8")
    _converge(settings, token)
    journal = sandbox.journal()
    sandbox.admin("DELETE", "faults")

    assert _final_state(sandbox) == expected
    faults = Counter(e["fault"] for e in journal if e["fault"])
    assert all(faults[kind] for kind in ("error", "drop", "timeout", "rate_limited")), faults
    created = Counter(
        e["source_id"] for e in journal if e["method"] == "POST" and e["status"] == 201
    )
    assert max(created.values()) == 1, "an ad was created twice"
    assert _max_per_second(journal) <= RATE + 1
    container = bootstrap.build(settings, token=SecretStr(token))
    try:
        rows = container.mirror.load("D1")
    finally:
        asyncio.run(container.aclose())
    assert {row.stage for row in rows.values()} == {Stage.DONE}
