"""Fixtures shared by every test layer.

* ``anyio_backend`` — async tests run on asyncio.
* ``processes`` — a :class:`tests.processes.Processes` for the test's subprocesses;
  whatever still runs at teardown (the test failed or timed out) is killed, reaped
  and its pipes closed, so that no ResourceWarning reaches a later test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.processes import Processes


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop syncd itself runs on."""
    return "asyncio"


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Start the test's subprocesses through this; all are killed and reaped at teardown."""
    with Processes() as tracked:
        yield tracked
