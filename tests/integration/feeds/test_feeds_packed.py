"""Native feeds read a slice at a time into packed records give exactly what the whole
document gives: the same items, origins, duplicate keys and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.core.models import RawRecord
from syncd.core.validate.known import raw_hash
from syncd.errors import FeedError
from syncd.feeds import chunks, native

PATH = Path("feed.json")
FIXTURE = [HealthCheck.function_scoped_fixture]

# Values built to trip a splitter: nested objects starting with the items' own first
# key, and strings holding what a cut looks for.
TRICKY = st.sampled_from(
    ['}, {"source_id": "x"', '"}, {"', "}, {", "\\", '"', ":", "]", "[", "å", "\u2028"]
)
texts = st.one_of(st.text(max_size=12), TRICKY)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["source_id", "a", "b:c", "price"]), inner, max_size=3),
    ),
    max_leaves=8,
)
items = st.builds(
    lambda sid, rest: {"source_id": sid, **rest},
    st.one_of(st.text(max_size=6), st.integers(-(2**53), 2**53)),
    st.dictionaries(st.sampled_from(["title", "price", "nested", "x"]), values, max_size=4),
)


def whole(data: bytes) -> list[Any]:
    """The items as the whole document gives them."""
    doc = orjson.loads(data.removeprefix(native.BOM))
    return doc["ads"] if isinstance(doc, dict) else doc


def written(ads: list[Any], style: int) -> bytes:
    """The array written three ways: compact, spaced, one item per line with CRLF."""
    if style == 0:
        return orjson.dumps(ads)
    if style == 1:
        return json.dumps(ads, ensure_ascii=False).encode()
    return ("[\r\n" + ",\r\n".join(json.dumps(a) for a in ads) + "\r\n]\r\n").encode()


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few dozen bytes, so that a feed of a few items is cut many times."""
    monkeypatch.setattr(chunks, "SLICE", 40)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(items, min_size=1, max_size=12), st.integers(0, 2), st.booleans())
def test_slices_give_the_items_of_the_whole_document(ads: list[Any], style: int, bom: bool) -> None:
    """Every item, in order, with its index, whatever the writing; packed when it can be."""
    data = (native.BOM if bom else b"") + written(ads, style)
    records = native.parse_json(PATH, data)
    assert [r.value() for r in records] == whole(data)
    assert [r.origin.index for r in records] == list(range(len(ads)))
    for record in records:
        assert record.packed is not None
        assert record.packed.digest == raw_hash(record.value())


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(items, min_size=1, max_size=8))
def test_json_lines_are_packed_line_by_line(ads: list[Any]) -> None:
    """Each line's item, with its line number, as the whole-file reading gives it."""
    data = b"\n\n".join(orjson.dumps(a) for a in ads)
    records = native.parse_jsonl(PATH, data)
    assert [r.value() for r in records] == ads
    assert [r.origin.line for r in records] == list(range(1, 2 * len(ads), 2))
    assert all(r.packed is not None for r in records)


def test_a_key_given_twice_is_named_as_before() -> None:
    """Packed reading cannot see a duplicate: the whole document is read, which names it."""
    data = b'[{"source_id": "a", "title": "x"}, {"source_id": "b", "source_id": "c"}]'
    records = native.parse_json(PATH, data)
    assert records[0].duplicate_keys == ()
    [duplicate] = records[1].duplicate_keys
    assert (duplicate.field, duplicate.values) == ("source_id", ("b", "c"))
    lines = b'{"source_id": "a"}\n{"source_id": "b", "source_id": "c"}\n'
    first, second = native.parse_jsonl(PATH, lines)
    assert first.packed is not None
    assert second.packed is None
    assert second.duplicate_keys[0].values == ("b", "c")


@pytest.mark.parametrize(
    "data",
    [
        b'[{"source_id": "a"}, {"source_id": "b"',
        b'[{"source_id": "a"}, {"source_id": "\xff"}]',
        b'[{"source_id": "a"}]]',
        b'[{"source_id": "a"}, ]',
        b'[{"source_id": "a"}, {"source_id": "b"}] [',
    ],
)
def test_a_broken_array_gets_the_whole_documents_error(data: bytes) -> None:
    """No slice decides that a feed is broken: the whole reading's error, with its place."""
    with pytest.raises(FeedError) as whole_error:
        native.whole_json(PATH, data)
    with pytest.raises(FeedError) as error:
        native.parse_json(PATH, data)
    assert str(error.value) == str(whole_error.value)


@pytest.mark.parametrize(
    "data",
    [b'{"source_id": "a"}\n{"source_id": "b"\n', b'{"source_id": "a"}\n{"source_id": "\xff"}'],
)
def test_a_broken_line_gets_the_whole_files_error(data: bytes) -> None:
    """A JSON Lines file with a line cut short or not UTF-8 names that line, as before."""
    with pytest.raises(FeedError) as whole_error:
        native.whole_jsonl(PATH, data)
    with pytest.raises(FeedError, match=r"feed\.json:2") as error:
        native.parse_jsonl(PATH, data)
    assert str(error.value) == str(whole_error.value)


def test_an_object_feed_and_an_escaped_colon_are_read_whole() -> None:
    """Ways the slices do not apply still give every item (kept as parsed)."""
    wrapped = b'{"ads": [{"source_id": "a"}, {"source_id": "b"}]}'
    escaped = b'[{"source_id": "a", "title": "x\\u003ay"}, {"source_id": "b"}]'
    for data in (wrapped, escaped):
        records: tuple[RawRecord, ...] = native.parse_json(PATH, data)
        assert [r.value()["source_id"] for r in records] == ["a", "b"]
        assert all(r.packed is None for r in records)


@pytest.mark.parametrize("space", [b"\x0c", b"\x0b", b"\x0c\x0b", b" \x0c"])
@pytest.mark.parametrize("where", ["before", "after"])
def test_whitespace_json_does_not_know_is_no_place_to_cut(space: bytes, where: str) -> None:
    """A form feed or vertical tab beside the comma between two items is not JSON: the
    whole document refuses it, so the slices must not cut over it (and drop it)."""
    ads = [orjson.dumps({"source_id": f"ad-{i}", "title": "x" * 30}) for i in range(4)]
    comma = b"," + space if where == "after" else space + b","
    data = b"[" + b",".join(ads[:2]) + comma + b",".join(ads[2:]) + b"]"
    with pytest.raises(FeedError) as whole_error:
        native.whole_json(PATH, data)
    with pytest.raises(FeedError) as error:
        native.parse_json(PATH, data)
    assert str(error.value) == str(whole_error.value)
