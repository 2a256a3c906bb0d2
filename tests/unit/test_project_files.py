"""The project's own files agree with the code: dependencies that are used, documented values."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from syncd.core.models import RunOutcome
from syncd.daemon import metrics

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))


def _commands(name: str) -> set[str]:
    """The distribution's name and its console scripts (import-linter's is lint-imports)."""
    try:
        points = importlib.metadata.distribution(name).entry_points
    except importlib.metadata.PackageNotFoundError:
        return {name}
    return {name} | {p.name for p in points if p.group == "console_scripts"}


def test_every_test_dependency_is_used() -> None:
    """Each test extra is imported by a test, run by scripts/test, or a configured pytest plugin."""
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    sources = _test_sources()
    plugins = {
        "pytest-timeout": "timeout" in PYPROJECT["tool"]["pytest"]["ini_options"],
        "anyio": "pytest.mark.anyio" in sources,
        "pytest-xdist": re.search(r"-m pytest -n \d", script) is not None,
        "pytest-cov": "--cov " in script,
    }
    unused = []
    for requirement in PYPROJECT["project"]["optional-dependencies"]["test"]:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()
        module = name.replace("-", "_")
        imported = re.search(rf"^\s*(import|from) {module}\b", sources, re.MULTILINE)
        run = any(f"/bin/{command}" in script for command in _commands(name))
        if not (imported or run or plugins.get(name)):
            unused.append(name)
    assert unused == []


def test_the_documented_run_outcomes_are_the_enum() -> None:
    """The outcomes the README and metrics.py list for syncd_runs_total are RunOutcome's values."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `syncd_runs_total` |"))
    listed = row.rsplit("|", 2)[1].split("finished runs:", 1)[1]
    assert re.findall(r"`(\w+)`", listed) == [o.value for o in RunOutcome]
    doc = " ".join((metrics.__doc__ or "").split())
    found = re.search(r"syncd_runs_total dealer_code, outcome finished sync runs \(([^)]*)\)", doc)
    assert found is not None
    assert found[1].split(", ") == [o.value for o in RunOutcome]
