"""The named transforms, one trait of real exports at a time (pure, no fakes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncd.core.map.model import NumberText, TransformError
from syncd.core.map.numbers import amount, integer, number, unit
from syncd.core.map.registry import TRANSFORMS, run


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("264.000", None, 264000),
        ("129 900 kr", None, 129900),
        ("59.600:-", None, 59600),
        ("10,499.00 USD", None, 10499),
        ("1.234.567", None, 1234567),
        ("12,5", None, 12.5),
        ("1 234,50", None, 1234.5),
        ("2,777 miles", None, 2777),
        ("264.000", ",", 264000),
        ("1.5", ".", 1.5),
        ("129\u00a0900", None, 129900),
    ],
)
def test_number_reads_separators_and_suffixes(text: str, decimal: str | None, expected: float):
    """Thousands separators, decimal commas and currency suffixes give the number meant."""
    assert run("number", text, decimal) == expected


@pytest.mark.parametrize("text", ["Ring för pris", "call for price", "12 - 15", ""])
def test_number_refuses_text_without_one_number(text: str):
    """A cell without exactly one number is an error naming the value."""
    with pytest.raises(TransformError, match="is not a number"):
        run("number", text, None)


def test_int_rounds_half_up():
    """``int`` gives a whole number."""
    assert run("int", "12 499,50", None) == 12500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("131100 PLN", {"amount": 131100, "currency": "PLN"}),
        ("10,499.00 USD", {"amount": 10499, "currency": "USD"}),
        ("129 900 kr", {"amount": 129900, "currency": "SEK"}),
        ("59.600:-", {"amount": 59600, "currency": "SEK"}),
        ("4 995", {"amount": 4995, "currency": "SEK"}),
    ],
)
def test_amount_reads_amount_and_currency(text: str, expected: dict[str, object]):
    """An amount with an ISO code, ``kr``, ``:-`` or nothing (SEK) gives amount + currency."""
    assert run("amount", text, None) == expected


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("15 800", "mil", 158000),
        ("2,777 miles", None, 4469),
        ("87000 km", None, 87000),
        ("12 345", None, 12345),
    ],
)
def test_unit_converts_to_km(text: str, unit: str | None, expected: int):
    """Swedish mil (10 km) and miles become whole km; a unit in the text is read."""
    assert run("unit", text, unit) == expected


def test_unit_refuses_an_unknown_unit():
    """An unknown unit in the text is named."""
    with pytest.raises(TransformError, match="unknown unit 'parsec'"):
        run("unit", "12 parsec", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("0", False), ("TRUE", True), ("False", False), ("yes", True), ("Nej", False)],
)
def test_bool_reads_the_usual_words(text: str, *, expected: bool):
    """1/0, TRUE/FALSE, yes/no, ja/nej are booleans."""
    assert run("bool", text, None) is expected


def test_bool_refuses_other_words():
    """A word that is neither yes nor no is an error."""
    with pytest.raises(TransformError, match="yes/no"):
        run("bool", "kanske", None)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("2014-07", None, "2014-07-01"),
        ("1404172800", None, "2014-07-01"),
        ("01-07-2014 12:30:00", None, "2014-07-01"),
        ("2014-07-01T23:30:00+02:00", None, "2014-07-01"),
        ("2014-07-01", None, "2014-07-01"),
        ("07/01/2014", "%m/%d/%Y", "2014-07-01"),
    ],
)
def test_date_reads_the_usual_forms(text: str, fmt: str | None, expected: str):
    """Month-only, epoch seconds, day-first with time and ISO with offset give YYYY-MM-DD."""
    assert run("date", text, fmt) == expected


@pytest.mark.parametrize("text", ["2014-13", "31-02-2014", "igår"])
def test_date_refuses_impossible_dates(text: str):
    """A date that is not on the calendar is an error."""
    with pytest.raises(TransformError):
        run("date", text, None)


def test_text_transforms():
    """Whitespace, case, HTML, slugs, phones and e-mails come out as the API wants them."""
    assert run("trim", "  a b ", None) == "a b"
    assert run("collapse", " Volvo  V60\t D4 ", None) == "Volvo V60 D4"
    assert run("html_text", "<p>Fin bil</p><ul><li>Drag</li></ul>&amp; mer", None) == (
        "Fin bil\n\n- Drag\n& mer"
    )
    assert run("slug", "Mercedes-Benz  C 220 Å", None) == "mercedes-benz-c-220-a"
    assert run("phone", " 070-123 45 67", None) == "0701234567"
    assert run("phone", "+46 70 123", None) == "+4670123"
    assert run("email", "a@x.se, b@x.se; c@x.se", None) == "a@x.se"
    assert run("upper", "abc123", None) == "ABC123"
    assert run("lower", "ABC", None) == "abc"


def test_url_and_regex_transforms():
    """Base-URL prefix keeps absolute URLs; regexes extract and replace."""
    assert run("prefix", "img/1.jpg", "https://cdn.example.com/") == (
        "https://cdn.example.com/img/1.jpg"
    )
    assert run("prefix", "https://a.se/1.jpg", "https://b.se") == "https://a.se/1.jpg"
    assert run("regex_extract", "2014-07", re.compile(r"^(\d{4})")) == "2014"
    assert run("regex_replace", "ABC 123", (re.compile(r"\s+"), "")) == "ABC123"
    with pytest.raises(TransformError, match="does not match"):
        run("regex_extract", "x", re.compile(r"\d"))


def test_list_transforms():
    """Split, drop empty or matching entries, take the first N, join, unique."""
    urls = "a.jpg, b.jpg, , c.jpg"
    assert run("split", urls, ", ") == ["a.jpg", "b.jpg", "c.jpg"]
    assert run("drop_empty", ["a", " ", ""], None) == ["a"]
    assert run("drop", ["https://x/1.jpg", "https://x/"], re.compile("/$")) == ["https://x/1.jpg"]
    assert run("take", ["a", "b", "c"], 2) == ["a", "b"]
    assert run("first", ["a", "b"], None) == "a"
    assert run("join", ["a", "b"], " | ") == "a | b"
    assert run("unique", ["a", "b", "a"], None) == ["a", "b"]


def test_a_scalar_transform_applies_to_each_entry():
    """A scalar transform applied to a list maps each entry."""
    assert run("trim", [" a ", "b "], None) == ["a", "b"]


def test_every_transform_is_documented_with_an_example():
    """docs/mapping.md names every transform in a heading of its own."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "mapping.md").read_text("utf-8")
    missing = [name for name in TRANSFORMS if f"### `{name}`" not in doc]
    assert missing == []


def test_a_number_the_file_typed_is_never_read_as_thousands():
    """``1.125`` as a JSON number or an Excel number cell is one and an eighth; as text it
    follows the configured decimal mark, else reads as thousands (docs/mapping.md)."""
    assert number(NumberText("1.125"), None) == 1.125
    assert number(NumberText("1e3"), None) == 1000
    assert integer(NumberText("2.5"), None) == 3
    assert amount(NumberText("1.125"), "EUR") == {"amount": 1, "currency": "EUR"}
    assert unit(NumberText("1.5"), "mil") == 15
    assert number("1.125", None) == 1125
    assert number("1.125", ".") == 1.125
    assert number("1.125", ",") == 1125
