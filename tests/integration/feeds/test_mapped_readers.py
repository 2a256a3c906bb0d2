"""CSV, XML and JSON readers on real files, through a mapping, including hostile input."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.core.map import parse_mapping
from syncd.errors import FeedError
from syncd.feeds.csv import CsvFormat
from syncd.feeds.json import JsonFormat, JsonLinesFormat
from syncd.feeds.mapped import Format, MappedFeedReader
from syncd.feeds.xml import XmlFormat
from tests.settle import AT_ONCE
from tests.settle import read as read_at_once

MAPPING = parse_mapping(
    {
        "fields": {
            "source_id": "id",
            "title": "name",
            "price[type=list].amount": {"source": "price", "transforms": ["int"]},
        }
    }
)


def read(tmp_path: Path, fmt: Format, data: bytes, name: str = "feed") -> Any:
    path = tmp_path / name
    path.write_bytes(data)
    return read_at_once(
        MappedFeedReader(fmt, MAPPING, max_bytes=10_000_000, stillness=AT_ONCE), path
    )


def payloads(feed: Any) -> list[Any]:
    return [r.value() for r in feed.records]


def test_csv_detects_utf8_bom_comma_crlf_and_multiline_cells(tmp_path: Path):
    """A web shop's CSV (BOM, CRLF, a quoted cell over two lines) reads as written."""
    data = '\ufeffid,name,price\r\n1,"Soffa\r\ngrå",2500\r\n2,Bord,900'.encode()
    feed = read(tmp_path, CsvFormat(), data)
    assert payloads(feed)[0] == {
        "source_id": "1",
        "title": "Soffa\r\ngrå",
        "price": [{"type": "list", "amount": 2500}],
    }
    assert [str(r.origin) for r in feed.records] == [f"{tmp_path}/feed:2", f"{tmp_path}/feed:4"]


def test_csv_falls_back_to_windows_1252_with_semicolons(tmp_path: Path):
    """Excel's Windows-1252 with ``;`` is detected without being told."""
    data = "id;name;price\n1;Škoda Fabia;49 900\n".encode("cp1252")
    assert payloads(read(tmp_path, CsvFormat(), data))[0]["title"] == "Škoda Fabia"


def test_csv_undecodable_byte_under_a_fixed_encoding_fails_that_record(tmp_path: Path):
    """A byte that is not UTF-8 under encoding = utf-8 makes only its record invalid."""
    data = b"id;name;price\n1;Bra\xe4;100\n2;Ok;200\n"
    feed = read(tmp_path, CsvFormat(encoding="utf-8"), data)
    bad, good = feed.records
    assert [(i.field, i.reason) for i in bad.issues] == [
        ("column 'name'", "byte 0xE4 is not valid utf-8")
    ]
    assert good.issues == ()


@pytest.mark.parametrize(
    ("data", "line"),
    [
        # cut inside a quoted description that spans lines: the last record is lost
        (b'id;name;price\r\n1;"Soffa\r\ngr', 2),
        # a quote opened and never closed swallows every record after it
        (b'id;name;price\n1;"Soffa;100\n2;Bord;200\n3;Stol;300\n', 2),
        (b'"id;name;price\n1;A;100\n', 1),
    ],
)
def test_csv_ending_inside_a_quoted_cell_is_a_feed_error(tmp_path: Path, data: bytes, line: int):
    """A file that ends inside a quoted cell is truncated or broken: the whole feed stops.

    Python's parser closes the quote silently at the end of the data: the run used to
    update an ad with a cut description and delete the ads of the records swallowed.
    """
    with pytest.raises(FeedError, match=rf"feed:{line}: the file ends inside a quoted cell"):
        read(tmp_path, CsvFormat(), data)


@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n", b"\r\n\r\n"])
def test_csv_whose_last_cell_is_quoted_reads_whole(tmp_path: Path, end: bytes):
    """A last quoted cell, closed, with or without a final line break, is no truncation."""
    data = b'id;name;price\n1;"Soffa\ngr\xc3\xa5 ""XL""";100\n2;B;"200"' + end
    first, second = read(tmp_path, CsvFormat(), data).records
    assert first.value()["title"] == 'Soffa\ngrå "XL"'
    assert second.value() == {
        "source_id": "2",
        "title": "B",
        "price": [{"type": "list", "amount": 200}],
    }


def test_csv_row_with_too_many_cells_is_that_records_error(tmp_path: Path):
    """A row with more cells than the header names is an error of that row; short rows pad."""
    data = b"id;name;price\n1;A;100;extra\n2;B\n"
    first, second = read(tmp_path, CsvFormat(), data).records
    assert first.issues[0].reason == "has 4 cells; the header has 3 columns"
    assert second.issues == ()
    assert second.value() == {"source_id": "2", "title": "B"}


@pytest.mark.parametrize(
    "data",
    [
        b"id;name;price\n1;A;100\n2;Soffa med sch",  # cut inside the last row's second cell
        b"id;name;price\r\n1;A;100\r\n2;Bo",  # CRLF lines
        "id,name,price\n1,A,100\n2,Sof".encode("cp1252"),  # commas, another encoding
    ],
)
def test_csv_cut_inside_its_last_row_fails_that_record_alone(tmp_path: Path, data: bytes):
    """A last row short of the header's columns with no line break after it is an export
    cut off there: that record is invalid (its ad is left as it is, not updated with a
    cut title), the records before it are whole."""
    first, last = read(tmp_path, CsvFormat(), data).records
    assert first.issues == ()
    assert first.value()["title"] == "A"
    assert [i.field for i in last.issues] == ["record"]
    assert "the file ends in this record, short of the header's 3 columns" in last.issues[0].reason


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_csv_short_last_row_with_its_line_break_pads(tmp_path: Path, end: bytes):
    """An exporter that leaves out a row's trailing empty cells still ends its lines: a
    short last row followed by a line break is whole, as a short row anywhere else; a
    last row of every column needs no line break at all."""
    data = b"id;name;price\n1;A;100\n2;B" + end
    assert [r.issues for r in read(tmp_path, CsvFormat(), data).records] == [(), ()]
    whole = b"id;name;price\n1;A;100\n2;B;"
    assert read(tmp_path, CsvFormat(), whole + b"200").records[1].issues == ()


def test_csv_duplicated_header_is_disambiguated(tmp_path: Path):
    """A column named twice: ``price#1``/``price#2`` name each, the bare name is an error."""
    data = b"id;name;price;price\n1;A;100;90\n"
    record = read(tmp_path, CsvFormat(), data).records[0]
    assert record.issues[0].field == "price[type=list].amount"
    assert "gives 2 values" in record.issues[0].reason
    mapping = parse_mapping({"fields": {"source_id": "id", "title": "price#2"}})
    path = tmp_path / "dup.csv"
    path.write_bytes(data)
    feed = read_at_once(
        MappedFeedReader(CsvFormat(), mapping, max_bytes=1000, stillness=AT_ONCE), path
    )
    assert feed.records[0].value() == {"source_id": "1", "title": "90"}


def test_a_mapping_naming_a_missing_column_is_one_feed_error(tmp_path: Path):
    """A column no record has stops the file with one error naming it and the columns found."""
    data = b"id;title;price\n1;A;100\n2;B;200\n"
    with pytest.raises(FeedError) as info:
        read(tmp_path, CsvFormat(), data)
    message = str(info.value)
    assert message.count("no record has") == 1
    assert "title: no record has 'name'" in message
    assert "the file has: id, price, title" in message


@pytest.mark.parametrize(
    "fmt",
    [CsvFormat(), XmlFormat("item"), JsonFormat(), JsonLinesFormat()],
    ids=["csv", "xml", "json", "jsonl"],
)
def test_a_zero_byte_file_is_a_feed_error(tmp_path: Path, fmt: Format):
    """A 0-byte 'full stock' file from a failed export stops the run: nothing is sent."""
    with pytest.raises(FeedError, match="empty"):
        read(tmp_path, fmt, b"")


XML = """<?xml version="1.0" encoding="ISO-8859-1"?>
<feed xmlns:g="http://base.google.com/ns/1.0">
  <g:item><id>1</id><name><![CDATA[Båt & motor]]></name><!-- note --><g:price>100</g:price></g:item>
  <g:item><id>2</id><name>Kanot</name><g:price>200</g:price></g:item>
</feed>
"""


def test_xml_reads_the_declared_encoding_namespaces_and_cdata(tmp_path: Path):
    """ISO-8859-1 from the declaration, ``g:`` from the prefix map, CDATA as text."""
    mapping = parse_mapping({"fields": {"source_id": "id", "title": "name", "body": "g:price"}})
    path = tmp_path / "f.xml"
    path.write_bytes(XML.encode("iso-8859-1"))
    fmt = XmlFormat("g:item", namespaces={"g": "http://base.google.com/ns/1.0"})
    feed = read_at_once(MappedFeedReader(fmt, mapping, max_bytes=10_000, stillness=AT_ONCE), path)
    assert payloads(feed) == [
        {"source_id": "1", "title": "Båt & motor", "body": "100"},
        {"source_id": "2", "title": "Kanot", "body": "200"},
    ]
    assert [r.origin.index for r in feed.records] == [0, 1]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<items><item><id>1</id><name>&lol9;</name><price>1</price></item>
<item><id>2</id><name>Ok</name><price>2</price></item></items>
"""


def test_billion_laughs_stops_the_file_before_anything_expands(tmp_path: Path):
    """libxml2 refuses the amplification outright: a feed error naming the file, nothing sent."""
    with pytest.raises(FeedError, match="amplification"):
        read(tmp_path, XmlFormat("item"), BILLION_LAUGHS)


def test_a_small_entity_bomb_is_not_expanded_and_fails_only_its_record(tmp_path: Path):
    """Nested entities below libxml2's limit stay unexpanded; their record alone is invalid."""
    data = b"""<?xml version="1.0"?>
<!DOCTYPE items [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<items><item><id>1</id><name>&lol3;</name><price>1</price></item>
<item><id>2</id><name>Ok</name><price>2</price></item></items>
"""
    bad, good = read(tmp_path, XmlFormat("item"), data).records
    assert bad.issues[0].field == "name"
    assert "entity reference &lol3;" in bad.issues[0].reason
    assert len(str(bad.value())) < 200
    assert good.value()["title"] == "Ok"
    assert good.issues == ()


def test_an_external_entity_to_a_local_file_is_never_read(tmp_path: Path):
    """``<!ENTITY xxe SYSTEM "file://...">`` is not resolved: the secret never shows."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE items [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<items><item><id>1</id><name>&xxe;</name><price>1</price></item></items>"
    ).encode()
    record = read(tmp_path, XmlFormat("item"), data).records[0]
    assert "TOPSECRET" not in repr(record)
    assert "entity reference &xxe;" in record.issues[0].reason


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request made to it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY name "FETCHED">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/lager.dtd", hits
    server.shutdown()
    server.server_close()


def test_a_dtd_on_the_network_is_never_fetched(tmp_path: Path, dtd_server: Any):
    """A DOCTYPE naming an external DTD reads fine and makes no request."""
    url, hits = dtd_server
    data = (
        f'<?xml version="1.0"?><!DOCTYPE items SYSTEM "{url}">'
        "<items><item><id>1</id><name>A</name><price>1</price></item></items>"
    ).encode()
    assert payloads(read(tmp_path, XmlFormat("item"), data))[0]["title"] == "A"
    assert hits == []


def test_broken_xml_is_a_feed_error_with_the_line(tmp_path: Path):
    """A truncated XML file stops the run, naming the line."""
    with pytest.raises(FeedError, match=r":2: not valid XML"):
        read(tmp_path, XmlFormat("item"), b"<items>\n<item><id>1</id>")


def test_xml_whose_records_element_is_misnamed_stops_naming_the_likely_one(tmp_path: Path):
    """records = 'item' but the file has <car> elements: a feed error naming <car> (not a
    stock of 0, which would ask to delete every ad)."""
    data = (
        b"<stock><meta><made>2026-12-01</made></meta>"
        b"<car><id>1</id><make>Volvo</make><price><amount>1</amount></price></car>"
        b'<car><id>2</id><make fuel="el"/><price><amount>2</amount></price></car></stock>'
    )
    with pytest.raises(FeedError, match=r"no <item> element.*2 <car> elements.*'car'"):
        read(tmp_path, XmlFormat("item"), data)


@pytest.mark.parametrize(
    "data",
    [
        b"<stock/>",
        b"<stock><meta><made>2026-12-01</made></meta><cars></cars></stock>",
        b"<group><dealer><name>A</name><cars/></dealer><dealer><name>B</name><cars/></dealer>"
        b"</group>",
    ],
)
def test_xml_with_no_record_at_all_is_an_empty_stock(tmp_path: Path, data: bytes):
    """No record element and nothing that looks like records: 0 records (the mass-delete
    guard decides what that means for the live ads)."""
    assert read(tmp_path, XmlFormat("car"), data).records == ()


def test_json_of_any_shape_reads_the_records_path(tmp_path: Path):
    """A vendor's JSON with the list under ``data.vehicles`` and nested keys."""
    mapping = parse_mapping(
        {"fields": {"source_id": "id", "title": "info.name", "image_urls": "images.url"}}
    )
    path = tmp_path / "f.json"
    path.write_bytes(
        b'{"data": {"vehicles": [{"id": 7, "info": {"name": "Bil"}, '
        b'"images": [{"url": "https://x/1.jpg"}, {"url": "https://x/2.jpg"}]}]}}'
    )
    feed = read_at_once(
        MappedFeedReader(JsonFormat("data.vehicles"), mapping, max_bytes=1000, stillness=AT_ONCE),
        path,
    )
    assert payloads(feed) == [
        {"source_id": "7", "title": "Bil", "image_urls": ["https://x/1.jpg", "https://x/2.jpg"]}
    ]


def test_jsonl_names_the_line_of_each_record(tmp_path: Path):
    """JSON Lines records carry their line; a broken line is a feed error naming it."""
    feed = read(tmp_path, JsonLinesFormat(), b'{"id": "a", "name": "A", "price": 1}\n\n{"id": "b"}')
    assert [r.origin.line for r in feed.records] == [1, 3]
    with pytest.raises(FeedError, match=":2: not valid JSON"):
        read(tmp_path, JsonLinesFormat(), b'{"id": "a", "name": "A", "price": 1}\n{"id": ')


def test_json_a_key_given_twice_makes_only_its_record_invalid(tmp_path: Path):
    """Strict JSON, as for native feeds: a duplicated key is an issue of its record."""
    data = b'[{"id": "1", "name": "A", "price": "5", "price": "7"}, {"id": "2", "name": "B"}]'
    first, second = read(tmp_path, JsonFormat(), data).records
    assert [(i.field, i.reason.split(";")[0]) for i in first.issues] == [
        ("price", "is given 2 times in one object")
    ]
    assert second.issues == ()


def test_jsonl_a_key_given_twice_makes_only_its_line_invalid(tmp_path: Path):
    """In JSON Lines the duplicate is found on its own line."""
    data = b'{"id": "1", "name": "A", "price": "5"}\n{"id": "2", "id": "3", "name": "B"}\n'
    first, second = read(tmp_path, JsonLinesFormat(), data).records
    assert first.issues == ()
    assert [i.field for i in second.issues] == ["id"]


def test_json_a_key_given_twice_on_the_path_to_the_records_is_a_feed_error(tmp_path: Path):
    """Two ``data`` lists: which is the feed cannot be known; nothing is used."""
    data = b'{"data": [{"id": "1", "name": "A"}], "data": []}'
    with pytest.raises(FeedError, match="more than once"):
        read(tmp_path, JsonFormat("data"), data)


def test_a_huge_cell_makes_its_record_alone_invalid(tmp_path: Path):
    """A 3 MB cell (a broken export) is an error of its record naming line and column;
    the parser's own limit no longer stops the whole file."""
    data = b"id;name;price\n1;" + b"x" * 3_000_000 + b";100\n2;Bord;900\n"
    bad, good = read(tmp_path, CsvFormat(), data).records
    assert str(bad.origin).endswith("feed:2")
    assert (
        bad.issues[0].field,
        bad.issues[0].reason.split(",")[0],
    ) == ("column 'name'", "the cell is 3000000 characters long")
    assert good.issues == ()
    assert good.value()["title"] == "Bord"


def test_a_bom_before_windows_1252_names_the_encoding_not_the_mapping(tmp_path: Path):
    """A UTF-8 BOM before a Windows-1252 header is a feed error saying how to read it;
    with encoding = cp1252 the same file reads (the BOM is not part of the first name)."""
    data = b"\xef\xbb\xbfid;M\xe4rke;price\n1;Volvo;100\n"
    mapping = parse_mapping({"fields": {"source_id": "id", "title": "Märke"}})
    path = tmp_path / "bom.csv"
    path.write_bytes(data)
    with pytest.raises(FeedError, match=r"header is not valid utf-8: byte 0xE4") as caught:
        read_at_once(
            MappedFeedReader(CsvFormat(), mapping, max_bytes=1000, stillness=AT_ONCE), path
        )
    assert "byte-order mark" in str(caught.value)
    assert "feeds.encoding" in str(caught.value)
    assert "mapping does not fit" not in str(caught.value)
    feed = read_at_once(
        MappedFeedReader(CsvFormat(encoding="cp1252"), mapping, max_bytes=1000, stillness=AT_ONCE),
        path,
    )
    assert feed.records[0].value() == {"source_id": "1", "title": "Volvo"}


def test_a_skip_rule_on_a_column_named_twice_is_one_feed_error(tmp_path: Path):
    """``Status`` twice in the header and a filter on ``Status``: which column is meant
    cannot be known (a record skipped by mistake loses its ad), so the file stops with one
    error saying to write ``Status#1`` or ``Status#2``; with that, it reads."""
    data = b"id;Status;Status\n1;;Sold\n2;Sold;\n3;;\n"
    path = tmp_path / "dup.csv"
    path.write_bytes(data)

    def mapped(source: str) -> Any:
        mapping = parse_mapping(
            {"skip": {"source": source, "equals": "sold"}, "fields": {"source_id": "id"}}
        )
        reader = MappedFeedReader(CsvFormat(), mapping, max_bytes=1000, stillness=AT_ONCE)
        return read_at_once(reader, path)

    with pytest.raises(FeedError, match=r"skip: 'Status' is a column the header names twice"):
        mapped("Status")
    assert [r.value()["source_id"] for r in mapped("Status#1").records] == ["1", "3"]


def test_a_json_number_with_three_decimals_is_not_read_as_thousands(tmp_path: Path):
    """``"price": 1.125`` in JSON Lines is 1.125 (rounded by int), ``"1.125"`` text 1125."""
    data = b'{"id": "1", "name": "A", "price": 1.125}\n{"id": "2", "name": "B", "price": "1.125"}\n'
    first, second = read(tmp_path, JsonLinesFormat(), data).records
    assert first.value()["price"] == [{"type": "list", "amount": 1}]
    assert second.value()["price"] == [{"type": "list", "amount": 1125}]
