"""Every module of syncd names its layer in the first line of its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "syncd"

# The first words a module's docstring opens with, by where the module lives.
BY_FOLDER = {
    "core": ("Core:",),
    "execute": ("Use case:",),
    "feeds": ("Adapter (feeds):",),
    "mirror": ("Adapter (mirror):",),
    "migrations": ("Adapter (mirror):",),
    "marketplaces": ("Adapter (marketplaces):",),
    "daemon": ("Daemon:",),
    "cli": ("Shell:",),
    "sandbox": ("Sandbox:",),
    "bootstrap": ("Composition root:",),
    "config": ("Adapter (config):",),
    "views": ("Use cases:",),
}
TOP_LEVEL = {
    "__init__.py": ("syncd:",),
    "service.py": ("Use case:",),
    "execute.py": ("Use case:",),
    "gather.py": ("Use case:",),
    "saved_plans.py": ("Use case:",),
    "release.py": ("Use case:",),
    "renewals.py": ("Use case:",),
    "adopt.py": ("Use case:",),
    "inspect.py": ("Use case:",),
    "v3_ads.py": ("Use case:",),
    "migrate_v4.py": ("Use case:",),
    "runs.py": ("Use case:",),
    "reading.py": ("Use case:",),
    "settling.py": ("Use case:",),
    "audit.py": ("Use case:",),
    "leftovers.py": ("Use case:",),
    "tables.py": ("Use cases:",),
    "ports.py": ("Ports:",),
    "errors.py": ("Shared:",),
    "logs.py": ("Adapter (logs):",),
    "terminal.py": ("Shared:",),
    "collector.py": ("Shared:",),
    "extras.py": ("Shared:",),
}
SHELL = ("Shell:",)


def expected(path: Path) -> tuple[str, ...]:
    """The layer prefixes allowed for the module at ``path``."""
    parts = path.relative_to(PACKAGE).parts
    if len(parts) > 1:
        return BY_FOLDER[parts[0]]
    return TOP_LEVEL.get(parts[0], SHELL)


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_module_docstring_names_its_layer(path: Path) -> None:
    """The docstring's first line starts with the layer of the folder the module is in."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.relative_to(PACKAGE)} has no docstring"
    first = doc.splitlines()[0]
    assert first.startswith(expected(path)), f"{path.relative_to(PACKAGE)}: {first!r}"
