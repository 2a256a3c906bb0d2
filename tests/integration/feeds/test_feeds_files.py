"""When a feed file may be used: still, marked ready, unchanged after reading (any format)."""

from __future__ import annotations

import asyncio
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from syncd.errors import FeedError
from syncd.feeds.files import Stillness, changed, read_unchanged, settled, stamp_of
from syncd.feeds.native import NativeFeedReader

AD = '{"source_id": "a", "category_id": 2048}'


class Exporter:
    """A fake clock whose sleeps let an exporter append to the feed, ``writes`` times."""

    def __init__(self, path: Path, writes: int) -> None:
        self.path, self.writes, self.now, self.sleeps = path, writes, 1000.0, 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        if self.writes:
            self.writes -= 1
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(AD + "\n")

    def monotonic(self) -> float:
        return self.now


def _feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_text(AD + "\n", encoding="utf-8")
    return path


def test_a_file_being_written_is_used_only_once_it_holds_still(tmp_path: Path) -> None:
    """Each write restarts the settle window; the stamp returned is that of the last write."""
    path = _feed(tmp_path)
    exporter = Exporter(path, writes=3)
    rules = Stillness(settle_seconds=1.0, settle_timeout=30.0)
    stamp = asyncio.run(settled(path, rules, sleep=exporter.sleep, monotonic=exporter.monotonic))
    assert exporter.writes == 0
    assert stamp == stamp_of(path)
    assert stamp.size == 4 * (len(AD) + 1)
    assert exporter.now - 1000.0 >= 3 * 0.2 + 1.0  # three polls saw a change, then 1 s still


def test_a_file_that_keeps_changing_is_refused_after_the_timeout(tmp_path: Path) -> None:
    """An exporter that never stops: FeedError once settle_timeout has passed, naming the key."""
    path = _feed(tmp_path)
    exporter = Exporter(path, writes=10_000)
    rules = Stillness(settle_seconds=1.0, settle_timeout=5.0)
    with pytest.raises(FeedError, match=r"kept changing for 5 s \(feeds.settle_timeout\)"):
        asyncio.run(settled(path, rules, sleep=exporter.sleep, monotonic=exporter.monotonic))
    assert exporter.now - 1000.0 < 6.0


def test_a_file_quiet_for_longer_than_the_window_is_used_at_once(tmp_path: Path) -> None:
    """A file whose ctime is older than settle_seconds needs no wait at all."""
    path = _feed(tmp_path)
    exporter = Exporter(path, writes=1)
    later = time.time() + 10.0
    rules = Stillness(settle_seconds=5.0)
    asyncio.run(settled(path, rules, sleep=exporter.sleep, wall=lambda: later))
    assert exporter.sleeps == 0


@pytest.mark.parametrize(
    ("marker_age", "message"),
    [(None, "ready marker .* is missing"), (-60, "written after its ready marker")],
    ids=["missing", "older than the feed"],
)
def test_the_ready_marker_must_exist_and_be_no_older_than_the_feed(
    tmp_path: Path, marker_age: int | None, message: str
) -> None:
    """Without a fresh marker the reader stops with FeedError: the exporter is not done."""
    path = _feed(tmp_path)
    marker = tmp_path / "feed.jsonl.done"
    if marker_age is not None:
        marker.touch()
        mtime = path.stat().st_mtime + marker_age
        os.utime(marker, (mtime, mtime))
    rules = Stillness(settle_seconds=0, ready_file=marker)
    reader = NativeFeedReader("jsonl", max_bytes=1 << 20, stillness=rules)
    with pytest.raises(FeedError, match=message):
        asyncio.run(reader.read(str(path)))
    marker.touch()
    assert len(asyncio.run(reader.read(str(path))).records) == 1


def test_a_jsonl_file_replaced_between_settling_and_reading_is_refused(tmp_path: Path) -> None:
    """A rename over the feed after it settled is caught: the inode is not the settled one."""
    path = _feed(tmp_path)
    settled_stamp = stamp_of(path)
    other = tmp_path / "new.jsonl"
    other.write_text(AD + "\n", encoding="utf-8")
    other.replace(path)
    with pytest.raises(FeedError, match="changed while it was read"):
        read_unchanged(path, settled_stamp, max_bytes=1 << 20)


def test_changed_says_why_the_file_is_not_the_one_read(tmp_path: Path) -> None:
    """After the read, an append, a replacement or a removal are each named; no change is None."""
    path = _feed(tmp_path)
    _, meta = read_unchanged(path, stamp_of(path), max_bytes=1 << 20)
    assert changed(meta) is None
    with path.open("a", encoding="utf-8") as fh:
        fh.write(AD + "\n")
    assert "changed during the run" in (changed(meta) or "")
    (tmp_path / "x").write_text(AD, encoding="utf-8")
    (tmp_path / "x").replace(path)
    assert "replaced during the run" in (changed(meta) or "")
    path.unlink()
    assert "not found" in (changed(meta) or "")


def test_a_feed_appended_to_after_it_settled_is_refused(tmp_path: Path) -> None:
    """Bytes past the settled size mean the exporter wrote on: the read is refused."""
    path = _feed(tmp_path)
    settled_stamp = stamp_of(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(AD + "\n")
    with pytest.raises(FeedError, match="changed while it was read"):
        read_unchanged(path, settled_stamp, max_bytes=1 << 20)


def test_reading_a_feed_allocates_its_size_not_the_limit(tmp_path: Path) -> None:
    """A small feed under a 1 GiB limit costs kilobytes: the read asks for the settled size
    (``read(max_bytes + 1)`` had allocated the whole limit up front for every feed)."""
    path = _feed(tmp_path)
    tracemalloc.start()
    try:
        read_unchanged(path, stamp_of(path), max_bytes=1 << 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_a_named_pipe_or_a_device_is_named_for_what_it_is(tmp_path: Path) -> None:
    """A FIFO or /dev/zero given as the feed is refused as no regular file (it was
    called a directory); a directory is still called one."""
    fifo = tmp_path / "feed.json"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(FeedError, match="is not a regular file"):
            stamp_of(path)
    with pytest.raises(FeedError, match="is a directory"):
        stamp_of(tmp_path)
