"""A client that disconnects mid-request: one quiet log line of the sandbox, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from syncd.sandbox.auth import mint_token
from tests.processes import DEFAULT_GRACE, Processes

pytestmark = pytest.mark.slow

PATIENCE = 60.0  # a bound on each wait, generous for a loaded machine


def _serve(processes: Processes, stderr: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``python -m syncd.sandbox --port 0 ARGS``, its stderr into a file; its URL once ready."""
    with stderr.open("w") as err:  # the child has its own descriptor
        process = processes.start(
            [sys.executable, "-m", "syncd.sandbox", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    assert process.stdout is not None
    for line in process.stdout:  # the ready line comes, or EOF if it died
        if line.startswith("syncd sandbox listening on "):
            return process, line.split()[-1]
    raise AssertionError(f"the sandbox did not start: {stderr.read_text()}")


def _post_half_a_body(url: str) -> None:
    """A POST whose Content-Length promises more than is sent, then the connection closed."""
    parts = urlsplit(url)
    head = (
        "POST /v4/ad HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        f"X-Auth-Token: {mint_token(['D1'])}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE) as sock:
        sock.sendall(head.encode() + b'{"source_id": "s1", ')


def _journaled(url: str) -> list[dict[str, object]]:
    """The sandbox's journal, once it has the POST (the app journals as it ends)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        entries = httpx.get(f"{url}/_sandbox/journal", timeout=PATIENCE).json()["results"]
        if entries or time.monotonic() > deadline:
            return list(entries)
        time.sleep(0.05)


@pytest.mark.parametrize("level", ["info", "warning"])
def test_a_client_gone_mid_request_is_one_info_line_and_no_traceback(
    processes: Processes, tmp_path: Path, level: str
) -> None:
    """The request's body never comes whole: the sandbox journals it without a status,
    logs ``client_disconnected`` at info (silent at its default level, warning), writes
    no traceback, and serves the next request."""
    stderr = tmp_path / "stderr"
    process, url = _serve(processes, stderr, "--log-level", level)
    _post_half_a_body(url)
    [entry] = _journaled(url)
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/v4/ad", None)
    assert (
        httpx.get(f"{url}/v4/ad", headers={"X-Auth-Token": mint_token(["D1"])}).status_code == 200
    )
    processes.stop(process, grace=DEFAULT_GRACE)  # its stderr is complete once it exited
    shown = stderr.read_text()
    assert "Traceback" not in shown
    assert "Exception in ASGI application" not in shown
    assert "ClientDisconnect" not in shown
    lines = [line for line in shown.splitlines() if "client_disconnected" in line]
    if level == "info":
        [line] = lines
        assert "method=POST" in line
        assert "path=/v4/ad" in line
        assert "[info" in line
    else:
        assert lines == []
