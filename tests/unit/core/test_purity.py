"""The core reads no clock: time comes in as an argument (the import contracts forbid I/O)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "syncd" / "core"
CLOCK_CALLS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}


def clock_calls(path: Path) -> list[str]:
    """``datetime.now()``-like calls in one module, as ``file:line name``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
            found.append(f"{path.name}:{node.lineno} {func.attr}")
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_module_reads_no_clock(path: Path) -> None:
    """No module of syncd.core asks the system for the time or date."""
    assert clock_calls(path) == []


def test_the_check_sees_a_clock_call(tmp_path: Path) -> None:
    """The scan finds ``datetime.now(UTC)``, so the test above can fail."""
    module = tmp_path / "m.py"
    module.write_text("from datetime import UTC, datetime\nx = datetime.now(UTC)\n")
    assert clock_calls(module) == ["m.py:2 now"]
