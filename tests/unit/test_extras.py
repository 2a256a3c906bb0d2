"""Libraries imported without an optional extra: the extra stays importable after."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.extras import import_without

LIBRARY = """
try:
    import syncd_test_extra as extra
except ImportError:
    extra = None
"""


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A library that imports an optional extra if it can, and the extra, on sys.path."""
    (tmp_path / "syncd_test_library.py").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / "syncd_test_extra.py").write_text("NAME = 'extra'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("syncd_test_library", "syncd_test_extra"):
        sys.modules.pop(name, None)


@pytest.mark.usefixtures("packages")
def test_the_library_goes_without_the_extra_which_is_importable_afterwards() -> None:
    import_without("syncd_test_library", ("syncd_test_extra",))
    assert sys.modules["syncd_test_library"].extra is None
    assert "syncd_test_extra" not in sys.modules
    assert importlib.import_module("syncd_test_extra").NAME == "extra"


@pytest.mark.usefixtures("packages")
def test_an_extra_imported_already_is_left_to_the_library() -> None:
    """Nothing is hidden that is there already: the library gets the extra."""
    extra = importlib.import_module("syncd_test_extra")
    import_without("syncd_test_library", ("syncd_test_extra",))
    assert sys.modules["syncd_test_library"].extra is extra


@pytest.mark.usefixtures("packages")
def test_a_library_imported_already_is_left_as_it_is() -> None:
    library = importlib.import_module("syncd_test_library")
    import_without("syncd_test_library", ("syncd_test_extra",))
    assert sys.modules["syncd_test_library"] is library
    assert library.extra is not None


def test_a_library_that_fails_to_import_leaves_the_extra_importable(packages: Path) -> None:
    (packages / "syncd_test_library.py").write_text(LIBRARY + "raise OSError('broken')\n")
    with pytest.raises(OSError, match="broken"):
        import_without("syncd_test_library", ("syncd_test_extra",))
    assert importlib.import_module("syncd_test_extra").NAME == "extra"
