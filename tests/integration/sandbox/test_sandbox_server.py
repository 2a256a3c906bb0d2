"""The sandbox as a real server: a subprocess on a free port, spoken to over HTTP."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.processes import Processes

pytestmark = pytest.mark.slow

# A bound on the sandbox's start-up, generous for a loaded machine: the wait ends at
# its ready line.
READY_TIMEOUT = 60.0


def _start(processes: Processes, *args: str) -> str:
    """Start ``python -m syncd.sandbox`` and wait for its ready line; answer its URL."""
    process = processes.start(
        [sys.executable, "-m", "syncd.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = process.stdout.readline()
            if line.startswith("syncd sandbox listening on "):
                selector.close()
                return line.split()[-1]
            if not line:
                break
    selector.close()
    process.kill()
    raise AssertionError(f"the sandbox did not start: {process.communicate()[1]}")


@pytest.fixture
def serve(processes: Processes) -> Callable[..., str]:
    """Start sandboxes as subprocesses (each on a free port); stopped at teardown."""

    def start(*args: str) -> str:
        return _start(processes, *args)

    return start


def _token(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "syncd.sandbox", "token", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


AD = {
    "source_id": "s1",
    "category_id": 2048,
    "title": "Soffa",
    "body": "Fin",
    "price": [{"type": "list", "amount": 100}],
    "contact": {"name": "A", "phone": "0701234567", "email": "a@example.com"},
}


def test_served_over_http_with_a_cli_token(serve) -> None:
    """`syncd sandbox --port 0` serves the API; a `syncd sandbox token` token works on it."""
    url = serve("--processing-delay", "0")
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0")
    headers = {"X-Auth-Token": _token("--dealer", "D1")}
    with httpx.Client(base_url=f"{url}/pro-import-api", headers=headers, timeout=10) as api:
        created = api.post("/v4/ad", json=AD)
        assert created.status_code == 201
        assert created.headers["X-Request-Id"]
        ad = api.get("/v4/ad/s1").json()
        assert {e["state"] for e in ad["log"]} == {"done"}
        assert api.get("/v4/ad", headers={"X-Auth-Token": "bad"}).status_code == 401
        journal = httpx.get(f"{url}/_sandbox/journal", timeout=10).json()
        assert [e["method"] for e in journal["results"]] == ["POST", "GET", "GET"]


def test_group_token_from_the_cli(serve) -> None:
    """`syncd sandbox token --dealer D1 --dealer D2 --group G` gives a dealer_group token."""
    url = serve()
    headers = {"X-Auth-Token": _token("--dealer", "D1", "--dealer", "D2", "--group", "G")}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as api:
        assert api.post("/v4/ad", json=AD).status_code == 400
        assert api.post("/v4/ad", json={**AD, "dealer_code": "D2"}).status_code == 201


def test_dropped_connections_and_timeouts_over_http(serve) -> None:
    """Over real HTTP a drop closes the connection unanswered and a stall trips the timeout."""
    url = serve("--fault-drop-rate", "1")
    with httpx.Client(base_url=url, timeout=5) as api:
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/v4/ad")
        httpx.put(f"{url}/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 2})
        with pytest.raises(httpx.ReadTimeout):
            api.get("/v4/ad", timeout=0.3)
        httpx.delete(f"{url}/_sandbox/faults")
        httpx.put(f"{url}/_sandbox/faults", json={})
        assert api.get("/v4/ad").status_code == 401


def test_state_file_survives_a_server_restart(serve, tmp_path: Path) -> None:
    """--state keeps the ads across a restart of the process."""
    state = str(tmp_path / "sandbox.db")
    headers = {"X-Auth-Token": _token("--dealer", "D1")}
    first = serve("--state", state, "--processing-delay", "0")
    assert httpx.post(f"{first}/v4/ad", json=AD, headers=headers).status_code == 201
    second = serve("--state", state)
    ad = httpx.get(f"{second}/v4/ad/s1", headers=headers)
    assert ad.status_code == 200
    assert ad.json()["blocket_ad_id"] is not None


def test_bad_options_are_usage_errors() -> None:
    """A too-short secret or an invalid fault value is refused before serving."""
    result = subprocess.run(
        [sys.executable, "-m", "syncd.sandbox", "--fault-error-rate", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "error_rate" in result.stderr
    short = subprocess.run(
        [sys.executable, "-m", "syncd.sandbox", "token", "--dealer", "D1", "--secret", "x"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert short.returncode == 2
