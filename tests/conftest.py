"""Fixtures shared by every test layer.

* ``anyio_backend`` — async tests run on asyncio.
* Hypothesis runs without wall-clock checks (no deadline, no too_slow health check):
  on a loaded machine an example may take long without being wrong.
* ``processes`` — a :class:`tests.processes.Processes` for the test's subprocesses;
  whatever still runs at teardown (the test failed or timed out) is killed, reaped
  and its pipes closed, so that no ResourceWarning reaches a later test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.processes import Processes

settings.register_profile("syncd", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("syncd")


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop syncd itself runs on."""
    return "asyncio"


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Start the test's subprocesses through this; all are killed and reaped at teardown."""
    with Processes() as tracked:
        yield tracked
