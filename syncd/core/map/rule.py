"""Core: what one rule of a mapping makes of a record: the reference meaning of a rule.

Pure: no I/O here. ``apply.py`` runs a whole mapping through rules compiled
once into closures (the fast path) and falls back on :func:`value_of` here for
everything off that path (an empty value, a default, a failing transform), so
the two always agree; ``tests/unit/core/test_map_compiled.py`` checks it.

Each rule gets its value (a constant, the first case that
holds, a template, or the first non-empty source), runs its transforms, and puts
the result at its target path. A transform that fails, a value a value map does
not know or a required value missing becomes an :class:`Issue` naming the target
field and the value; that field is left out and the other rules still run, so
one bad cell makes that item alone invalid (validation reports it).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AnyMapping
from typing import Any

from syncd.core.map import registry
from syncd.core.map.model import (
    Condition,
    FractionText,
    Key,
    Mapping,
    Record,
    Rule,
    Segment,
    Select,
    Step,
    TransformError,
    render,
)
from syncd.core.map.spec import MAP_STEP
from syncd.core.models import Issue

Put = Callable[[dict[str, Any], Any], None]
"""Sets a value at one target path of a payload (:func:`putter`)."""

LIST_TARGETS = frozenset(
    {"image_urls", "category_fields.equipments", "category_fields.powertrain.fuels"}
)
"""Targets that hold a list: a single value becomes a list of one."""


def _present(values: tuple[str, ...]) -> bool:
    return any(v.strip() for v in values)


def holds(cond: Condition, record: Record) -> bool:
    """True when the record's source meets the condition."""
    values = record.get(cond.source, ())
    if cond.empty is not None:
        return cond.empty != _present(values)
    if cond.matches is not None:
        return any(cond.matches.search(v) for v in values)
    return any(v.strip().casefold() in cond.equals for v in values)


def skipped(mapping: Mapping, record: Record) -> bool:
    """True when the record filter leaves this record out (sold, not for Blocket, ...)."""
    return any(holds(cond, record) for cond in mapping.skip)


def _raw(rule: Rule, record: Record) -> tuple[Any, str]:
    """The rule's value before its transforms, and where it came from."""
    if rule.has_const:
        return rule.const, "const"
    if rule.cases:
        for case in rule.cases:
            if holds(case.when, record):
                return case.value, case.when.source
        return None, rule.cases[0].when.source
    if rule.template is not None:
        return render(rule.template, record), "template"
    for source in rule.sources:
        values = record.get(source, ())
        if _present(values):
            return (values[0] if len(values) == 1 else list(values)), source
    return None, " or ".join(rule.sources)


def _empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def lookup(entries: AnyMapping[str, Any], table: str, value: Any) -> Any:
    """The value map ``table``'s entry for a value (case-insensitive, ``*`` the fallback)."""
    key = str(value).strip().casefold()
    if key in entries:
        found = entries[key]
    elif "*" in entries:
        found = entries["*"]
    else:
        raise TransformError(f"{str(value)!r} is not in the value map {table!r}")
    return list(found) if isinstance(found, tuple) else found


def _map(mapping: Mapping, table: str, value: Any) -> Any:
    if not isinstance(value, list):
        return lookup(mapping.tables[table], table, value)
    result: list[Any] = []
    for v in value:
        found = lookup(mapping.tables[table], table, v)
        result.extend(found if isinstance(found, list) else [found])
    return result


def _run(mapping: Mapping, steps: tuple[Step, ...], value: Any) -> Any:
    for step in steps:
        if _empty(value):
            return value
        if step.name == MAP_STEP:
            value = _map(mapping, step.arg, value)
        else:
            value = registry.run(step.name, value, step.arg)
    return value


def _shaped(rule: Rule, value: Any, origin: str) -> Any:
    """A list for list targets; one value for the others (a list of one is unwrapped)."""
    if rule.as_list or rule.target in LIST_TARGETS:
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        if len(value) == 1:
            return value[0]
        raise TransformError(
            f"{origin} gives {len(value)} values {value!r:.80} where one is expected "
            f"(a column named twice? add a transform such as first or join)"
        )
    return value


def value_of(mapping: Mapping, rule: Rule, record: Record) -> tuple[Any, Issue | None]:
    """The rule's final value (None: leave the target out), or the issue that stopped it."""
    raw, origin = _raw(rule, record)
    try:
        value = _run(mapping, rule.steps, raw) if not _empty(raw) else raw
        if _empty(value) and rule.has_default:
            value = rule.default
        if _empty(value):
            if rule.required:
                return None, Issue(rule.target, f"no value: {origin} is missing or empty")
            return None, None
        return _shaped(rule, value, origin), None
    except TransformError as exc:
        return None, Issue(rule.target, f"{exc} (from {origin})", value=_shown(raw))


def _shown(raw: Any) -> str:
    return ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)


def put(payload: dict[str, Any], path: tuple[Segment, ...], value: Any) -> None:
    """Set ``value`` at the target path, creating objects and keyed list entries on the way;
    a dict value at an existing object is merged into it."""
    node: Any = payload
    for i, segment in enumerate(path):
        last = i == len(path) - 1
        if isinstance(segment, Key):
            nxt = path[i + 1] if not last else None
            if last:
                set_value(node, segment.name, value)
                return
            node = node.setdefault(segment.name, {} if isinstance(nxt, Key) else [])
        else:
            entry = next((e for e in node if e.get(segment.key) == segment.value), None)
            if entry is None:
                entry = {segment.key: segment.value}
                node.append(entry)
            if last:
                entry.update(value if isinstance(value, dict) else {"amount": value})
                return
            node = entry


def set_value(node: dict[str, Any], name: str, value: Any) -> None:
    """Set a key; a dict value at an existing object is merged into it."""
    if isinstance(value, dict) and isinstance(node.get(name), dict):
        node[name].update(value)
    else:
        node[name] = value


def putter(path: tuple[Segment, ...]) -> Put:
    """What :func:`put` does at this path, with the path resolved once (``apply.py``)."""
    names = [getattr(segment, "name", None) for segment in path]
    if None in names:  # a keyed list entry (price[type=list]) on the way
        return _entry_putter(path)
    *head, last = (str(name) for name in names)
    if not head:

        def top(payload: dict[str, Any], value: Any) -> None:
            if isinstance(value, dict) and isinstance(payload.get(last), dict):
                payload[last].update(value)  # as set_value(), inline
            else:
                payload[last] = value

        return top

    if len(head) == 1:  # the common case (category_fields.brand), without the loop
        (first,) = head

        def under_one(payload: dict[str, Any], value: Any) -> None:
            if first in payload:  # payload.setdefault(first, {}), without a new {} each time
                node = payload[first]
            else:
                node = payload[first] = {}
            if isinstance(value, dict) and isinstance(node.get(last), dict):
                node[last].update(value)  # as set_value(), inline
            else:
                node[last] = value

        return under_one

    def nested(payload: dict[str, Any], value: Any) -> None:
        node = payload
        for name in head:  # node.setdefault(name, {}), without a new {} each time
            if name in node:
                node = node[name]
            else:
                inner: dict[str, Any] = {}
                node[name] = node = inner
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            node[last].update(value)  # as set_value(), inline
        else:
            node[last] = value

    return nested


def _entry_putter(path: tuple[Segment, ...]) -> Put:
    """``price[type=list]`` and ``price[type=list].amount``; other shapes by :func:`put`."""
    match path:
        case (Key(name), Select(key, wanted)):
            last = None
        case (Key(name), Select(key, wanted), Key(last)):
            pass
        case _:
            return lambda payload, value: put(payload, path, value)

    def put_entry(payload: dict[str, Any], value: Any) -> None:
        entries = payload.setdefault(name, [])
        for entry in entries:
            if entry.get(key) == wanted:
                break
        else:
            entry = {key: wanted}
            entries.append(entry)
        if last is None:
            entry.update(value if isinstance(value, dict) else {"amount": value})
        else:
            set_value(entry, last, value)

    return put_entry


def fraction_id(payload: dict[str, Any]) -> Issue | None:
    """The issue of a source_id the file gives as a number with a fraction or an
    exponent, dropped from the payload; None for any other (or no) source_id.

    Decision: such an id is never an ad's key, even as text: ``1e3``, ``1000.0`` and
    ``1000`` are one number that writers spell differently, and a float past 2^53
    stands for many integers. The item is invalid, naming the value (a whole number is
    read from its digits exactly, however long: ``feeds/json.py``). A transform
    (``trim``) makes it plain text, which the dealer then chose as the key.
    """
    if not isinstance(payload.get("source_id"), FractionText):
        return None
    value = str(payload.pop("source_id"))
    why = "is the number {} (a fraction or exponent); an id must be text or a whole number"
    return Issue("source_id", why.format(value), value)
