"""An id given on the command line that no ad can have (the feed validator's rules,
``core/source_ids.py``) is a usage error naming the reason; nothing is pinned or sent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from syncd import bootstrap, config
from tests.integration.cli_sandbox import embedded_folder, invoke, kept_logging

BAD = ("a/b", "a,b", "..", "a\x00b", " a", "x" * 101, "a\u3164")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a config and the sample feed, synced once (the mirror exists)."""
    folder = embedded_folder(tmp_path_factory.mktemp("ids"))
    with pytest.MonkeyPatch.context() as patch, kept_logging():
        patch.chdir(folder)
        patch.delenv("SYNCD_CONFIG", raising=False)
        patch.delenv("SYNCD_API_TOKEN", raising=False)
        assert syncd("run-once").exit_code == 0
        yield folder
    logging.getLogger().handlers.clear()


def syncd(*args: str) -> Result:
    """``syncd --config syncd.toml ARGS`` in-process."""
    return invoke(["--config", "syncd.toml", *args])


def pins(folder: Path) -> list[str]:
    """The source_ids pinned in the mirror."""
    with bootstrap.open_mirror(config.load(folder / "syncd.toml")) as mirror:
        return [p.source_id for p in mirror.pins(None)]


@pytest.mark.parametrize("command", ["pin", "unpin", "bump", "pole-position", "show"])
@pytest.mark.parametrize(
    "source_id", BAD, ids=("slash", "comma", "dots", "nul", "space", "long", "filler")
)
def test_an_id_the_validator_refuses_is_a_usage_error(
    folder: Path, command: str, source_id: str
) -> None:
    """Exit 2 with the validator's reason, before anything is pinned or sent."""
    result = syncd(command, source_id)
    assert result.exit_code == 2, result.output
    assert "no ad can have it" in result.stderr
    assert "source_id" in result.stderr
    assert pins(folder) == []


def test_the_reason_is_the_validators(folder: Path) -> None:
    """The message says what is wrong with the id, as a feed item's issue would."""
    result = syncd("pin", "a/b")
    assert "source_id 'a/b': must not contain '/' or ','" in result.stderr
    result = syncd("bump", "x" * 101)
    assert "must be at most 100 characters, got 101" in result.stderr


def test_a_pin_of_an_id_refused_since_can_still_be_removed(folder: Path) -> None:
    """Assumption: a pin a former syncd stored for a bad id can be kept and removed
    (nothing is sent), while a charged call for it stays refused."""
    with bootstrap.open_mirror(config.load(folder / "syncd.toml")) as mirror:
        mirror.pin("", "a/b", datetime.now(UTC))
    assert syncd("bump", "a/b").exit_code == 2
    assert syncd("pin", "a/b").exit_code == 0
    result = syncd("unpin", "a/b")
    assert result.exit_code == 0, result.output
    assert "unpinned" in result.stdout
    assert pins(folder) == []


def test_a_decomposed_id_is_refused_unless_the_mirror_has_it(folder: Path) -> None:
    """A non-NFC id is a usage error naming the composed form; a pin the mirror holds
    for one is taken (nothing is sent), so it can be kept or removed."""
    decomposed = "A\u030a1"
    result = syncd("pin", decomposed)
    assert result.exit_code == 2
    assert "NFC" in result.stderr
    with bootstrap.open_mirror(config.load(folder / "syncd.toml")) as mirror:
        mirror.pin("", decomposed, datetime.now(UTC))
    assert syncd("pin", decomposed).exit_code == 0
    assert syncd("unpin", decomposed).exit_code == 0
    assert pins(folder) == []


def test_a_blank_looking_id_is_refused_unless_the_mirror_has_it(folder: Path) -> None:
    """An id with a Hangul filler is a usage error naming the character; a pin the
    mirror holds for one is taken, so it can be kept or removed."""
    filler = "car\u31641"
    result = syncd("pin", filler)
    assert result.exit_code == 2
    assert "U+3164 (HANGUL FILLER) at character 4" in result.stderr
    with bootstrap.open_mirror(config.load(folder / "syncd.toml")) as mirror:
        mirror.pin("", filler, datetime.now(UTC))
    assert syncd("pin", filler).exit_code == 0
    assert syncd("unpin", filler).exit_code == 0
    assert pins(folder) == []
