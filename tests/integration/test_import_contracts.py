"""The import contracts of pyproject.toml hold, and fail naming the import when broken.

Each case copies the package beside the project's pyproject.toml into a temporary
folder, adds one forbidden import to one module, and runs ``lint-imports`` on the
copy: the contract must break and its report must name the importing module and
the imported one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_tree(tmp_path: Path) -> Path:
    """The package and the contracts, copied where a test may break them."""
    shutil.copytree(
        ROOT / "syncd", tmp_path / "syncd", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the copy (its own package first on the path, no cache)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_contracts_hold_on_an_unchanged_copy(tmp_path: Path) -> None:
    """The copy the other cases break passes as it is, so a failure below is the added import."""
    result = lint(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        ("core/plan.py", "httpx", "The core is pure"),
        ("core/payload.py", "os", "The core is pure"),
        ("core/reconcile.py", "time", "The core is pure"),
        ("core/models.py", "syncd.errors", "The core is pure"),
        ("feeds/native.py", "syncd.mirror.sql", "Adapters do not import each other"),
        ("mirror/sql.py", "syncd.service", "Adapters do not import the shell"),
        ("sandbox/app.py", "syncd.core.models", "The sandbox is an independent reading"),
        ("service.py", "syncd.sandbox.app", "Only the composition root and the CLI"),
        ("daemon/jobs.py", "syncd.sandbox.embedded", "Only the composition root and the CLI"),
        ("service.py", "syncd.bootstrap", "Layers: each imports only the ones below it"),
        (
            "bootstrap/container.py",
            "syncd.daemon.metrics",
            "Layers: each imports only the ones below it",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract_and_is_named(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    """Adding ``import <imported>`` to ``<module>`` breaks ``<contract>``, naming both ends."""
    tree = copy_tree(tmp_path)
    path = tree / "syncd" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\nimport {imported}\n", encoding="utf-8")
    result = lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in report, result.stdout
    source = "syncd." + module.removesuffix(".py").replace("/", ".")
    assert f"{source} -> {imported}" in report, result.stdout


def _contract(name: str) -> dict[str, list[str]]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return next(c for c in doc["tool"]["importlinter"]["contracts"] if c["name"].startswith(name))


def _top_level() -> set[str]:
    """Every module and package directly under syncd/ (what a contract must name)."""
    found = {
        p.stem for p in (ROOT / "syncd").glob("*.py") if p.stem not in ("__init__", "__main__")
    }
    found |= {p.parent.name for p in (ROOT / "syncd").glob("*/__init__.py")}
    return {f"syncd.{name}" for name in found}


def test_the_contracts_name_every_top_level_module() -> None:
    """A new module cannot slip past a contract by not being listed in it."""
    everything = _top_level()
    assert everything - set(_contract("The core is pure")["forbidden_modules"]) == {"syncd.core"}
    sandbox = set(_contract("The sandbox is an independent")["forbidden_modules"])
    assert everything - sandbox == {"syncd.sandbox"}
    sources = set(_contract("Only the composition root")["source_modules"])
    assert everything - sources == {"syncd.bootstrap", "syncd.cli", "syncd.sandbox"}
