"""Adapter (feeds): JSON and JSON Lines of any shape as neutral records.

``records`` is the dotted path of the list of records in the document (empty:
the document is the list). Each record object is flattened: nested keys are
joined with dots (``price.amount``), lists are transparent (``images.url``
gives every image's url), scalars become strings (``true``/``false``, numbers
as written by JSON), nulls are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from syncd.core.models import Issue, Origin
from syncd.errors import FeedError
from syncd.feeds.mapped import SourceRecord

BOM = b"\xef\xbb\xbf"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def flatten(
    value: Any, prefix: str = "", into: dict[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[str, ...]]:
    """A JSON value as source paths -> strings (see the module doc)."""
    into = {} if into is None else into
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list):
        for item in value:
            flatten(item, prefix, into)
    elif value is not None:
        into[prefix] = (*into.get(prefix, ()), _scalar(value))
    return into


def _loads(path: Path, data: bytes, where: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{path}{where}: not valid JSON ({exc.msg}); truncated or broken") from None


def _as_record(path: Path, origin: Origin, item: Any) -> SourceRecord:
    if not isinstance(item, dict):
        return origin, {}, (Issue("record", f"is not a JSON object: {str(item)[:40]!r}"),)
    return origin, flatten(item), ()


class JsonFormat:
    """A JSON document holding a list of records at ``records`` (a ``Format``)."""

    def __init__(self, records: str = "") -> None:
        self._records = [k for k in records.split(".") if k]

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        doc = _loads(path, data.removeprefix(BOM), "")
        for key in self._records:
            if not isinstance(doc, dict) or key not in doc:
                raise FeedError(f"{path}: no {'.'.join(self._records)!r} in the document")
            doc = doc[key]
        if not isinstance(doc, list):
            raise FeedError(f"{path}: {'.'.join(self._records) or 'the document'} is not a list")
        for i, item in enumerate(doc):
            yield _as_record(path, Origin(str(path), index=i), item)


class JsonLinesFormat:
    """JSON Lines: one record object per line; blank lines are skipped (a ``Format``)."""

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        for number, line in enumerate(data.removeprefix(BOM).split(b"\n"), start=1):
            if line.strip():
                item = _loads(path, line, f":{number}")
                yield _as_record(path, Origin(str(path), line=number), item)
