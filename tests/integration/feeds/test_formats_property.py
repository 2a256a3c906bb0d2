"""Any item written as CSV, XML, XLSX and JSON reads back through the matching mapping alike."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.map import parse_mapping
from syncd.core.map.model import NumberText
from syncd.feeds.csv import CsvFormat
from syncd.feeds.json import JsonFormat, _flat, _Inexact, flatten
from syncd.feeds.mapped import Format, MappedFeedReader
from syncd.feeds.xlsx import XlsxFormat
from syncd.feeds.xml import XmlFormat
from tests.settle import AT_ONCE, read
from tests.xlsx_writer import xlsx_bytes

TEXT = st.text(alphabet="abcåäöXYZ019 ;,\"'<>&/-", min_size=1, max_size=30).filter(str.strip)
ITEM = st.fixed_dictionaries(
    {
        "id": st.text(alphabet="ABCDEF0123456789", min_size=1, max_size=12),
        "title": TEXT,
        "price": st.integers(min_value=0, max_value=10_000_000),
        "images": st.lists(
            st.integers(min_value=1, max_value=99).map(lambda n: f"https://x.example/{n}.jpg"),
            max_size=5,
        ),
    }
)


def mapping(sid: str, title: str, price: str, images: str, *, split: bool) -> Any:
    steps: list[Any] = [{"split": "|"}] if split else []
    return parse_mapping(
        {
            "fields": {
                "source_id": sid,
                "title": {"source": title, "transforms": ["collapse"]},
                "price[type=list].amount": {"source": price, "transforms": ["int"]},
                "image_urls": {"source": images, "transforms": steps, "optional": True},
            }
        }
    )


def as_csv(item: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["id", "Titel", "Pris", "Bilder"])
    writer.writerow([item["id"], item["title"], item["price"], "|".join(item["images"])])
    return out.getvalue().encode("utf-8")


def as_xml(item: dict[str, Any]) -> bytes:
    images = "".join(f"<img>{escape(u)}</img>" for u in item["images"])
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><stock><car id="{escape(item["id"])}">'
        f'<title>{escape(item["title"])}</title><price amount="{item["price"]}"/>'
        f"<images>{images}</images></car></stock>"
    ).encode()


def as_json(item: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "cars": [
                {
                    "id": item["id"],
                    "t": {"name": item["title"]},
                    "p": item["price"],
                    "img": item["images"],
                }
            ]
        }
    )


def as_xlsx(item: dict[str, Any]) -> bytes:
    row = [item["id"], item["title"], item["price"], "|".join(item["images"])]
    return xlsx_bytes({"Lager": [["id", "Titel", "Pris", "Bilder"], row]})


FORMATS: list[tuple[Format, Any, Any]] = [
    (CsvFormat(), as_csv, mapping("id", "Titel", "Pris", "Bilder", split=True)),
    (XlsxFormat(), as_xlsx, mapping("id", "Titel", "Pris", "Bilder", split=True)),
    (XmlFormat("car"), as_xml, mapping("@id", "title", "price/@amount", "images/img", split=False)),
    (JsonFormat("cars"), as_json, mapping("id", "t.name", "p", "img", split=False)),
]


def expected(item: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source_id": item["id"],
        "title": " ".join(item["title"].split()),
        "price": [{"type": "list", "amount": item["price"]}],
    }
    if item["images"]:
        payload["image_urls"] = item["images"]
    return payload


@settings(max_examples=60, deadline=None)
@given(ITEM)
def test_csv_xlsx_xml_and_json_give_the_same_payload(item: dict[str, Any]):
    """The same item in four formats maps to one and the same payload."""
    with tempfile.TemporaryDirectory() as tmp:
        for i, (fmt, write, mapped) in enumerate(FORMATS):
            path = Path(tmp) / f"feed{i}"
            path.write_bytes(write(item))
            feed = read(MappedFeedReader(fmt, mapped, max_bytes=1_000_000, stillness=AT_ONCE), path)
            assert [r.value() for r in feed.records] == [expected(item)], type(fmt).__name__


class _Int(int):
    """An int that is not ``type(x) is int``: it takes flatten's general path."""


class _Str(str):
    """A str that is not ``type(x) is str``: it takes flatten's general path."""

    __slots__ = ()


def _general(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _general(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_general(v) for v in value]
    if isinstance(value, str):
        return _Str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _Int(value)
    return value


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
FLAT = st.one_of(TEXT, st.integers(-(2**63), 2**64 - 1))


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "a.b", "n"]), st.one_of(JSON, FLAT, FLAT), max_size=4
    )
)
def test_json_records_flatten_as_in_general(doc: dict[str, Any]) -> None:
    """The fast cases (a record of only strings and ints; a string, an int inside
    another) give what flatten's general path gives; a float that may not be the
    integer written (past 2^53) is refused on both (the record is read again)."""
    try:
        slow = flatten(_general(doc))
    except _Inexact:
        with pytest.raises(_Inexact):
            flatten(doc)
        return
    flat = _flat(doc)
    for fast in [flatten(doc)] + ([flat] if flat is not None else []):
        assert fast == slow
        assert {k: [isinstance(v, NumberText) for v in vs] for k, vs in fast.items()} == {
            k: [isinstance(v, NumberText) for v in vs] for k, vs in slow.items()
        }
