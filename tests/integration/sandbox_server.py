"""Start the sandbox as a real subprocess on a free port, and talk to its admin API."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings
from tests.processes import DEFAULT_GRACE, Processes


class SandboxAdmin:
    """The admin API of a sandbox (``/_sandbox/...``), however it is reached."""

    url: str

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call an admin endpoint (``/_sandbox/...``)."""
        raise NotImplementedError

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """The transport syncd's client must use (None: real HTTP to ``url``)."""
        return None

    def reset(self) -> None:
        """No ads, an empty journal, no faults."""
        self.admin("POST", "reset")

    def ads(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every ad in the sandbox by (dealer_code, source_id)."""
        results = self.admin("GET", "ads").json()["results"]
        return {(a["dealer_code"], a["source_id"]): a for a in results}

    def journal(self) -> list[dict[str, Any]]:
        """Every request received since the last clear."""
        results: list[dict[str, Any]] = self.admin("GET", "journal").json()["results"]
        return results

    def clear_journal(self) -> None:
        """Forget the requests received so far."""
        self.admin("DELETE", "journal")

    def mutations(self) -> list[tuple[str, str | None]]:
        """The (method, source_id) of every write the journal holds."""
        return [
            (e["method"], e["source_id"])
            for e in self.journal()
            if e["method"] in ("POST", "PUT", "PATCH", "DELETE")
        ]

    @staticmethod
    def token(*dealer_codes: str) -> str:
        """A token the sandbox accepts (its development secret)."""
        return mint_token(list(dealer_codes))


@dataclass
class SandboxServer(SandboxAdmin):
    """A sandbox running as a subprocess, reached over real HTTP."""

    url: str
    process: subprocess.Popen[str]

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call an admin endpoint over HTTP."""
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response


class InProcessSandbox(SandboxAdmin):
    """A sandbox app in this process, reached through httpx's ASGI transport."""

    url = "http://sandbox.test"

    def __init__(
        self, processing_delay: float | None = None, *, settings: SandboxSettings | None = None
    ) -> None:
        """A sandbox with ``settings`` (default: the defaults), ``processing_delay`` overriding."""
        settings = settings or SandboxSettings()
        if processing_delay is not None:
            doc = {**settings.model_dump(), "processing_delay": processing_delay}
            settings = SandboxSettings.model_validate(doc)
        self.app = create_app(settings)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call an admin endpoint through the app directly."""

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport(), base_url=self.url) as c:
                response = await c.request(method, f"/_sandbox/{path}", **kwargs)
                await response.aread()
                return response

        response = asyncio.run(call())
        response.raise_for_status()
        return response

    def transport(self) -> httpx.AsyncBaseTransport:
        """An ASGI transport to the same app (and so the same ads)."""
        return httpx.ASGITransport(app=self.app)


@contextmanager
def running_sandbox(*args: str) -> Iterator[SandboxServer]:
    """Run `python -m syncd.sandbox --port 0 ARGS` until the block ends (then stop it)."""
    with Processes() as processes:
        process = processes.start(
            [sys.executable, "-m", "syncd.sandbox", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stdout is not None
            # The first lines are the start-up messages; the URL line ends them (or EOF).
            url = None
            for line in process.stdout:
                if "listening on " in line:
                    url = line.rsplit("listening on ", 1)[1].strip()
                    break
            assert url, "the sandbox did not announce its URL"
            yield SandboxServer(url=url, process=process)
        finally:
            processes.stop(process, grace=DEFAULT_GRACE)
