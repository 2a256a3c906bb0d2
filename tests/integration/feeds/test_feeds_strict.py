"""Strict JSON: a key given twice in one object of a feed file is seen, at any depth."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from syncd.core.models import DuplicateKey, RawFeed
from syncd.errors import FeedError
from syncd.feeds.files import Stillness
from syncd.feeds.native import NativeFeedReader

A = '{"source_id": "a", "category_id": 2048, "price": [{"type": "list", "amount": 5}]}'


def _read(tmp_path: Path, text: str, fmt: str) -> RawFeed:
    path = tmp_path / f"feed.{fmt}"
    path.write_text(text, encoding="utf-8")
    reader = NativeFeedReader(fmt, max_bytes=1 << 20, stillness=Stillness(settle_seconds=0))
    return asyncio.run(reader.read(str(path)))


def _doc(items: list[str], fmt: str) -> str:
    return "\n".join(items) + "\n" if fmt == "jsonl" else "[" + ",\n".join(items) + "]"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            '{"source_id": "a", "category_id": 2048, "source_id": "b"}',
            DuplicateKey("source_id", 2, ("a", "b")),
        ),
        (
            '{"source_id": "a", "price": [{"type": "list", "amount": 5, "amount": 6}]}',
            DuplicateKey("price[0].amount", 2),
        ),
        (
            '{"source_id": "a", "category_fields": {"brand": "volvo", "brand" : "saab"}}',
            DuplicateKey("category_fields.brand", 2),
        ),
        ('{"source_id": "a", "body" : "x",\n "body"\t: "y"}', DuplicateKey("body", 2)),
        (r'{"source_id": "a", "title": "S\u00e5ng", "title": "Bord"}', DuplicateKey("title", 2)),
        (r'{"source_id": "a", "title": "\u003a\" :", "title": "x"}', DuplicateKey("title", 2)),
    ],
    ids=["source_id", "in price", "in category_fields", "spaced colons", "escapes", "keylike"],
)
def test_a_duplicated_key_is_recorded_on_its_item(
    tmp_path: Path, fmt: str, item: str, expected: DuplicateKey
) -> None:
    """The item with the duplicate carries its dotted path; the items around it carry none."""
    if fmt == "jsonl":
        item = item.replace("\n", "")
    feed = _read(tmp_path, _doc([A, item, A], fmt), fmt)
    assert [r.duplicate_keys for r in feed.records] == [(), (expected,), ()]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_colons_inside_strings_are_not_duplicates(tmp_path: Path, fmt: str) -> None:
    """Values holding '":' or ' :' (escaped quotes, French colons) take the slow path and pass."""
    tricky = r'{"source_id": "a", "body": "He said \": hi\" : ok \u0022: x", "title": ":"}'
    escaped = r'{"source_id": "b", "body": "kl\u003a 10 \" : x", "title": "Bord"}'
    feed = _read(tmp_path, _doc([tricky, escaped, A], fmt), fmt)
    assert all(r.duplicate_keys == () for r in feed.records)
    assert feed.records[0].value()["body"] == 'He said ": hi" : ok ": x'


def test_a_duplicated_ads_list_stops_the_run(tmp_path: Path) -> None:
    """Two "ads" lists in the top-level object: which one is the feed cannot be known."""
    with pytest.raises(FeedError, match="'ads' more than once"):
        _read(tmp_path, f'{{"ads": [{A}], "ads": []}}', "json")
