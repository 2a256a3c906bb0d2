"""Reading native JSON and JSON Lines feed files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from syncd.errors import FeedError
from syncd.feeds.files import Stillness, read_unchanged, stamp_of
from syncd.feeds.native import NativeFeedReader
from tests.settle import read

AD = '{"source_id": "a", "category_id": 2048}'


def _read(tmp_path: Path, data: bytes, fmt: str = "json", max_bytes: int = 1 << 20):  # type: ignore[no-untyped-def]
    path = tmp_path / f"feed.{fmt}"
    path.write_bytes(data)
    reader = NativeFeedReader(fmt, max_bytes=max_bytes, stillness=Stillness(settle_seconds=0))
    return asyncio.run(reader.read(str(path)))


def test_array_and_ads_object(tmp_path: Path) -> None:
    """A JSON array and an {"ads": [...]} object both give records with their index."""
    for doc in (f"[{AD}, {AD}]", f'{{"ads": [{AD}]}}'):
        feed = _read(tmp_path, doc.encode())
        assert feed.records[0].value()["source_id"] == "a"
        assert str(feed.records[0].origin).endswith("feed.json[0]")
    assert len(feed.meta.checksum) == 64


def test_jsonl_records_carry_their_line(tmp_path: Path) -> None:
    """JSON Lines records are numbered by line; blank lines are skipped."""
    feed = _read(tmp_path, f"{AD}\n\n{AD}\n".encode(), "jsonl")
    assert [r.origin.line for r in feed.records] == [1, 3]


def test_bom_is_tolerated(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark in front of the JSON is accepted."""
    assert len(_read(tmp_path, b"\xef\xbb\xbf[" + AD.encode() + b"]").records) == 1


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b'[{"source_id": "a"', "json", r"feed.json:1:\d+: not valid JSON"),
        (b'[{"source_id": "\xff"}]', "json", r"feed.json:1: not valid UTF-8"),
        (b'{"x": 1}', "json", r"expected a JSON array"),
        (f'{AD}\n{{"source_id": '.encode(), "jsonl", r"feed.jsonl:2:\d+: not valid JSON"),
    ],
)
def test_broken_files_stop_with_file_and_line(
    tmp_path: Path, data: bytes, fmt: str, message: str
) -> None:
    """Truncated JSON, bad UTF-8 and the wrong shape raise FeedError naming file and line."""
    with pytest.raises(FeedError, match=message):
        _read(tmp_path, data, fmt)


@pytest.mark.parametrize(
    ("data", "fmt", "cause"),
    [
        (b'[{"source_id": "a"', "json", orjson.JSONDecodeError),
        (b'[{"source_id": "\xff"}]', "json", UnicodeDecodeError),
        (f'{AD}\n{{"source_id": '.encode(), "jsonl", orjson.JSONDecodeError),
    ],
    ids=["json", "utf-8", "jsonl"],
)
def test_a_parse_error_keeps_its_cause(
    tmp_path: Path, data: bytes, fmt: str, cause: type[Exception]
) -> None:
    """The FeedError of an unparsable file is chained from the parser's own error."""
    with pytest.raises(FeedError) as info:
        _read(tmp_path, data, fmt)
    assert isinstance(info.value.__cause__, cause)


@pytest.mark.parametrize(
    ("name", "cause"), [("none.json", FileNotFoundError), (".", IsADirectoryError)]
)
def test_a_read_error_keeps_its_cause(tmp_path: Path, name: str, cause: type[Exception]) -> None:
    """The FeedError of an unreadable path is chained from the OSError behind it."""
    with pytest.raises(FeedError) as info:
        read(NativeFeedReader("json", max_bytes=1 << 20), tmp_path / name)
    assert isinstance(info.value.__cause__, cause)


def test_size_limit(tmp_path: Path) -> None:
    """A feed over the byte limit is refused before it is parsed."""
    with pytest.raises(FeedError, match="over the limit of 10"):
        _read(tmp_path, f"[{AD}]".encode(), max_bytes=10)


def test_missing_file(tmp_path: Path) -> None:
    """A missing feed file is a FeedError, not a crash."""
    with pytest.raises(FeedError, match="not found"):
        asyncio.run(NativeFeedReader("json", max_bytes=10).read(str(tmp_path / "none.json")))


def test_a_feed_that_changes_while_read_is_refused(tmp_path: Path) -> None:
    """If the file's size or time differ after reading, the run stops: it may be half written."""
    path = tmp_path / "feed.json"
    path.write_text(f"[{AD}]", encoding="utf-8")

    class Growing(type(path)):  # type: ignore[misc]
        """A path whose file the exporter appends to between syncd's two looks at it."""

        calls = 0

        def stat(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            Growing.calls += 1
            if Growing.calls == 1:
                with open(self, "a", encoding="utf-8") as fh:
                    fh.write(" ")
            return super().stat(*args, **kwargs)

    with pytest.raises(FeedError, match="changed while it was read"):
        read_unchanged(Growing(path), stamp_of(path), max_bytes=1 << 20)
