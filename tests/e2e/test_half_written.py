"""An exporter still writing the feed while `syncd run-once` starts: no ad is deleted.

The exporter has written 10 of 12 ads (a feed that parses: a JSON document written
whole, or JSON Lines cut at a line end) and is still at work (touching the file)
when run-once starts. It finishes only once the run has shown what it did with the
file: it waits for it to hold still (``feed_settling`` in its log), or it already
sent calls (the sandbox's journal), or it exited. Then no DELETE may be in the journal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer, running_sandbox

pytestmark = pytest.mark.slow

ADS = [goods(n) for n in range(12)]
TOUCHES = 600  # at most this many "still at work" touches, 50 ms apart (30 s)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox subprocess over real HTTP."""
    with running_sandbox("--processing-delay", "0.01") as server:
        yield server


def _encode(ads: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(a) + "\n" for a in ads)
    return json.dumps(ads)


def _write_whole(path: Path, text: str) -> None:
    """As the exporter starts a new file: write it aside and rename it into place."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _run_once(config: Path, token: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(config), "run-once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SYNCD_API_TOKEN": token, "SYNCD_CONFIG": ""},
    )


class Log:
    """The run's stderr, read in a thread; ``settling`` is set at the event of that name."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.settling = threading.Event()
        assert process.stderr is not None
        self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)
            if "feed_settling" in line:
                self.settling.set()
        stream.close()

    def text(self) -> str:
        """Everything the run logged (call once it has exited)."""
        self._thread.join(timeout=10)
        return "".join(self.lines)


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_feed_still_being_written_deletes_nothing(
    tmp_path: Path, sandbox: SandboxServer, fmt: str
) -> None:
    """run-once waits for the exporter to finish, reads all 12 ads and sends no DELETE."""
    sandbox.reset()
    token = sandbox.token("D1")
    feed = tmp_path / f"feed.{fmt}"
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "{sandbox.url}"\n'
        f"requests_per_second = 100.0\n[sync]\npoll_interval = 0.05\nreconcile_wait = 20.0\n"
        f'[[feeds]]\npath = "{feed.name}"\nformat = "{fmt}"\ndealer_code = "D1"\n'
        f"settle_seconds = 1.0\nsettle_timeout = 60.0\n",
        encoding="utf-8",
    )
    _write_whole(feed, _encode(ADS, fmt))
    first = _run_once(config, token)
    _, errors = first.communicate(timeout=120)
    assert first.returncode == 0, errors
    assert sum(a["state"] == "created" for a in sandbox.ads().values()) == 12
    sandbox.clear_journal()

    _write_whole(feed, _encode(ADS[:10], fmt))  # the exporter's new file, 10 ads so far
    run = _run_once(config, token)
    log = Log(run)
    for _ in range(TOUCHES):  # still at work, until the run shows what it does
        if log.settling.is_set() or sandbox.journal() or run.poll() is not None:
            break
        os.utime(feed)
        log.settling.wait(0.05)
    if fmt == "jsonl":
        for ad in ADS[10:]:
            with feed.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(ad) + "\n")
            os.utime(feed)
    else:
        _write_whole(feed, _encode(ADS, fmt))
    code = run.wait(timeout=120)
    output = log.text()

    assert ("DELETE", "sofa-10") not in sandbox.mutations(), output
    assert all(method != "DELETE" for method, _ in sandbox.mutations()), output
    assert code == 0, output
    assert log.settling.is_set(), output
    assert sum(a["state"] == "created" for a in sandbox.ads().values()) == 12
