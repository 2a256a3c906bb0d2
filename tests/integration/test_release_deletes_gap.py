"""`release-deletes` stopped between its confirmation and its send: exit 143/130, nothing sent."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli_sandbox import Cli, said, synced_cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


class _SignalAt(logging.Handler):
    """Raises ``sig`` in this process when structlog's event ``event`` is logged: a
    deterministic moment in the command (here, just after the deletes were confirmed,
    before the loop that sends them is up)."""

    def __init__(self, event: str, sig: signal.Signals) -> None:
        super().__init__()
        self.event = event
        self.sig = sig
        self.raised = 0

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict) and record.msg.get("event") == self.event:
            self.raised += 1
            signal.raise_signal(self.sig)


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Five live sofas, then a feed of two: a run holds 3 deletes back (exit 8)."""
    c = synced_cli(tmp_path, http_sandbox, monkeypatch, [goods(i) for i in range(5)])
    c.write([goods(0), goods(1)])
    assert c("run-once").exit_code == 8
    http_sandbox.clear_journal()
    return c


@pytest.fixture
def handlers() -> Iterator[dict[signal.Signals, object]]:
    """The SIGTERM and SIGINT handlers before the test (checked back after it)."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield before
    assert {sig: signal.getsignal(sig) for sig in before} == before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_stop_right_after_the_confirmation_sends_nothing(
    cli: Cli, handlers: dict[signal.Signals, object], sig: signal.Signals, as_json: bool
) -> None:
    """A signal as the confirmed deletes are about to be sent (the default handlers
    were in force there: SIGTERM killed the process, SIGINT raised KeyboardInterrupt)
    is noted: the command exits 143/130 saying nothing was sent, and nothing was."""
    at = _SignalAt("release_deletes_confirmed", sig)
    logger = logging.getLogger("syncd.cli")
    logger.addHandler(at)
    try:
        args = ["release-deletes", "--dealer", "D1", "--yes", *(["--json"] if as_json else [])]
        result = cli(*args)
    finally:
        logger.removeHandler(at)
    assert at.raised == 1
    assert result.exit_code == (143 if sig is signal.SIGTERM else 130), result.output
    assert f"stopped by {sig.name} before they were sent: nothing was sent" in said(result)
    assert "Traceback" not in result.output
    assert cli.sandbox.mutations() == []
    if as_json:
        assert '"run": null' in result.stdout
    [withheld] = cli.json("status")["withheld"]
    assert withheld["source_ids"] == ["sofa-2", "sofa-3", "sofa-4"]  # still held back
