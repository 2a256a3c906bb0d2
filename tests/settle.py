"""Feeds a test has just written or copied, read at once (no settle wait).

A run waits for a feed file to hold still for ``feeds.settle_seconds`` (5 s by
default), judged by its ctime, which a file written or copied a moment ago
does not pass. Settling is tested on its own (``test_feeds_files.py``,
``test_half_written.py``); elsewhere a test's feed is whole when it is read.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import TypeVar

from syncd.config import Settings
from syncd.core.models import RawFeed
from syncd.feeds.files import Stillness
from syncd.ports import FeedReader

AT_ONCE = Stillness(settle_seconds=0)
T = TypeVar("T")


def at_once(settings: Settings) -> Settings:
    """The settings with every feed read at once."""
    feeds = tuple(f.model_copy(update={"settle_seconds": 0}) for f in settings.feeds)
    return settings.model_copy(update={"feeds": feeds})


def copy_example(source: Path, target: Path) -> Path:
    """Copy an example directory; its config reads the feeds at once. The config's path."""
    shutil.copytree(source, target)
    config = target / "syncd.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        re.sub(r"^\[\[feeds\]\]\n", "[[feeds]]\nsettle_seconds = 0\n", text, flags=re.M),
        encoding="utf-8",
    )
    return config


def read(reader: FeedReader, path: str | Path) -> RawFeed:
    """``reader.read`` run to its end, outside any event loop."""
    return asyncio.run(reader.read(str(path)))
