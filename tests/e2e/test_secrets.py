"""The token and the sellers' contact data never reach the logs or the output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sandbox_server import SandboxServer, running_sandbox
from tests.processes import Processes

pytestmark = pytest.mark.slow

PHONE = "0709876543"
EMAIL = "seller-private@example.com"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox subprocess over real HTTP."""
    with running_sandbox("--processing-delay", "0.02") as server:
        yield server


def _setup(tmp_path: Path, url: str) -> Path:
    ads = [
        {
            "source_id": f"s{i}",
            "category_id": 2048,
            "title": f"Soffa {i}",
            "body": "Fin.",
            "price": [{"type": "list", "amount": 100 + i}],
            "contact": {"name": "Privat Person", "phone": PHONE, "email": EMAIL},
        }
        for i in range(3)
    ]
    ads.append(
        {
            "source_id": "bad",
            "category_id": 2048,
            "body": "no title",
            "price": [{"type": "list", "amount": 1}],
            "contact": {"name": "Privat Person", "phone": PHONE, "email": EMAIL},
        }
    )
    (tmp_path / "feed.json").write_text(json.dumps(ads), encoding="utf-8")
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "{url}"\n'
        f"[sync]\npoll_interval = 0.05\n"
        f'[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\ndealer_code = "D1"\n',
        encoding="utf-8",
    )
    return config


def _run(processes: Processes, config: Path, token: str, *args: str) -> str:
    result = processes.run(
        [sys.executable, "-m", "syncd", "--config", str(config), *args],
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_API_TOKEN": token},
    )
    assert result.returncode in (0, 5, 6), result.stderr
    return result.stdout + result.stderr


def test_a_debug_run_never_logs_the_token(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """Every line of a full run at debug level (and of status and plan) is free of the token."""
    sandbox.reset()
    token = sandbox.token("D1")
    config = _setup(tmp_path, sandbox.url)
    output = _run(processes, config, token, "--log-level", "debug", "run-once")
    output += _run(processes, config, token, "--log-level", "debug", "plan")
    output += _run(processes, config, token, "--log-level", "debug", "status")
    assert "run_finished" in output
    assert token not in output
    assert token.split(".")[2] not in output  # not even the signature part


def test_a_refused_token_is_not_echoed(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """A token the API refuses gives exit 5 and a message that does not contain it."""
    token = "eyJhbGciOiJIUzI1NiJ9.eyJkZWFsZXJfY29kZSI6IkQxIn0.not-a-valid-signature-at-all"
    config = _setup(tmp_path, sandbox.url)
    result = processes.run(
        [
            sys.executable,
            "-m",
            "syncd",
            "--config",
            str(config),
            "--log-level",
            "debug",
            "run-once",
        ],
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_API_TOKEN": token},
    )
    assert result.returncode == 5, result.stderr
    assert "refused the token" in result.stderr
    assert token not in result.stdout + result.stderr
    assert "not-a-valid-signature" not in result.stdout + result.stderr


def test_contact_data_stays_out_of_info_logs(
    tmp_path: Path, sandbox: SandboxServer, processes: Processes
) -> None:
    """At info level no seller phone or e-mail appears, even for a rejected item."""
    sandbox.reset()
    config = _setup(tmp_path, sandbox.url)
    output = _run(processes, config, sandbox.token("D1"), "run-once")
    assert "feed_item_rejected" in output
    assert PHONE not in output
    assert EMAIL not in output
