"""A mapped JSON or JSON Lines source_id written as a number: a whole number of any size
is its digits exactly (orjson holds one past 64 bits only as a float), one with a
fraction or an exponent makes its item invalid, never an ad's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.core.map import parse_mapping
from syncd.core.models import ValidatedFeed
from syncd.core.validate.feed import validate_feed
from syncd.feeds.json import JsonFormat, JsonLinesFormat
from syncd.feeds.mapped import MappedFeedReader
from tests.integration.feeds.test_mapped_json_unreadable import MAPPING
from tests.settle import AT_ONCE, read

BIG = [b"18446744073709551616", b"18446744073709551617", b"-9223372036854775809"]
"""Integers orjson reads as floats: the first two one float, 1.8446744073709552e+19."""


def record(source_id: bytes, price: bytes = b"100") -> bytes:
    """One record of the dealer's own shape, its id and price written as given."""
    return b'{"id": ' + source_id + b', "name": "Stol", "text": "Bra", "price": ' + price + b"}"


def run(tmp_path: Path, records: list[bytes], *, lines: bool) -> ValidatedFeed:
    """The validated feed of ``records`` as a mapped JSON Lines file or JSON document."""
    if lines:
        path, reader_format = tmp_path / "lager.jsonl", JsonLinesFormat()
        path.write_bytes(b"\n".join(records) + b"\n")
    else:
        path, reader_format = tmp_path / "lager.json", JsonFormat("stock")
        path.write_bytes(b'{"stock": [' + b",\n".join(records) + b"]}")
    reader = MappedFeedReader(
        reader_format, parse_mapping(MAPPING), max_bytes=1 << 20, stillness=AT_ONCE
    )
    return validate_feed(read(reader, path), dealer_code="D1", api_version=4)


@pytest.mark.parametrize("lines", [True, False], ids=["jsonl", "json"])
def test_integers_past_64_bits_are_their_digits_and_never_collide(
    tmp_path: Path, lines: bool
) -> None:
    """Each id is the integer written, digit for digit, as is one just above 2^53 (which
    orjson reads as an int); the record's other numbers still map (price 12.5)."""
    ids = [*BIG, b"9007199254740993"]
    feed = run(tmp_path, [record(i, b"12.5") for i in ids] + [record(b'"a"')], lines=lines)
    assert feed.invalid == ()
    assert [i.source_id for i in feed.items] == [*(i.decode() for i in ids), "a"]
    assert all(i.payload["price"][0]["amount"] == 13 for i in feed.items[:-1])


@pytest.mark.parametrize("lines", [True, False], ids=["jsonl", "json"])
@pytest.mark.parametrize(
    ("written", "shown"),
    [(b"12.5", "12.5"), (b"1e3", "1000.0"), (b"1000.0", "1000.0"), (b"1.8e19", "1.8e19")],
    ids=["fraction", "exponent", "point-zero", "big-exponent"],
)
def test_an_id_with_a_fraction_or_exponent_makes_the_item_invalid(
    tmp_path: Path, lines: bool, written: bytes, shown: str
) -> None:
    """The item is invalid, naming source_id and the number (its text, or the shortest
    one of the same number), with no source_id of its own; the other items go on."""
    feed = run(tmp_path, [record(b'"a"'), record(written)], lines=lines)
    assert [i.source_id for i in feed.items] == ["a"]
    (bad,) = feed.invalid
    assert bad.source_id is None
    issue = next(i for i in bad.issues if i.field == "source_id")
    assert f"is the number {shown} (a fraction or exponent)" in issue.reason
    assert issue.value == shown


def test_an_id_as_text_stays_text(tmp_path: Path) -> None:
    """A source_id the file writes as a string is its text, digits and points alike."""
    feed = run(tmp_path, [record(b'"12.5"'), record(b'"18446744073709551617"')], lines=True)
    assert [i.source_id for i in feed.items] == ["12.5", "18446744073709551617"]
