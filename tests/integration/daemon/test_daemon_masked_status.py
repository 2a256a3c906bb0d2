"""systemd's STATUS= after a failed reload and /readyz's database reason: masked, no token."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd import bootstrap
from syncd.config import Settings
from syncd.core.contacts import EMAIL_HIDDEN, PHONE_HIDDEN
from syncd.daemon.process import Daemon, public_error
from syncd.daemon.systemd import Notifier
from syncd.errors import ConfigError, MirrorUnavailable
from tests.integration.daemon.test_daemon_inprocess import (
    PATIENCE,
    sample,
    settings_for,
    unavailable_api,
    until,
)

pytestmark = pytest.mark.anyio

TOKEN = "test-token-1234"  # the token unavailable_api builds with (the redactor knows it)
DEALER = "0701234567"
QUOTED = f"dealer '{DEALER}': kalle@example.se, 070-123 45 67, token {TOKEN}"
SHOWN = f"dealer '{DEALER}': {EMAIL_HIDDEN}, {PHONE_HIDDEN}, token [REDACTED]"


class _FailingPing:
    """The real mirror, but its ping fails (once ``failing``) quoting contact data and
    the token."""

    def __init__(self, mirror: Any) -> None:
        self._mirror = mirror
        self.failing = False

    def ping(self) -> None:
        if self.failing:
            raise MirrorUnavailable(f"mirror database: {QUOTED}", ids=[DEALER])
        self._mirror.ping()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mirror, name)


async def test_public_error_redacts_then_masks_and_keeps_ids(tmp_path: Path) -> None:
    """The token is redacted, contact data masked, the error's dealer code whole."""
    container = unavailable_api([])(settings_for(tmp_path))  # the redactor learns TOKEN
    await container.aclose()
    assert public_error(ConfigError(QUOTED, ids=[DEALER])) == SHOWN


async def test_a_failed_reloads_status_is_masked_and_has_no_token(tmp_path: Path) -> None:
    """The STATUS= systemd shows after a failed SIGHUP masks contact data and the token,
    the dealer code the error names whole."""
    current: dict[str, Settings | None] = {"settings": settings_for(tmp_path)}

    def load() -> Settings:
        if current["settings"] is None:
            raise ConfigError(f"syncd.toml: {QUOTED}", ids=[DEALER])
        return current["settings"]

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(tmp_path / "notify"))
        listener.settimeout(PATIENCE)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "notify")})
        daemon = Daemon(load, build=unavailable_api([]), notifier=notifier)
        task = asyncio.create_task(daemon.run())
        await until(lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed"))
        current["settings"] = None
        with capture_logs() as events:
            daemon.request_reload()
            await until(lambda: any(e["event"] == "config_reload_failed" for e in events))
        status = await asyncio.to_thread(_status_after_reload, listener)
        daemon.request_stop()
        await asyncio.wait_for(task, PATIENCE)
    assert status == f"STATUS=reload failed, previous configuration kept: syncd.toml: {SHOWN}"


def _status_after_reload(listener: socket.socket) -> str:
    """The STATUS= line of the first datagram after RELOADING=1 (the reload's answer)."""
    reloading = False
    while True:
        lines = listener.recv(65536).decode().split("\n")
        if "RELOADING=1" in lines:
            reloading = True
        elif reloading and "READY=1" in lines:
            return next(line for line in lines if line.startswith("STATUS="))


async def test_readyz_database_reason_is_masked_and_has_no_token(tmp_path: Path) -> None:
    """/readyz gives the database's reason masked, the token redacted."""
    pings: list[_FailingPing] = []

    def build(settings: Settings, **kwargs: Any) -> bootstrap.Container:
        container = unavailable_api([])(settings, **kwargs)
        container.mirror = _FailingPing(container.mirror)
        pings.append(container.mirror)
        return container

    daemon = Daemon(lambda: settings_for(tmp_path), build=build, notifier=Notifier(None))
    task = asyncio.create_task(daemon.run())
    await until(lambda: sample(daemon, "syncd_runs_total", dealer_code="", outcome="failed"))
    pings[-1].failing = True
    ready = daemon.ready()  # what /readyz serves, as JSON
    daemon.request_stop()
    await asyncio.wait_for(task, PATIENCE)
    assert not ready.ok
    assert ready.reasons[0] == f"database unreachable: mirror database: {SHOWN}"
