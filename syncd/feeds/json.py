"""Adapter (feeds): JSON and JSON Lines of any shape as neutral records.

``records`` is the dotted path of the list of records in the document (empty:
the document is the list). Each record object is flattened: nested keys are
joined with dots (``price.amount``), lists are transparent (``images.url``
gives every image's url), scalars become strings (``true``/``false``, numbers
as written by JSON), nulls are absent. A number with a fraction or an exponent is a
:class:`FractionText` (never an ad's key: ``core.map.feed``); an integer orjson can
hold only as a float (past 64 bits) makes its record read again with every number as
its text, so its digits are kept exactly (``_exact``). A key given twice in one object is strict
JSON's business (``strict.py``, as for the native reader): it makes its record
invalid, and twice on the path to the records stops the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from syncd.core.map.model import FractionText, NumberText
from syncd.core.models import DuplicateKey, Issue, Origin
from syncd.errors import FeedError
from syncd.feeds import json_items, strict
from syncd.feeds.mapped import SourceRecord

BOM = b"\xef\xbb\xbf"
EXACT = 2.0**53
"""From here on a float no longer tells which integer was written."""


class _Inexact(Exception):
    """A float orjson read whose digits it may not have kept (``18446744073709551617``)."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if type(value) is int:  # as orjson writes it: the digits (any int orjson parsed fits)
        return NumberText(value)
    if not isinstance(value, float):
        return NumberText(orjson.dumps(value).decode())  # an int of another type
    if value.is_integer() and abs(value) >= EXACT:
        raise _Inexact
    # Assumption: below 2^53 the shortest text reading back to the float is what was
    # written (12.5), or the same number spelled otherwise (1e3 as 1000.0).
    return FractionText(orjson.dumps(value).decode())  # its "." is a decimal point


def flatten(
    value: Any, prefix: str = "", into: dict[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[str, ...]]:
    """A JSON value as source paths -> strings (see the module doc)."""
    into = {} if into is None else into
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, str):  # the common case, inline: what the last branch does
                old = into.get(name)
                into[name] = (item,) if old is None else (*old, item)
            elif type(item) is int:  # the next most common, inline too
                number = NumberText(item)  # what _scalar makes of it
                old = into.get(name)
                into[name] = (number,) if old is None else (*old, number)
            else:
                flatten(item, name, into)
    elif isinstance(value, list):
        for item in value:
            flatten(item, prefix, into)
    elif value is not None:
        into[prefix] = (*into.get(prefix, ()), _scalar(value))
    return into


_ODD: Any = object()  # a value _flat does not take


def _flat(record: dict[str, Any]) -> dict[str, tuple[str, ...]] | None:
    """What ``flatten`` makes of a record of only string and int values (the common
    case), in one comprehension; None for any other record (``flatten`` decides).

    Its keys are distinct and none nests, so no two values share a path: each is the
    1-tuple of the value, an int as ``_scalar`` writes it. Assumption: the keys are
    strings, as those of any object orjson parsed (``flatten`` makes them so).
    """
    flat = {
        k: (v,) if type(v) is str else (NumberText(v),) if type(v) is int else _ODD
        for k, v in record.items()
    }
    return None if _ODD in flat.values() else flat


def _loads(path: Path, data: bytes, line: int | None = None) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        where = "" if line is None else f":{line}"  # made here: not for every line read
        raise FeedError(f"{path}{where}: not valid JSON ({exc.msg}); truncated or broken") from None


def _unreadable(path: Path, line: bytes, number: int, exc: orjson.JSONDecodeError) -> SourceRecord:
    """A JSON Lines record orjson refused for a value (``json_items.py``): read again with
    every number kept as its text, so the mapping still finds its id (its live ad is
    kept) and the record is an error naming where; a broken line stops the feed."""
    origin = Origin(str(path), number)
    salvaged = json_items.salvage(b"[" + line + b"]", lambda pos: f"column {pos}")
    if not json_items.is_value_error(exc) or salvaged is None:
        raise FeedError(f"{path}:{number}: not valid JSON ({exc.msg}); truncated or broken")
    return _numbers_as_text(origin, line, salvaged[1][0].reason)


def _numbers_as_text(origin: Origin, text: bytes, reason: str) -> SourceRecord:
    """A record orjson cannot read, read by the standard library with every number as
    its text (no float or int made of it), as an error of that record."""
    issue = Issue("record", reason)
    try:
        item = json.loads(text, parse_int=NumberText, parse_float=FractionText)
    except RecursionError:  # nested past the standard library's depth too: no fields
        return origin, {}, (issue,)
    if not isinstance(item, dict):
        return origin, {}, (issue,)
    return origin, flatten(item), (issue,)


def _as_record(
    path: Path, origin: Origin, item: Any, repeated: tuple[Issue, ...] = ()
) -> SourceRecord:
    """Raises _Inexact for a record holding a float that may not be the number written."""
    if not isinstance(item, dict):
        return origin, {}, (Issue("record", f"is not a JSON object: {str(item)[:40]!r}"),)
    return origin, _flat(item) or flatten(item), repeated


def _exact(text: bytes) -> Any:
    """``text`` (a record, or the whole document) read by the standard library with
    every number as its text, as written; None when nested past its depth."""
    try:
        return json.loads(text, parse_int=NumberText, parse_float=FractionText)
    except RecursionError:
        return None


def _exact_record(origin: Origin, item: Any, repeated: tuple[Issue, ...]) -> SourceRecord:
    """The record ``_exact`` read (an integer orjson could not hold kept as its digits)."""
    if not isinstance(item, dict):  # nested too deep to read again: no fields, an error
        issue = Issue("record", "holds a number too long to be read exactly")
        return origin, {}, (*repeated, issue)
    return origin, flatten(item), repeated


def _issues(found: tuple[DuplicateKey, ...]) -> tuple[Issue, ...]:
    why = "times in one object; which one is meant cannot be known"
    return tuple(Issue(d.field, f"is given {d.count} {why}") for d in found)


def _repeated(path: Path, text: bytes, doc: Any, keys: list[str]) -> dict[int, tuple[Issue, ...]]:
    """The duplicated keys of each record, by index (strict JSON; cheap when there are none)."""
    if not strict.may_repeat(text, doc):
        return {}
    marked = strict.parse_marked(text)
    for key in keys:
        if twice := strict.repeated_keys(marked):
            raise FeedError(
                f"{path}: an object on the path to the records gives "
                f"{', '.join(map(repr, twice))} more than once; not using the feed (strict JSON)"
            )
        marked = marked[key]
    issues = (_issues(strict.duplicates_in(item)) for item in marked)
    return {i: found for i, found in enumerate(issues) if found}


class JsonFormat:
    """A JSON document holding a list of records at ``records`` (a ``Format``)."""

    def __init__(self, records: str = "") -> None:
        self._records = [k for k in records.split(".") if k]

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        text = data.removeprefix(BOM)
        try:
            whole = doc = orjson.loads(text)
            bad: dict[int, SourceRecord] = {}
        except orjson.JSONDecodeError as exc:
            # One record orjson refuses for a value: the others are read (json_items.py).
            text, bad = self._salvaged(path, text, exc)
            whole = doc = _loads(path, text)
        for key in self._records:
            if not isinstance(doc, dict) or key not in doc:
                raise FeedError(f"{path}: no {'.'.join(self._records)!r} in the document")
            doc = doc[key]
        if not isinstance(doc, list):
            raise FeedError(f"{path}: {'.'.join(self._records) or 'the document'} is not a list")
        repeated = _repeated(path, text, whole, self._records)
        where = str(path)
        exact: list[Any] | None = None  # the records read again, once, if one needs it
        for i, item in enumerate(doc):
            if bad and i in bad:
                yield bad[i]
                continue
            # Positional (path, line, index): a dataclass's keywords cost twice as much.
            try:
                yield _as_record(path, Origin(where, None, i), item, repeated.get(i, ()))
            except _Inexact:
                exact = self._exact_records(text) if exact is None else exact
                again = exact[i] if i < len(exact) else None
                yield _exact_record(Origin(where, None, i), again, repeated.get(i, ()))

    def _exact_records(self, text: bytes) -> list[Any]:
        """The records as ``_exact`` reads them (an empty list when it cannot)."""
        doc = _exact(text)
        for key in self._records:
            doc = doc.get(key) if isinstance(doc, dict) else None
        return doc if isinstance(doc, list) else []

    def _salvaged(
        self, path: Path, text: bytes, exc: orjson.JSONDecodeError
    ) -> tuple[bytes, dict[int, SourceRecord]]:
        """The document with each unreadable record as ``null``, and those records (read
        again with their numbers as text, so their ids are still mapped); a feed error
        when the document is broken otherwise."""
        broken = FeedError(f"{path}: not valid JSON ({exc.msg}); truncated or broken")
        if not json_items.is_value_error(exc):
            raise broken from None
        salvaged = json_items.salvage(text, paths=(tuple(self._records),))
        if salvaged is None:
            raise broken from None
        rebuilt, unreadable = salvaged
        where = str(path)
        records = {}
        for item in unreadable:
            origin = Origin(where, None, item.index)
            records[item.index] = _numbers_as_text(origin, text[item.start : item.end], item.reason)
        return rebuilt, records


class JsonLinesFormat:
    """JSON Lines: one record object per line; blank lines are skipped (a ``Format``)."""

    def __call__(self, path: Path, data: bytes) -> Iterator[SourceRecord]:
        where = str(path)
        for number, line in enumerate(_lines(data), start=1):
            if line and not line.isspace():  # what line.strip() tells, without a copy
                try:
                    item = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield _unreadable(path, line, number, exc)
                    continue
                repeated: tuple[Issue, ...] = ()
                if strict.may_repeat(line, item):
                    repeated = _issues(strict.duplicates_in(strict.parse_marked(line)))
                try:
                    yield _as_record(path, Origin(where, number), item, repeated)  # path, line
                except _Inexact:
                    yield _exact_record(Origin(where, number), _exact(line), repeated)


def _lines(data: bytes) -> Iterator[bytes]:
    """The lines of ``data`` (a BOM dropped) one at a time, as ``split(b"\\n")`` gives
    them, without a list of them all (the file's bytes are not copied whole)."""
    start = len(BOM) if data.startswith(BOM) else 0
    while (end := data.find(b"\n", start)) >= 0:
        yield data[start:end]
        start = end + 1
    yield data[start:]
