"""A mapped JSON Lines or JSON record orjson refuses for a value (1e400, a 5000-digit
integer, nesting past 1024 levels) is an error of that record, its id still mapped; a
broken line or document still stops the feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.core.map import parse_mapping
from syncd.core.validate.feed import validate_feed
from syncd.errors import FeedError
from syncd.feeds.json import JsonFormat, JsonLinesFormat
from syncd.feeds.mapped import MappedFeedReader
from tests.settle import AT_ONCE, read

MAPPING = {
    "fields": {
        "source_id": "id",
        "category_id": {"const": 2048},
        "title": "name",
        "body": "text",
        "price[type=list]": {"source": "price", "transforms": ["amount"]},
        "contact.name": {"const": "Anna"},
        "contact.phone": {"const": "0701234567"},
        "contact.email": {"const": "anna@example.com"},
    }
}


def line(source_id: str, price: bytes = b"100") -> bytes:
    """One record of the dealer's own shape, its price written as given."""
    return (
        b'{"id": "'
        + source_id.encode()
        + b'", "name": "Stol", "text": "Bra", "price": '
        + price
        + b"}"
    )


def run(tmp_path: Path, data: bytes):  # type: ignore[no-untyped-def]
    """The validated feed of a mapped JSON Lines file of ``data``."""
    path = tmp_path / "lager.jsonl"
    path.write_bytes(data)
    reader = MappedFeedReader(
        JsonLinesFormat(), parse_mapping(MAPPING), max_bytes=1 << 20, stillness=AT_ONCE
    )
    return validate_feed(read(reader, path), dealer_code="D1", api_version=4)


@pytest.mark.parametrize(
    ("price", "source_id"),
    [(b"1e400", "b"), (b"9" * 5000, "b"), (b"[" * 1100 + b"]" * 1100, None)],
    ids=["1e400", "digits", "deep"],
)
def test_the_record_is_invalid_with_its_id_and_the_others_go_on(
    tmp_path: Path, price: bytes, source_id: str | None
) -> None:
    """Named by its line and its mapped source_id; the other lines are valid items. A
    record nested too deeply for any parser has no fields: no id (the guard for items
    without one then holds every delete back)."""
    feed = run(tmp_path, b"\n".join([line("a"), line("b", price), line("c")]) + b"\n")
    assert [i.source_id for i in feed.items] == ["a", "c"]
    (bad,) = feed.invalid
    assert str(bad.origin).endswith("lager.jsonl:2")
    assert bad.source_id == source_id
    assert bad.issues[0].field == "record"
    assert "column" in bad.issues[0].reason


def test_a_broken_line_is_still_a_feed_error(tmp_path: Path) -> None:
    """A line cut short after an unreadable one: the feed stops, nothing is sent."""
    data = line("a", b"1e400") + b"\n" + line("b")[:-2] + b"\n"
    with pytest.raises(FeedError, match=r"lager.jsonl:2: not valid JSON"):
        run(tmp_path, data)


def test_a_line_with_a_lone_surrogate_after_a_number_is_a_feed_error(tmp_path: Path) -> None:
    """orjson stops at the number first; the surrogate still makes the line broken, not a
    record whose id is half a character."""
    data = line("a") + b"\n" + b'{"price": 1e400, "id": "\\ud800"}\n'
    with pytest.raises(FeedError, match=r"lager.jsonl:2: not valid JSON"):
        run(tmp_path, data)


def run_json(tmp_path: Path, data: bytes, records: str = ""):  # type: ignore[no-untyped-def]
    """The validated feed of a mapped JSON document of ``data``, records at ``records``."""
    path = tmp_path / "lager.json"
    path.write_bytes(data)
    reader = MappedFeedReader(
        JsonFormat(records), parse_mapping(MAPPING), max_bytes=1 << 20, stillness=AT_ONCE
    )
    return validate_feed(read(reader, path), dealer_code="D1", api_version=4)


@pytest.mark.parametrize("records", ["", "stock.cars"])
@pytest.mark.parametrize("price", [b"1e400", b"9" * 5000], ids=["1e400", "digits"])
def test_a_json_document_record_is_invalid_alone(
    tmp_path: Path, records: str, price: bytes
) -> None:
    """At the top level or at a records path: the record is named by its index and id."""
    items = b"[" + b",\n".join([line("a"), line("b", price), line("c")]) + b"]"
    doc = items if not records else b'{"stock": {"n": 3, "cars": ' + items + b"}}"
    feed = run_json(tmp_path, doc, records)
    assert [i.source_id for i in feed.items] == ["a", "c"]
    (bad,) = feed.invalid
    assert str(bad.origin).endswith("lager.json[1]")
    assert bad.source_id == "b"
    assert bad.issues[0].field == "record"
    assert "line 2, column" in bad.issues[0].reason


@pytest.mark.parametrize(
    "doc",
    [
        b"[" + line("a", b"1e400") + b",]",
        b'{"n": 1e400, "stock": {"cars": [' + line("a") + b"]}}",
        b'{"stock": {"cars": [' + line("a", b"1e400") + b'], "cars": []}}',
        b'[{"price": 1e400, "id": "\\ud800"}, ' + line("b") + b"]",
    ],
    ids=["trailing-comma", "outside-records", "records-twice", "surrogate-after-number"],
)
def test_a_broken_json_document_is_still_a_feed_error(tmp_path: Path, doc: bytes) -> None:
    """Not well-formed, a bad value outside the records, or their key twice: nothing read."""
    with pytest.raises(FeedError, match=r"lager\.json"):
        run_json(tmp_path, doc, "stock.cars" if doc.startswith(b"{") else "")


@pytest.mark.parametrize("reader", ["jsonl", "json"])
def test_a_record_nested_past_orjsons_encoder_is_read_not_a_crash(
    tmp_path: Path, reader: str
) -> None:
    """A record nesting 300 levels deep in a field the mapping does not use (orjson reads
    1024 levels, writes 255): its duplicate-key check counts the slow way, not a
    TypeError that ended the command with a traceback; a key given twice down there is
    still found."""
    deep = b'{"x": ' * 300 + b"1" + b"}" * 300
    twice = b'{"x": ' * 300 + b'{"k": 1, "k": 2}' + b"}" * 300
    records = [
        line("a")[:-1] + b', "extra": ' + deep + b"}",
        line("b")[:-1] + b', "extra": ' + twice + b"}",
        line("c"),
    ]
    path = tmp_path / ("lager.jsonl" if reader == "jsonl" else "lager.json")
    path.write_bytes(b"\n".join(records) if reader == "jsonl" else b"[" + b",".join(records) + b"]")
    fmt = JsonLinesFormat() if reader == "jsonl" else JsonFormat()
    mapped = MappedFeedReader(fmt, parse_mapping(MAPPING), max_bytes=1 << 20, stillness=AT_ONCE)
    feed = validate_feed(read(mapped, path), dealer_code="D1", api_version=4)
    assert sorted(i.source_id for i in feed.items) == ["a", "c"]
    assert [i.source_id for i in feed.invalid] == ["b"]
