"""The health/metrics endpoint, the metrics' httpx hooks and systemd's notify socket, in-process."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syncd import config
from syncd.core.models import RunOutcome
from syncd.daemon.health import Check, HealthServer
from syncd.daemon.metrics import Metrics
from syncd.daemon.systemd import Notifier
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


class FakeProbes:
    """Probes whose answers a test sets."""

    def __init__(self, metrics: Metrics) -> None:
        self.alive = Check(True)
        self.readiness = Check(False, ("D1: no successful sync yet",))
        self._metrics = metrics

    def live(self) -> Check:
        return self.alive

    def ready(self) -> Check:
        return self.readiness

    def metrics(self) -> bytes:
        return self._metrics.render()

    def page(self) -> bytes:
        return b"<!DOCTYPE html><title>syncd status</title>"


@pytest.fixture
def served() -> Iterator[tuple[FakeProbes, Metrics, str]]:
    """A health server on a free local port, with fake probes."""
    metrics = Metrics()
    probes = FakeProbes(metrics)
    server = HealthServer(probes, "127.0.0.1", 0)
    server.start()
    try:
        yield probes, metrics, f"http://127.0.0.1:{server.port}"
    finally:
        server.close()


def test_healthz_and_readyz_answer_200_or_503_with_reasons(
    served: tuple[FakeProbes, Metrics, str],
) -> None:
    """/healthz and /readyz are 200 when ok, 503 with the reasons when not."""
    probes, _, url = served
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "reasons": []}
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["D1: no successful sync yet"]
    probes.alive = Check(False, ("scheduler is not running",))
    probes.readiness = Check(True)
    assert httpx.get(f"{url}/healthz").status_code == 503
    assert httpx.get(f"{url}/readyz").status_code == 200
    assert httpx.get(f"{url}/nope").status_code == 404


def test_a_failing_probe_answers_500_and_the_server_goes_on(
    served: tuple[FakeProbes, Metrics, str],
) -> None:
    """A probe that raises gives a 500; the next request is served normally."""
    probes, _, url = served

    def broken() -> Check:
        raise RuntimeError("bug")

    probes.ready = broken  # type: ignore[method-assign]
    assert httpx.get(f"{url}/readyz").status_code == 500
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_metrics_lists_every_documented_family(served: tuple[FakeProbes, Metrics, str]) -> None:
    """/metrics is the Prometheus text format with runs, calls, ads, errors, ages, latency."""
    _, metrics, url = served
    metrics.record_run("D1", RunOutcome.SUCCESS, 1_700_000_000.0)
    metrics.record_run("D1", RunOutcome.FAILED, 1_700_000_100.0)
    metrics.record_ads("D1", {"live": 3, "failed": 1}, in_flight=2)
    metrics.record_error("sync", RuntimeError("x"))
    metrics.watch_feed("D1", "/nonexistent/feed.json")
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for line in (
        'syncd_runs_total{dealer_code="D1",outcome="success"} 1.0',
        'syncd_runs_total{dealer_code="D1",outcome="failed"} 1.0',
        'syncd_ads{dealer_code="D1",state="live"} 3.0',
        'syncd_actions_in_flight{dealer_code="D1"} 2.0',
        'syncd_errors_total{job="sync",kind="RuntimeError"} 1.0',
        'syncd_last_success_timestamp_seconds{dealer_code="D1"} 1.7e+09',
        'syncd_feed_age_seconds{dealer_code="D1"} NaN',
    ):
        assert line in text, line
    assert "# TYPE syncd_api_request_duration_seconds histogram" in text


@pytest.mark.anyio
async def test_event_hooks_count_and_time_api_calls() -> None:
    """The AsyncClient hooks count calls by method and status and observe their latency."""
    metrics = Metrics()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201 if request.method == "POST" else 404)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer),
        base_url="http://api",
        event_hooks=metrics.event_hooks(),
    ) as client:
        await client.post("/v4/ad", json={})
        await client.get("/v4/ad/x")
        await client.get("/v4/ad/y")
    text = metrics.render().decode()
    assert 'syncd_api_requests_total{method="POST",status="201"} 1.0' in text
    assert 'syncd_api_requests_total{method="GET",status="404"} 2.0' in text
    assert 'syncd_api_request_duration_seconds_count{method="GET"} 2.0' in text


def test_two_metrics_objects_do_not_share_series() -> None:
    """Each Metrics has its own registry (no process-global state between tests or reloads)."""
    first, second = Metrics(), Metrics()
    first.record_run("D1", RunOutcome.SUCCESS, 1.0)
    assert "syncd_runs_total{" not in second.render().decode()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_notifier_sends_datagrams_to_the_notify_socket(tmp_path: Path, abstract: bool) -> None:
    """READY=1, STATUS= and STOPPING=1 arrive on a unix datagram socket, path or '@' abstract."""
    name = f"@syncd-test-{tmp_path.name}" if abstract else str(tmp_path / "notify")
    bound = "\0" + name[1:] if abstract else name
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(bound)
        listener.settimeout(2)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": name})
        assert notifier.ready("running: 1 feed(s)")
        ready = listener.recv(4096).decode().split("\n")
        assert "READY=1" in ready
        assert "STATUS=running: 1 feed(s)" in ready
        assert notifier.stopping()
        assert "STOPPING=1" in listener.recv(4096).decode()


def test_notifier_survives_a_missing_socket(tmp_path: Path) -> None:
    """A notify socket that went away is logged, never raised."""
    assert Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "gone")}).watchdog() is False


def test_every_daemon_key_is_documented_in_the_example_config() -> None:
    """config.example.toml has a [daemon] table listing every DaemonSettings field."""
    example = ROOT / "config.example.toml"
    documented = tomllib.loads(example.read_text(encoding="utf-8"))["daemon"]
    assert set(documented) == set(config.DaemonSettings.model_fields)
    assert config.load(example).daemon == config.DaemonSettings()


def test_ready_bound_must_exceed_the_interval() -> None:
    """A readiness bound shorter than the sync interval is refused, naming both keys."""
    with pytest.raises(ConfigError, match=r"daemon: .*ready_max_age .* interval"):
        config.parse({"daemon": {"interval": 600, "ready_max_age": 300}}, source="t")
