"""Adapter (feeds): a sample export read for ``syncd map init``: its format, records and columns.

The format is told by the file's name (``.csv``/``.txt``, ``.xml``/``.rss``,
``.json``, ``.jsonl``/``.ndjson``, ``.xlsx``/``.xlsm``/``.xls``/``.ods``), and
what a config would need to read it is found in the file: the CSV encoding and
delimiter, the XML element that repeats as a record and the namespaces'
prefixes, the JSON path of the longest list of objects, the first sheet. Then
the records are read by the same readers a feed uses, so the sources listed are
exactly those a mapping can name. A URL's sample is fetched by the composition
root (``bootstrap.fetch_sample``: the URL feed's own ``HttpSource``) and read here
from its bytes (:func:`sample_of`), its format told by the URL's name.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from lxml import etree

from syncd.errors import FeedError
from syncd.feeds.csv import CsvFormat, decode, sniff
from syncd.feeds.json import BOM, JsonFormat, JsonLinesFormat
from syncd.feeds.mapped import Format, SourceRecord, load, refuse_empty
from syncd.feeds.xlsx import XlsxFormat
from syncd.feeds.xml import XmlFormat

SAMPLE_RECORDS = 1000
_BY_SUFFIX = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xml": "xml", ".rss": "xml",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx", ".ods": "xlsx",
}  # fmt: skip


@dataclass(slots=True)
class Sample:
    """What ``map init`` found: the config's reading options (with how each was found),
    every source with the values seen, and how many records were read."""

    options: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    records: int = 0


def _xml_guess(path: Path, data: bytes, sample: Sample) -> XmlFormat:
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    try:
        root = etree.parse(io.BytesIO(data), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"{path}: not valid XML ({exc.msg})") from None
    namespaces = {p or "ns": uri for el in root.iter() for p, uri in (el.nsmap or {}).items()}
    prefix = {uri: p for p, uri in namespaces.items()}
    counts: Counter[str] = Counter()
    depth: dict[str, int] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el is not root and len(el):
            counts[el.tag] += 1
            depth.setdefault(el.tag, len(list(el.iterancestors())))
    if not counts:
        raise FeedError(f"{path}: no repeated element with children (a record) in the XML")
    tag = max(counts, key=lambda t: (counts[t], -depth[t]))
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        tag = f"{prefix[uri]}:{local}"
    sample.options["records"] = tag
    sample.notes["records"] = f"guessed: the element repeated most ({max(counts.values())}x)"
    if namespaces:
        sample.options["namespaces"] = namespaces
    return XmlFormat(tag, namespaces=namespaces)


def _json_path(doc: Any, prefix: str = "") -> tuple[int, str]:
    """The (length, dotted path) of the longest list of objects in the document."""
    best = (
        (len(doc), prefix)
        if isinstance(doc, list) and doc and isinstance(doc[0], dict)
        else (0, "")
    )
    if isinstance(doc, dict):
        for k, v in doc.items():
            best = max(best, _json_path(v, f"{prefix}.{k}" if prefix else str(k)))
    return best


def _format(path: Path, data: bytes, fmt: str, sample: Sample) -> Format:
    if fmt == "csv":
        text, encoding = decode(path, data, None)
        sample.options["encoding"], sample.options["delimiter"] = encoding, sniff(text)
        sample.notes["encoding"] = sample.notes["delimiter"] = "as detected; may be left out"
        return CsvFormat()
    if fmt == "xml":
        return _xml_guess(path, data, sample)
    if fmt == "json":
        try:
            doc = orjson.loads(data.removeprefix(BOM))
        except orjson.JSONDecodeError as exc:
            raise FeedError(f"{path}: not valid JSON ({exc.msg})") from None
        _, records = _json_path(doc)
        sample.options["records"] = records
        sample.notes["records"] = "guessed: the longest list of objects"
        return JsonFormat(records)
    if fmt == "jsonl":
        return JsonLinesFormat()
    sample.notes["sheet"] = "the first visible sheet"
    return XlsxFormat()


def format_of(path: Path, fmt: str | None = None, *, fetched: bool = False) -> str:
    """The sample's format: ``fmt``, else told by the name's suffix; FeedError when neither.

    ``fetched``: ``path`` is a URL's label (``http.UrlPath``: the last part of its
    path); a ``.gz`` after the suffix is looked through, the fetch decoding a gzip
    body (a local ``.gz`` file is not decoded, so it is not looked through).
    """
    if fmt is not None:
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if fetched and suffixes[-1:] == [".gz"]:
        suffixes.pop()
    found = _BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    if found is None:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise FeedError(
            f"{path}: cannot tell the format from the name (known: {known}); give --format"
        )
    return found


def read_sample(path: Path, fmt: str | None = None, *, limit: int = SAMPLE_RECORDS) -> Sample:
    """Read up to ``limit`` records of a sample export; FeedError when it cannot be read."""
    fmt = format_of(path, fmt)
    data, _ = load(path, max_bytes=512 * 1024 * 1024)
    return sample_of(path, data, fmt, limit=limit)


def sample_of(path: Path, data: bytes, fmt: str, *, limit: int = SAMPLE_RECORDS) -> Sample:
    """Up to ``limit`` records of a sample's bytes (a file's, or a URL feed's body as its
    ``HttpSource`` fetched it, ``path`` its label); FeedError when they cannot be read."""
    refuse_empty(path, data)
    sample = Sample(options={"format": fmt})
    records: Iterator[SourceRecord] = _format(path, data, fmt, sample)(path, data)
    for _, record, _ in records:
        for name, values in record.items():
            sample.columns.setdefault(name, []).extend(values)
        sample.records += 1
        if sample.records >= limit:
            break
    return sample
