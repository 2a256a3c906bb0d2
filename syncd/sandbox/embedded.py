"""Sandbox: the sandbox served in-process, for ``syncd --demo`` and trials (no server, no port).

The composition root (``syncd/bootstrap.py``) calls :func:`embedded_transport`
when ``api.base_url`` is ``embedded-sandbox``; the client then talks to the
sandbox through httpx's ASGI transport with a token the sandbox accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
from pydantic import SecretStr

from syncd.sandbox.app import create_app
from syncd.sandbox.auth import mint_token
from syncd.sandbox.settings import SandboxSettings

EMBEDDED_PROCESSING_DELAY = 0.3
"""Seconds per action in-process: short, so a demo run settles in a few seconds."""


def embedded_transport(
    state: Path | None,
    dealer_codes: Sequence[str],
    *,
    processing_delay: float = EMBEDDED_PROCESSING_DELAY,
) -> tuple[httpx.ASGITransport, SecretStr]:
    """An ASGI transport to a new sandbox (state in ``state`` or in memory) and a token
    for ``dealer_codes`` (one dealer, or a dealer group when there are several)."""
    settings = SandboxSettings(state_path=state, processing_delay=processing_delay)
    app = create_app(settings)
    token = mint_token(list(dealer_codes) or ["DEMO"], secret=settings.secret)
    return httpx.ASGITransport(app=app), SecretStr(token)
