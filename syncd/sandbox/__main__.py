"""Sandbox: ``python -m syncd.sandbox``, the same as ``syncd sandbox``."""

from __future__ import annotations

from syncd.sandbox.cli import sandbox

if __name__ == "__main__":
    sandbox(prog_name="syncd sandbox")
