"""Adapter (feeds): XML exports (a DMS's stock file, an RSS product feed) as neutral records.

Streamed with lxml's ``iterparse``: each element named ``records`` is one
record, cleared once read, so the tree never holds the whole file. The
parser is locked down: no entity is expanded (``resolve_entities=False``), no
DTD is loaded, nothing is fetched from the network, no huge-tree mode. A
DOCTYPE naming an external DTD is thus never fetched; an entity reference in
a record (billion laughs, an external entity pointing at a local file) stays
unexpanded and is an error of that record. The encoding is the declaration's
unless ``encoding`` is given. Namespaces are written with the prefixes of the
config (``g:price``); a namespace without one is written ``{uri}name``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from syncd.core.models import Issue, Origin
from syncd.errors import FeedError
from syncd.feeds.mapped import SourceRecord


class _Names:
    """``{uri}local`` <-> ``prefix:local`` by the configured prefix map."""

    def __init__(self, namespaces: Mapping[str, str]) -> None:
        self._prefix = {uri: prefix for prefix, uri in namespaces.items()}
        self._uri = dict(namespaces)
        self._short: dict[str, str] = {}

    def clark(self, name: str) -> str:
        """``g:item`` -> ``{http://base.google.com/ns/1.0}item`` (a prefix must be configured)."""
        if ":" not in name or name.startswith("{"):
            return name
        prefix, local = name.split(":", 1)
        if prefix not in self._uri:
            raise FeedError(f"namespace prefix {prefix!r} of {name!r} is not in namespaces")
        return f"{{{self._uri[prefix]}}}{local}"

    def short(self, tag: str) -> str:
        """``{uri}local`` as the config writes it (``g:price``); made once per tag."""
        found = self._short.get(tag)
        if found is None:
            found = self._short[tag] = self._shorten(tag)
        return found

    def _shorten(self, tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, local = tag[1:].split("}", 1)
        prefix = self._prefix.get(uri)
        if prefix is None:
            return tag
        return f"{prefix}:{local}" if prefix else local


def _text(element: Any) -> str:
    return "".join(t for t in element.itertext() if isinstance(t, str)).strip()


def flatten(element: Any, names: _Names) -> tuple[dict[str, tuple[str, ...]], list[Issue]]:
    """One record element as source paths -> strings, and the entities found in it."""
    record: dict[str, tuple[str, ...]] = {}
    issues: list[Issue] = []
    # A module-level walk, not a closure calling itself: such a closure is a reference
    # cycle, which would keep every record until the collector ran (syncd/collector.py).
    _walk(element, "", names, record, issues)
    return record, issues


def _add(record: dict[str, tuple[str, ...]], key: str, value: str) -> None:
    old = record.get(key)
    record[key] = (value,) if old is None else (*old, value)


def _walk(
    node: Any, path: str, names: _Names, record: dict[str, tuple[str, ...]], issues: list[Issue]
) -> None:
    for attr, value in node.items():
        _add(record, f"{path}/@{names.short(attr)}" if path else f"@{names.short(attr)}", value)
    if not len(node):  # a leaf (the common case): its own text, no child to look at
        if path:
            _add(record, path, (node.text or "").strip())
        return
    children = []
    for child in node:  # elements and (never expanded) entities: comments are removed
        tag = child.tag
        if isinstance(tag, str):
            children.append((child, f"{path}/{names.short(tag)}" if path else names.short(tag)))
        elif isinstance(child, etree._Entity):
            issues.append(
                Issue(
                    path or names.short(node.tag),
                    f"holds the entity reference {child.text}; entities are never "
                    f"expanded (they can read local files or blow up memory)",
                )
            )
    for child, sub in children:
        if len(child):
            _walk(child, sub, names, record, issues)
            continue
        for attr, value in child.items():  # a leaf, inline: what _walk() does with it
            _add(record, f"{sub}/@{names.short(attr)}", value)
        text = (child.text or "").strip()
        old = record.get(sub)
        record[sub] = (text,) if old is None else (*old, text)
    if path and not children:
        _add(record, path, _text(node))


class XmlFormat:
    """Turns an XML file's bytes into records (a ``Format`` of ``mapped.py``)."""

    def __init__(
        self,
        records: str,
        *,
        namespaces: Mapping[str, str] | None = None,
        encoding: str | None = None,
    ) -> None:
        self._names = _Names(namespaces or {})
        self._tag = self._names.clark(records)
        self._encoding = encoding

    def _events(self, data: bytes, *, every: bool = False) -> Any:
        # Safety: each of these is the point of this function; see the module doc.
        return etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag=None if every else self._tag,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            encoding=self._encoding,
        )

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        index = 0
        where = str(path)
        try:
            for _, element in self._events(data):
                record, issues = flatten(element, self._names)
                yield Origin(where, line=element.sourceline, index=index), record, tuple(issues)
                index += 1
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del element.getparent()[0]
            if index == 0:
                self._check_none_named(path, data)
        except etree.XMLSyntaxError as exc:
            raise FeedError(f"{path}:{exc.lineno}: not valid XML ({exc.msg})") from None

    def _check_none_named(self, path: Path, data: bytes) -> None:
        """A file without a single record element: an empty stock, or ``records`` names
        the wrong element. Assumption: records are the elements with fields (child
        elements) that come more than once; if some other name does, the mapping is
        wrong, and the run stops here (FeedError) instead of reading the stock as
        empty. A file with no such elements is an empty stock (0 records: the
        mass-delete guard then holds the deletes back, as for any feed). An element
        "with fields" has two or more child elements holding text or attributes: a
        dealer block of a group's empty stock (``<dealer><name>A</name><cars/></dealer>``)
        has one, and is no record."""
        seen: dict[str, tuple[int, int]] = {}  # tag -> (how many, the least depth)
        for _, element in self._events(data, every=True):
            if _has_fields(element) and isinstance(element.tag, str):
                depth = sum(1 for _ in element.iterancestors())
                count, least = seen.get(element.tag, (0, depth))
                seen[element.tag] = (count + 1, min(least, depth))
                for child in element:
                    child.clear(keep_tail=False)  # fields are counted once: memory stays flat
        # The outermost element with fields that comes more than once (a record's own
        # sub-elements, a price with its amount, come as often, but deeper).
        repeated = [(depth, -n, tag) for tag, (n, depth) in seen.items() if n > 1]
        if not repeated:
            return
        _, minus_count, tag = min(repeated)
        count = -minus_count
        name = self._names.short(tag)
        raise FeedError(
            f"{path}: no <{self._names.short(self._tag)}> element (feeds.records), but "
            f"{count} <{name}> elements with fields: is records = {name!r} meant? "
            f"Nothing was sent"
        )


def _has_fields(element: Any) -> bool:
    """Whether at least two of the element's children are fields: leaves with text or
    attributes (see :meth:`XmlFormat._check_none_named`)."""
    fields = 0
    for child in element:
        if not len(child) and ((child.text or "").strip() or child.attrib):
            fields += 1
            if fields > 1:
                return True
    return False
