"""One item's unreadable value (a number past a float's range, nesting past orjson's
1024 levels) makes that item invalid, named by index or line and source_id; the rest of
the feed is read. A truly broken document still stops the feed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from syncd.core.models import InvalidItem, MirrorAd, Op, RawFeed, RemoteState, Stage
from syncd.core.validate.feed import validate_feed
from syncd.errors import FeedError
from syncd.feeds import chunks
from syncd.feeds.files import Stillness
from syncd.feeds.native import NativeFeedReader
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

GOOD = {
    "category_id": 2048,
    "title": "Stol",
    "body": "Bra.",
    "price": [{"type": "list", "amount": 5}],
    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
}
HUGE = {
    "1e400": b"1e400",
    "-1e400": b"-1e400",
    "5000 digits": b"9" * 5000,
    "deep": b"[" * 2000 + b"]" * 2000,
}


def ad(source_id: str, amount: bytes = b"5") -> bytes:
    """One ad's JSON, its price amount written as given."""
    text = orjson.dumps({**GOOD, "source_id": source_id})
    return text.replace(b'"amount":5', b'"amount":' + amount)


def read(tmp_path: Path, data: bytes, fmt: str) -> RawFeed:
    """The feed read from a file of ``data``."""
    path = tmp_path / f"feed.{fmt}"
    path.write_bytes(data)
    reader = NativeFeedReader(fmt, max_bytes=1 << 24, stillness=Stillness(settle_seconds=0))
    return asyncio.run(reader.read(str(path)))


def invalid(feed: RawFeed) -> list[tuple[str, str | None, list[tuple[str, str]]]]:
    """The feed's invalid items: where, source_id, (field, reason)."""
    validated = validate_feed(feed, dealer_code="D1", api_version=4)
    return [
        (str(i.origin), i.source_id, [(x.field, x.reason) for x in i.issues])
        for i in validated.invalid
    ]


def valid_ids(feed: RawFeed) -> list[str]:
    """The source_ids of the feed's valid items."""
    return [i.source_id for i in validate_feed(feed, dealer_code="D1", api_version=4).items]


@pytest.mark.parametrize("value", HUGE.values(), ids=HUGE.keys())
@pytest.mark.parametrize("shape", ["array", "ads"])
def test_a_json_item_with_an_unreadable_value_is_invalid_alone(
    tmp_path: Path, value: bytes, shape: str
) -> None:
    """The item is named by its index and source_id, the others are read and valid."""
    items = b"[" + b",\n".join([ad("a"), ad("b", value), ad("c")]) + b"]"
    doc = items if shape == "array" else b'{"ads": ' + items + b"}"
    feed = read(tmp_path, doc, "json")
    assert valid_ids(feed) == ["a", "c"]
    ((where, source_id, issues),) = invalid(feed)
    assert where.endswith("feed.json[1]")
    assert source_id == "b"
    ((field, reason),) = issues
    assert field == "item"
    assert "line 2, column" in reason


def test_the_reason_says_what_is_wrong_and_where(tmp_path: Path) -> None:
    """A number: 'too large', at its line and column; nesting: 'levels deep'."""
    doc = b"[" + ad("a", b"1e400") + b",\n" + ad("b", HUGE["deep"]) + b"]"
    found = invalid(read(tmp_path, doc, "json"))
    column = ad("a").index(b'"amount":') + len(b'"amount":') + 2
    assert found[0][2] == [
        ("item", f"holds a number too large to be read (past 1.8e308) at line 1, column {column}")
    ]
    assert "is nested more than 1024 levels deep" in found[1][2][0][1]


def test_a_big_feed_read_in_slices_salvages_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sliced reader (chunks.py) gives way to the whole-document one, which salvages."""
    monkeypatch.setattr(chunks, "SLICE", 64)
    items = [ad(f"s{i}") for i in range(50)]
    items[30] = ad("s30", b"1e999")
    feed = read(tmp_path, b"[" + b",".join(items) + b"]", "json")
    assert len(feed.records) == 50
    assert [(w.rsplit("[", 1)[1], s) for w, s, _ in invalid(feed)] == [("30]", "s30")]


def test_an_item_without_a_readable_source_id_is_still_reported(tmp_path: Path) -> None:
    """No string source_id at its top level: reported with none, the rest read."""
    bad = b'{"source_id": 1e400, "category_id": 2048}'
    feed = read(tmp_path, b"[" + ad("a") + b"," + bad + b"]", "json")
    assert valid_ids(feed) == ["a"]
    assert [(s, i[0][0]) for _, s, i in invalid(feed)] == [(None, "item")]


@pytest.mark.parametrize("value", HUGE.values(), ids=HUGE.keys())
def test_a_jsonl_line_with_an_unreadable_value_is_invalid_alone(
    tmp_path: Path, value: bytes
) -> None:
    """The line is named with its source_id; the lines around it are read."""
    data = b"\n".join([ad("a"), ad("b", value), b"", ad("c")]) + b"\n"
    feed = read(tmp_path, data, "jsonl")
    assert valid_ids(feed) == ["a", "c"]
    ((where, source_id, issues),) = invalid(feed)
    assert where.endswith("feed.jsonl:2")
    assert source_id == "b"
    assert issues[0][0] == "item"
    assert "column" in issues[0][1]


@pytest.mark.parametrize(
    "doc",
    [
        b"[" + ad("a", b"1e400") + b",]",  # a trailing comma
        b"[" + ad("a", b"1e400") + b"," + ad("b")[:-1] + b"]",  # an object cut short
        b"[" + ad("a", b"1e400") + b"] x",  # garbage after the document
        b'{"meta": 1e400, "ads": [' + ad("a") + b"]}",  # outside every item
        b"[" + ad("a", b"1e400") + b', "\\ud800"]',  # a lone surrogate in another item
        b'[{"n": 1e400, "source_id": "\\ud800"}]',  # in the same item, after the number
        b'[{"n": 1e400, "source_id": "a", "t": "\\udc00"}, ' + ad("b") + b"]",
    ],
    ids=[
        "trailing-comma",
        "cut",
        "garbage",
        "outside-items",
        "surrogate",
        "surrogate-id-after-number",
        "surrogate-after-number",
    ],
)
def test_a_broken_document_is_still_a_feed_error(tmp_path: Path, doc: bytes) -> None:
    """Not well-formed apart from the number: nothing is read, exit 4 as before."""
    with pytest.raises(FeedError, match="not valid JSON"):
        read(tmp_path, doc, "json")


def test_a_jsonl_line_with_a_lone_surrogate_after_a_number_is_a_feed_error(
    tmp_path: Path,
) -> None:
    """orjson stops at the number first, but the line is broken for its surrogate too."""
    data = ad("a") + b"\n" + b'{"n": 1e400, "source_id": "\\ud800"}\n'
    with pytest.raises(FeedError, match=r"feed.jsonl:2:.*not valid JSON"):
        read(tmp_path, data, "jsonl")


def test_a_broken_jsonl_line_after_an_unreadable_one_is_still_a_feed_error(tmp_path: Path) -> None:
    """One unreadable line does not excuse a truncated one."""
    data = ad("a", b"1e400") + b"\n" + ad("b")[:-3] + b"\n"
    with pytest.raises(FeedError, match=r"feed.jsonl:2:.*not valid JSON"):
        read(tmp_path, data, "jsonl")


def test_an_unreadable_item_keeps_its_live_ad(tmp_path: Path) -> None:
    """Its source_id is the invalid item's key: the planner leaves that ad alone."""
    feed = read(tmp_path, b"[" + ad("b", b"1e400") + b"]", "json")
    result: Any = validate_feed(feed, dealer_code="D1", api_version=4).invalid[0]
    assert isinstance(result, InvalidItem)
    assert result.source_id == "b"


async def _sync(tmp_path: Path, data: bytes, *live: str) -> tuple[Any, FakeMarketplace]:
    """One run of a JSON feed of ``data`` against a mirror of these live ads."""
    path = tmp_path / "feed.json"
    path.write_bytes(data)
    mirror, api = FakeMirror(), FakeMarketplace()
    for sid in live:
        mirror.ads[("", sid)] = MirrorAd(
            "",
            sid,
            category_id=2048,
            payload={"category_id": 2048},
            payload_hash="old",
            remote_state=RemoteState.CREATED,
            last_op=Op.CREATE,
            stage=Stage.DONE,
        )

    async def no_sleep(seconds: float) -> None:
        return None

    reader = NativeFeedReader("json", max_bytes=1 << 20, stillness=Stillness(settle_seconds=0))
    deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)
    report = await sync(deps, FeedJob(str(path), "", reader), RunOptions(reconcile_wait=0))
    return report, api


@pytest.mark.anyio
async def test_a_run_leaves_the_live_ad_of_an_unreadable_item_alone(tmp_path: Path) -> None:
    """Its ad is neither updated nor deleted; the rest of the feed is sent, the run partial."""
    others = [ad(f"x{i}") for i in range(10)]
    data = b"[" + b",".join([*others, ad("b", b"1e400")]) + b"]"
    report, api = await _sync(tmp_path, data, "b", *(f"x{i}" for i in range(10)))
    touched = {s for m, s, _ in api.calls if m in ("POST", "PATCH", "DELETE")}
    assert "b" not in touched
    assert {f"x{i}" for i in range(10)} <= touched  # their payload changed ("old")
    assert report.outcome == "partial"


@pytest.mark.anyio
async def test_an_unreadable_item_without_a_source_id_holds_every_delete_back(
    tmp_path: Path,
) -> None:
    """It may be any of the ads the run would delete: the guard keeps them all."""
    others = [ad(f"x{i}") for i in range(10)]
    keyless = b'{"source_id": 1e400, "category_id": 2048}'
    data = b"[" + b",".join([*others, keyless]) + b"]"
    report, api = await _sync(tmp_path, data, "gone", *(f"x{i}" for i in range(10)))
    assert "DELETE" not in {m for m, _, _ in api.calls}
    assert report.guard is not None
    assert "have no source_id" in report.guard
