"""Every feed format is read only when whole: ready marker, settle window, change after reading."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from syncd import bootstrap, config
from syncd.errors import FeedError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
# One example of each format the readers know (dealer's own shapes, mapped).
FORMATS = ["bilhandlare-csv", "bilhandlare-xml", "batar-xlsx", "bilgrupp-json"]


def _feed(
    tmp_path: Path, example: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[config.FeedSettings, Path]:
    """The example copied, its config given ``extra`` keys on its feed."""
    target = tmp_path / example
    shutil.copytree(EXAMPLES / example, target)
    toml = target / "syncd.toml"
    text = toml.read_text(encoding="utf-8").replace("[[feeds]]\n", f"[[feeds]]\n{extra}", 1)
    toml.write_text(text, encoding="utf-8")
    monkeypatch.chdir(target)  # the example's paths are relative to its folder
    settings = config.load(toml)
    feed = settings.feeds[0]
    return feed, Path(feed.path)


@pytest.mark.parametrize("example", FORMATS)
def test_a_missing_ready_marker_stops_every_format(
    tmp_path: Path, example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``ready_file`` set and no marker, reading is refused (nothing can be sent)."""
    feed, _ = _feed(
        tmp_path, example, 'settle_seconds = 0\nready_file = "done.flag"\n', monkeypatch
    )
    reader = bootstrap.feed_reader(feed, feed.dealers[0])
    with pytest.raises(FeedError, match=r"done\.flag"):
        asyncio.run(reader.read(str(feed.path)))


@pytest.mark.parametrize("example", FORMATS)
def test_every_format_notices_a_feed_changed_after_it_was_read(
    tmp_path: Path, example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp a run read is compared before deletes: a rewritten file says it changed."""
    feed, path = _feed(tmp_path, example, "settle_seconds = 0\n", monkeypatch)
    reader = bootstrap.feed_reader(feed, feed.dealers[0])
    raw = asyncio.run(reader.read(str(path)))
    assert reader.changed(raw.meta) is None
    path.write_bytes(path.read_bytes() + b"\n")
    assert reader.changed(raw.meta)
