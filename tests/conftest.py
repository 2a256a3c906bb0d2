"""Fixtures shared by every test layer."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop syncd itself runs on."""
    return "asyncio"
