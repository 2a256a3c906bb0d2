"""Core: a mapping as written in the config (plain TOML data) checked and made frozen values.

Pure: no I/O here. :func:`parse_mapping` raises :class:`SpecError` naming the
dotted key at fault (``fields.title.transforms[1]: unknown transform 'trimm'``),
so that a wrong mapping stops syncd at start, before any file is read.
The shape is documented in ``docs/mapping.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AnyMapping
from typing import Any

from syncd.core.map.model import (
    _UNSET,
    Case,
    Condition,
    Key,
    Mapping,
    Rule,
    Segment,
    Select,
    SpecError,
    Step,
    parse_target,
)
from syncd.core.map.registry import TRANSFORMS
from syncd.core.validate.feed import KNOWN_FIELDS

MAP_STEP = "map"
_RULE_KEYS = frozenset(
    {"source", "const", "template", "cases", "transforms", "default", "required", "optional"}
    | {"list"}
)
_WAYS = ("source", "const", "template", "cases")
# Sub-fields syncd knows; anything under category_fields is free (per category).
_SUBFIELDS = {
    "price": frozenset({"amount", "currency"}),
    "location": frozenset({"zipcode", "lkf", "latitude", "longitude"}),
    "contact": frozenset({"name", "phone", "email"}),
}
_PRICE_TYPES = ("list", "reduced", "leasing")


def parse_mapping(data: AnyMapping[str, Any]) -> Mapping:
    """Check a ``[feeds.mapping]`` table and build the :class:`Mapping` it describes."""
    _known(data, {"fields", "maps", "skip"}, "")
    tables = _tables(data.get("maps", {}))
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise SpecError("fields", "a mapping needs a [fields] table: target = source")
    rules = tuple(_rule(t, spec, tables) for t, spec in fields.items())
    skip = data.get("skip", [])
    skip = [skip] if isinstance(skip, dict) else skip
    if not isinstance(skip, list):
        raise SpecError("skip", "must be a table or a list of tables")
    conditions = tuple(_condition(c, f"skip[{i}]") for i, c in enumerate(skip))
    return Mapping(rules=rules, tables=tables, skip=conditions)


def _known(data: Any, keys: set[str] | frozenset[str], where: str) -> None:
    if not isinstance(data, dict):
        raise SpecError(where.rstrip(".") or "mapping", "must be a table")
    for key in data:
        if key not in keys:
            raise SpecError(f"{where}{key}", f"unknown key (known: {', '.join(sorted(keys))})")


def _tables(data: Any) -> dict[str, dict[str, Any]]:
    """Value maps: keys case-folded and trimmed; a list value means several values."""
    _known(data, set(data) if isinstance(data, dict) else set(), "maps.")
    tables: dict[str, dict[str, Any]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise SpecError(f"maps.{name}", "must be a table of value = replacement")
        tables[name] = {
            str(k).strip().casefold(): tuple(v) if isinstance(v, list) else v
            for k, v in table.items()
        }
    return tables


def _target(target: str) -> tuple[Segment, ...]:
    key = f"fields.{target}"
    path = parse_target(target)
    if not path or not isinstance(path[0], Key):
        raise SpecError(key, "not a target path (write e.g. category_fields.brand)")
    top = path[0].name
    if top not in KNOWN_FIELDS:
        raise SpecError(key, f"{top!r} is not a field of the Pro Import API's ad")
    rest = path[1:]
    if top == "category_fields":
        if any(isinstance(s, Select) for s in rest):
            raise SpecError(key, "category_fields take no [key=value] entries")
        return path
    if top == "price":
        return _price_target(key, path)
    allowed = _SUBFIELDS.get(top)
    if rest and (allowed is None or len(rest) != 1 or not _allowed(rest[0], allowed)):
        known = f" (known: {', '.join(sorted(allowed))})" if allowed else ""
        raise SpecError(key, f"{top} has no such sub-field{known}")
    return path


def _allowed(segment: Segment, names: frozenset[str]) -> bool:
    return isinstance(segment, Key) and segment.name in names


def _price_target(key: str, path: tuple[Segment, ...]) -> tuple[Segment, ...]:
    rest = path[1:]
    if not rest:
        return path
    entry = rest[0]
    if not (isinstance(entry, Select) and entry.key == "type" and entry.value in _PRICE_TYPES):
        raise SpecError(key, "a price entry is written price[type=list|reduced|leasing]")
    if len(rest) > 2 or (len(rest) == 2 and not _allowed(rest[1], _SUBFIELDS["price"])):
        raise SpecError(key, "a price entry has the sub-fields amount and currency")
    return path


def _rule(target: str, spec: Any, tables: AnyMapping[str, Any]) -> Rule:
    path = _target(target)
    key = f"fields.{target}"
    if isinstance(spec, str):
        return Rule(target=target, path=path, sources=(spec,))
    _known(spec, _RULE_KEYS, f"{key}.")
    ways = [w for w in _WAYS if w in spec]
    if len(ways) != 1:
        raise SpecError(key, "give exactly one of source, const, template or cases")
    sources = spec.get("source", ())
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    if not all(isinstance(s, str) and s for s in sources):
        raise SpecError(f"{key}.source", "must be a source name or a list of them")
    steps = spec.get("transforms", [])
    if not isinstance(steps, list):
        raise SpecError(f"{key}.transforms", "must be a list")
    cases = spec.get("cases", [])
    if not isinstance(cases, list):
        raise SpecError(f"{key}.cases", "must be a list of tables")
    return Rule(
        target=target,
        path=path,
        sources=sources,
        const=spec.get("const", _UNSET),
        template=_template(spec.get("template"), f"{key}.template"),
        cases=tuple(_case(c, f"{key}.cases[{i}]") for i, c in enumerate(cases)),
        steps=tuple(_step(s, f"{key}.transforms[{i}]", tables) for i, s in enumerate(steps)),
        default=spec.get("default", _UNSET),
        required=_flag(spec, "required", key),
        optional=_flag(spec, "optional", key),
        as_list=_flag(spec, "list", key),
    )


def _flag(spec: AnyMapping[str, Any], name: str, key: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise SpecError(f"{key}.{name}", "must be true or false")
    return value


def _template(value: Any, key: str) -> str | None:
    if value is not None and (not isinstance(value, str) or "{" not in value):
        raise SpecError(key, "must be a string naming sources in braces: '{make} {model}'")
    return value


def _step(spec: Any, key: str, tables: AnyMapping[str, Any]) -> Step:
    if isinstance(spec, str):
        name, arg = spec, None
    elif isinstance(spec, dict) and len(spec) == 1:
        name, arg = next(iter(spec.items()))
    else:
        raise SpecError(key, 'a transform is a name ("trim") or one name = argument ({take = 5})')
    if name == MAP_STEP:
        if arg not in tables:
            known = ", ".join(sorted(tables)) or "none"
            raise SpecError(key, f"no value map {arg!r} in [maps] (known: {known})")
        return Step(MAP_STEP, arg)
    transform = TRANSFORMS.get(name)
    if transform is None:
        known = ", ".join(sorted([*TRANSFORMS, MAP_STEP]))
        raise SpecError(key, f"unknown transform {name!r} (known: {known})")
    return Step(name, transform.check(f"{key}.{name}", arg))


def _case(spec: Any, key: str) -> Case:
    if not isinstance(spec, dict) or "value" not in spec:
        raise SpecError(key, "a case is {source = ..., equals|matches = ..., value = ...}")
    rest = {k: v for k, v in spec.items() if k != "value"}
    return Case(when=_condition(rest, key), value=spec["value"])


def _condition(spec: Any, key: str) -> Condition:
    _known(spec, {"source", "equals", "matches", "empty"}, f"{key}.")
    source = spec.get("source")
    if not isinstance(source, str) or not source:
        raise SpecError(f"{key}.source", "is required: the source the condition tests")
    tests = [t for t in ("equals", "matches", "empty") if t in spec]
    if len(tests) != 1:
        raise SpecError(key, "give exactly one of equals, matches or empty")
    equals = spec.get("equals", ())
    equals = (equals,) if isinstance(equals, str) else tuple(equals)
    matches = spec.get("matches")
    try:
        pattern = re.compile(matches) if isinstance(matches, str) else None
    except re.error as exc:
        raise SpecError(f"{key}.matches", f"not a regular expression: {exc}") from None
    empty = spec.get("empty")
    return Condition(source, tuple(str(e).strip().casefold() for e in equals), pattern, empty)
