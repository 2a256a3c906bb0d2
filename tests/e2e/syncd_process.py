"""`python -m syncd` as a subprocess in a folder, and the furniture ad its feeds are made of."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def furniture(source_id: str, **changes: Any) -> dict[str, Any]:
    """A valid furniture ad, with ``changes`` applied (a value None removes the field)."""
    doc = {
        "source_id": source_id,
        "category_id": 2048,
        "title": "Bord",
        "body": "Ek.",
        "price": [{"type": "list", "amount": 100}],
        "contact": {"name": "Butik", "phone": "0701234567", "email": "b@example.com"},
    } | changes
    return {k: v for k, v in doc.items() if v is not None}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m syncd --config syncd.toml ARGS` in ``cwd``, output captured (bounded)."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_CONFIG": ""},
    )
