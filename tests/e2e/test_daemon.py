"""`syncd daemon` as a real subprocess, against the sandbox served over HTTP by another one."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from syncd import bootstrap
from tests.integration.sandbox_server import running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

URL = re.compile(r"https?://[^\s\"']+")
NEW_PRICE = 123456
# How long a wait_for may take: generous for a loaded 2-core machine. Each wait ends as
# soon as its condition holds, so a quiet machine never waits for the bound.
PATIENCE = 60.0


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll condition() until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    """The sandbox served by `python -m syncd.sandbox --port 0` (it prints its URL)."""
    with running_sandbox("--processing-delay", "0.05") as server:
        yield server.url


class NotifySocket:
    """The NOTIFY_SOCKET a supervisor provides: a unix datagram socket collecting messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.setblocking(False)
        self.messages: list[dict[str, str]] = []

    def drain(self) -> list[dict[str, str]]:
        """Read every datagram waiting; returns all received so far."""
        while True:
            try:
                data = self._sock.recv(4096)
            except BlockingIOError:
                return self.messages
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append(fields)

    def seen(self, key: str, value: str | None = None) -> bool:
        """True once a message carried key (with this value, if given)."""
        return any(key in m and (value is None or m[key] == value) for m in self.drain())

    def close(self) -> None:
        """Close and remove the socket."""
        self._sock.close()
        self.path.unlink(missing_ok=True)


def write_feed(path: Path, doc: dict[str, list[dict[str, object]]]) -> None:
    """Write the feed as an exporter should: a temporary file renamed over the old one."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)


def test_daemon_follows_the_feed_reports_to_systemd_and_stops_cleanly(
    tmp_path: Path, sandbox_url: str, processes: Processes
) -> None:
    """READY=1, a feed change reaches the sandbox, /metrics and /readyz answer, SIGTERM exits 0."""
    token = httpx.post(f"{sandbox_url}/_sandbox/token", json={"dealer_codes": ["D1"]}).json()
    feed = tmp_path / "inventory.json"
    doc = json.loads(bootstrap.sample_feed_path().read_text(encoding="utf-8"))
    write_feed(feed, doc)
    health_port = free_port()
    (tmp_path / "syncd.toml").write_text(
        f"""
[database]
url = "sqlite:///mirror.db"
[api]
base_url = "{sandbox_url}"
[[feeds]]
settle_seconds = 0
path = "inventory.json"
[sync]
reconcile_wait = 5.0
poll_interval = 0.1
[daemon]
interval = 600.0
feed_poll_interval = 0.2
reconcile_interval = 0.5
health_port = {health_port}
stop_timeout = 10.0
[log]
format = "json"
""",
        encoding="utf-8",
    )
    notify = NotifySocket(tmp_path / "notify")
    stderr = (tmp_path / "daemon.log").open("w", encoding="utf-8")
    env = {
        **os.environ,
        "SYNCD_CONFIG": "",
        "SYNCD_API_TOKEN": token["token"],
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "2000000",
    }
    daemon = processes.start(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", "daemon"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{health_port}"

    def log_tail() -> str:
        return (tmp_path / "daemon.log").read_text(encoding="utf-8")[-4000:]

    def sandbox_prices() -> dict[str, str]:
        ads = httpx.get(f"{sandbox_url}/_sandbox/ads").json()["results"]
        return {ad["source_id"]: json.dumps(ad["price"]) for ad in ads}

    try:
        wait_for(
            lambda: notify.seen("READY", "1") or daemon.poll() is not None, PATIENCE, "READY=1"
        )
        assert daemon.poll() is None, log_tail()
        wait_for(lambda: len(sandbox_prices()) == 4, PATIENCE, "the first sync to publish the feed")

        doc["ads"][0]["price"] = [{"type": "list", "amount": NEW_PRICE, "currency": "SEK"}]
        write_feed(feed, doc)
        changed = str(doc["ads"][0]["source_id"])
        wait_for(
            lambda: str(NEW_PRICE) in sandbox_prices()[changed], PATIENCE, "the change to arrive"
        )
        journal = httpx.get(f"{sandbox_url}/_sandbox/journal", params={"method": "PATCH"}).json()
        assert journal["count"] >= 1

        wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, PATIENCE, "/readyz 200")
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        metrics = httpx.get(f"{base}/metrics").text
        assert re.search(r'syncd_runs_total\{dealer_code="",outcome="success"\} [1-9]', metrics)
        assert re.search(r'syncd_api_requests_total\{method="PATCH",status="200"\} [1-9]', metrics)
        assert 'syncd_feed_age_seconds{dealer_code=""}' in metrics
        assert "syncd_api_request_duration_seconds_bucket" in metrics
        wait_for(lambda: notify.seen("WATCHDOG", "1"), PATIENCE, "WATCHDOG=1")
        wait_for(
            lambda: any("run" in m.get("STATUS", "") for m in notify.drain()), PATIENCE, "STATUS="
        )

        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: notify.seen("RELOADING", "1"), PATIENCE, "RELOADING=1 after SIGHUP")
        assert daemon.poll() is None, log_tail()

        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=PATIENCE)
        assert code == 0, log_tail()
        assert notify.seen("STOPPING", "1")
    finally:
        processes.stop(daemon)  # already gone unless the test failed
        stderr.close()
        notify.close()

    text = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(r.get("event") == "daemon_stopped" for r in records)
    with sqlite3.connect(tmp_path / "mirror.db") as db:
        assert db.execute("SELECT count(*) FROM ads WHERE stage = 'intent'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM runs WHERE outcome IS NULL").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM ads").fetchone() == (4,)


def test_daemon_refuses_a_busy_health_port_with_the_config_code(
    tmp_path: Path, processes: Processes
) -> None:
    """A health port already in use stops start-up with exit 3, naming the key."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (tmp_path / "inventory.json").write_text("[]", encoding="utf-8")
        (tmp_path / "syncd.toml").write_text(
            '[api]\nbase_url = "embedded-sandbox"\n'
            '[[feeds]]\nsettle_seconds = 0\npath = "inventory.json"\n'
            f"[daemon]\nhealth_port = {port}\n",
            encoding="utf-8",
        )
        result = processes.run(
            [sys.executable, "-m", "syncd", "--config", "syncd.toml", "daemon"],
            cwd=tmp_path, text=True, timeout=60, check=False,
            env={**os.environ, "SYNCD_CONFIG": ""},
        )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "daemon.health_port: cannot listen on" in result.stderr
