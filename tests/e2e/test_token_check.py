"""A refused token seen with nothing to send: `run-once --check-token` and the daemon's check,
as real subprocesses against the sandbox served over HTTP, on a real SQLite mirror."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd import bootstrap
from syncd.sandbox.auth import mint_token
from tests.e2e.test_daemon import PATIENCE, free_port, wait_for, write_feed
from tests.integration.sandbox_server import running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    """The sandbox over HTTP, its action logs done quickly (a run settles within its wait)."""
    with running_sandbox("--processing-delay", "0.05") as server:
        yield server.url


def configure(folder: Path, sandbox_url: str, health_port: int = 0) -> None:
    """A syncd.toml for dealer D1, its token read from token.txt, the sample feed."""
    write_feed(
        folder / "inventory.json",
        json.loads(bootstrap.sample_feed_path().read_text(encoding="utf-8")),
    )
    (folder / "syncd.toml").write_text(
        f"""
[database]
url = "sqlite:///mirror.db"
[api]
base_url = "{sandbox_url}"
token_file = "token.txt"
retry_attempts = 1
[[feeds]]
path = "inventory.json"
dealer_code = "D1"
settle_seconds = 0
[sync]
reconcile_wait = 10.0
poll_interval = 0.1
[daemon]
interval = 600.0
reconcile_interval = 600.0
token_check_interval = 0.5
health_port = {health_port}
stop_timeout = 10.0
[log]
format = "json"
""",
        encoding="utf-8",
    )


def env() -> dict[str, str]:
    """The environment of a syncd process: the token comes from token.txt alone."""
    kept = {k: v for k, v in os.environ.items() if k != "SYNCD_API_TOKEN"}
    return {**kept, "SYNCD_CONFIG": ""}


def syncd(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m syncd --config syncd.toml ARGS` in ``folder``, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", *args],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False, env=env(),
    )  # fmt: skip


def journal(sandbox_url: str, **filters: str) -> list[dict[str, Any]]:
    """The sandbox's journal of API requests (not its admin ones)."""
    found = httpx.get(f"{sandbox_url}/_sandbox/journal", params=filters).json()["results"]
    return list(found)


def token_checks(sandbox_url: str, status: int) -> list[dict[str, Any]]:
    """The journal's token-check reads (GET ...?limit=1) answered ``status``."""
    return [
        e
        for e in journal(sandbox_url, method="GET", status=str(status))
        if "limit=1" in e["query"].split("&")
    ]


def sample(text: str, series: str) -> float:
    """The value of one series in a Prometheus exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def minted(sandbox_url: str, *dealers: str) -> str:
    """A token the sandbox signed for these dealers."""
    answer = httpx.post(f"{sandbox_url}/_sandbox/token", json={"dealer_codes": list(dealers)})
    return str(answer.json()["token"])


def test_run_once_check_token_exits_5_on_a_refused_token_and_the_default_sends_nothing(
    tmp_path: Path, sandbox_url: str
) -> None:
    """Unchanged feed: the default run sends no request (exit 0 even with another dealer's
    token); --check-token reads once, exits 5 when refused and 0 when taken; no token shown."""
    configure(tmp_path, sandbox_url)
    good, other = minted(sandbox_url, "D1"), minted(sandbox_url, "D2")
    (tmp_path / "token.txt").write_text(good, encoding="utf-8")
    first = syncd(tmp_path, "run-once")
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(httpx.get(f"{sandbox_url}/_sandbox/ads").json()["results"]) == 4

    (tmp_path / "token.txt").write_text(other, encoding="utf-8")
    httpx.delete(f"{sandbox_url}/_sandbox/journal")
    noop = syncd(tmp_path, "run-once")
    assert noop.returncode == 0, noop.stderr[-3000:]
    assert journal(sandbox_url) == []  # nothing to send: no request, so nothing is noticed

    refused = syncd(tmp_path, "run-once", "--check-token")
    assert refused.returncode == 5, refused.stderr[-3000:]
    [entry] = journal(sandbox_url)
    assert (entry["method"], entry["status"], entry["dealer"]) == ("GET", 403, "D2")  # its token
    assert "limit=1" in entry["query"]
    assert "dealer_code=D1" in entry["query"]
    assert "refused the token (HTTP 403)" in refused.stderr
    assert refused.stdout == ""

    (tmp_path / "token.txt").write_text(good, encoding="utf-8")
    httpx.delete(f"{sandbox_url}/_sandbox/journal")
    taken = syncd(tmp_path, "run-once", "--check-token")
    assert taken.returncode == 0, taken.stderr[-3000:]
    assert [(e["method"], e["status"]) for e in journal(sandbox_url)] == [("GET", 200)]
    for done in (first, noop, refused, taken):
        for token in (good, other):
            assert token not in done.stdout
            assert token not in done.stderr


def test_the_daemon_fails_readyz_on_a_refused_token_with_nothing_to_send_and_clears_on_reload(
    tmp_path: Path, sandbox_url: str, processes: Processes
) -> None:
    """An unchanged feed and an expired token: the check at start and every
    token_check_interval get 401, /readyz fails with the reason, the gauge and the error
    counter say so, one error event is logged; a good token and SIGHUP clear it all."""
    configure(tmp_path, sandbox_url, health_port := free_port())
    good = minted(sandbox_url, "D1")
    (tmp_path / "token.txt").write_text(good, encoding="utf-8")
    first = syncd(tmp_path, "run-once")
    assert first.returncode == 0, first.stderr[-3000:]
    bad = mint_token("D1", expires_in=-3600)  # signed by the sandbox's secret, expired
    (tmp_path / "token.txt").write_text(bad, encoding="utf-8")
    httpx.delete(f"{sandbox_url}/_sandbox/journal")
    stderr = (tmp_path / "daemon.log").open("w", encoding="utf-8")
    daemon = processes.start(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", "daemon"],
        cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{health_port}"
    seen: list[str] = []

    def get(path: str) -> httpx.Response | None:
        try:
            answer = httpx.get(f"{base}{path}", timeout=5)
        except httpx.TransportError:
            return None  # not listening yet
        seen.append(answer.text)
        return answer

    def log_tail() -> str:
        return (tmp_path / "daemon.log").read_text(encoding="utf-8")[-4000:]

    try:
        refused = wait_for(
            lambda: (r := get("/readyz")) is not None and r.status_code == 503 and r,
            PATIENCE,
            "/readyz to fail on the refused token",
        )
        assert isinstance(refused, httpx.Response)
        [reason] = refused.json()["reasons"]
        assert reason.startswith("D1: the API refused the token (HTTP 401 on GET /"), reason
        # A third check sent means the first two answers were seen (one check at a time).
        wait_for(lambda: len(token_checks(sandbox_url, 401)) >= 3, PATIENCE, "checks again")
        assert daemon.poll() is None, log_tail()
        # Nothing else was sent: the feed is unchanged and no call is in flight.
        sent = journal(sandbox_url)
        assert all(e["status"] == 401 and "limit=1" in e["query"] for e in sent), sent
        metrics = get("/metrics")
        assert metrics is not None
        assert 'syncd_api_token_refused{dealer_code="D1"} 1.0' in metrics.text
        # Counted at every refused check (the checks go on meanwhile: at least two seen).
        errors = sample(metrics.text, 'syncd_errors_total{job="token_check",kind="ApiAuthError"}')
        assert errors >= 2, metrics.text

        (tmp_path / "token.txt").write_text(good, encoding="utf-8")
        daemon.send_signal(signal.SIGHUP)
        wait_for(
            lambda: (r := get("/readyz")) is not None and r.status_code == 200,
            PATIENCE,
            "/readyz to clear after the new token",
        )
        assert token_checks(sandbox_url, 200)
        metrics = get("/metrics")
        assert metrics is not None
        assert 'syncd_api_token_refused{dealer_code="D1"} 0.0' in metrics.text

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=PATIENCE) == 0, log_tail()
    finally:
        processes.stop(daemon)
        stderr.close()

    text = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    refusals = [r for r in records if r.get("event") == "api_token_refused"]
    assert len(refusals) == 1  # once per state change, not once per check
    assert refusals[0]["level"] == "error"
    assert refusals[0]["dealer_code"] == "D1"
    assert [r["dealer_code"] for r in records if r.get("event") == "api_token_accepted"] == ["D1"]
    for token in (good, bad):
        assert token not in text
        assert all(token not in body for body in seen)
