"""Core: one record through a mapping: ``apply(mapping, record) -> (payload, issues)``.

Pure: no I/O here. Each rule gets its value (a constant, the first case that
holds, a template, or the first non-empty source), runs its transforms, and puts
the result at its target path. A transform that fails, a value a value map does
not know or a required value missing becomes an :class:`Issue` naming the target
field and the value; that field is left out and the other rules still run, so
one bad cell makes that item alone invalid (validation reports it).

Speed (``bench/feeds.py``): a mapping is compiled once, on its first use, into
one closure per rule, with its source, transform chain and target path resolved
in advance. A closure handles the common case itself (a non-empty value whose
transforms succeed) and hands anything else (an empty value, a default, a
failing transform, a wrong number of values) to :func:`rule.value_of`, the
reference meaning of a rule, so both paths give the same payload and issues.
A rule of one column gets the closure of its kind: no transform, one that always
gives a number (:data:`NUMBER_TRANSFORMS`) or a string (:data:`TEXT_TRANSFORMS`),
or any other, each skipping the checks its value never needs
(``tests/unit/core/test_map_compiled.py`` checks them all against the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from syncd.core.map import registry
from syncd.core.map.model import (
    Mapping,
    Record,
    Rule,
    Step,
    TransformError,
    render,
)
from syncd.core.map.rule import (
    LIST_TARGETS,
    Put,
    fraction_id,
    holds,
    lookup,
    putter,
    skipped,
    value_of,
)
from syncd.core.map.spec import MAP_STEP
from syncd.core.models import Issue

__all__ = ["apply", "skipped"]

Fill = Callable[[Record, dict[str, Any], list[Issue]], None]
"""One compiled rule: puts its value into the payload, or adds its issue."""
Getter = Callable[[Record], Any]
_EMPTY: Any = object()  # a getter's "no value here": the reference path decides
_COMPILED = "rules"


def apply(mapping: Mapping, record: Record) -> tuple[dict[str, Any], tuple[Issue, ...]]:
    """The payload a record maps to, and the issues found on the way."""
    fills = mapping.memo.get(_COMPILED)
    if fills is None:
        fills = mapping.memo[_COMPILED] = tuple(_compile(mapping, rule) for rule in mapping.rules)
    payload: dict[str, Any] = {}
    issues: list[Issue] = []
    for fill in fills:
        fill(record, payload, issues)
    if (issue := fraction_id(payload)) is not None:  # 12.5 as an id: see fraction_id
        issues.append(issue)
    return payload, tuple(issues) if issues else ()


def _compile(mapping: Mapping, rule: Rule) -> Fill:
    get = _getter(rule)
    chain = _chain(mapping, rule.steps)
    put_at = putter(rule.path)
    as_list = rule.as_list or rule.target in LIST_TARGETS
    # A constant object or list (or one from a case or a value map) is copied: a
    # later rule writing inside it (``contact`` constant, then ``contact.phone``)
    # must not change it for the next record.
    copied = rule.has_const or bool(rule.cases) or any(_shares(mapping, s) for s in rule.steps)

    def slow(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
        value, issue = value_of(mapping, rule, record)
        if issue is not None:
            issues.append(issue)
        elif value is not None:
            put_at(payload, _copy(value) if copied else value)

    quiet = not rule.has_default and not rule.required  # an empty value: nothing to do

    def fill(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
        raw = get(record)
        if raw is _EMPTY:
            return None if quiet else slow(record, payload, issues)
        try:
            value = chain(raw)
        except TransformError:
            return slow(record, payload, issues)
        if isinstance(value, list):
            if not value or (not as_list and len(value) != 1):
                return slow(record, payload, issues)
            if not as_list:
                value = value[0]
        elif value is None or (isinstance(value, str) and not value.strip()):
            return slow(record, payload, issues)
        elif as_list:
            value = [value]
        put_at(payload, _copy(value) if copied else value)
        return None

    if rule.has_const and not rule.steps:
        return _constant(mapping, rule, put_at) or slow
    if len(rule.sources) == 1 and not copied:
        if len(rule.steps) == 1 and rule.steps[0].name in _TYPED_TRANSFORMS:
            step = rule.steps[0]
            run = registry.TRANSFORMS[step.name].run
            return _typed_of_one_source(
                rule.sources[0],
                run,
                step.arg,
                put_at,
                as_list=as_list,
                other=fill,
                text=step.name in TEXT_TRANSFORMS,
            )
        one = _one_string(mapping, rule)
        return _from_one_source(rule.sources[0], one, put_at, as_list=as_list, other=fill)
    return fill


def _from_one_source(
    source: str, one: Callable[[str], Any] | None, put_at: Put, *, as_list: bool, other: Fill
) -> Fill:
    """The fastest case, a rule reading one column that holds one string; any
    other case (several strings, none, an empty one...) goes to ``other``."""
    if one is None:  # no transforms: the non-blank string itself is the value

        def as_read(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
            values = record.get(source)
            if values is None or len(values) != 1 or not (raw := values[0]).strip():
                return other(record, payload, issues)
            put_at(payload, [raw] if as_list else raw)
            return None

        return as_read

    def fill(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
        values = record.get(source)
        if values is None or len(values) != 1 or not (raw := values[0]).strip():
            return other(record, payload, issues)
        try:
            value = raw if one is None else one(raw)
        except TransformError:
            return other(record, payload, issues)
        if isinstance(value, str):
            if not value.strip():
                return other(record, payload, issues)
            put_at(payload, [value] if as_list else value)
        elif isinstance(value, list):
            if not value or (not as_list and len(value) != 1):
                return other(record, payload, issues)
            put_at(payload, value if as_list else value[0])
        elif value is None:
            return other(record, payload, issues)
        else:
            put_at(payload, [value] if as_list else value)
        return None

    return fill


NUMBER_TRANSFORMS = frozenset({"int", "number", "unit", "bool"})
"""Transforms that give a number (or a bool) or raise TransformError: never None, a
string or a list (``numbers.py``), so what they give is put as it is."""


TEXT_TRANSFORMS = frozenset({"trim", "collapse", "lower", "upper", "slug", "html_text", "phone"})
"""Transforms that give a string or raise TransformError (``text.py``): what they
give is put unless it is blank."""

_TYPED_TRANSFORMS = NUMBER_TRANSFORMS | TEXT_TRANSFORMS


def _typed_of_one_source(
    source: str,
    run: Callable[[Any, Any], Any],
    arg: Any,
    put_at: Put,
    *,
    as_list: bool,
    other: Fill,
    text: bool,
) -> Fill:
    """``_from_one_source`` for a rule of one of :data:`NUMBER_TRANSFORMS` (its value is
    never blank or a list: put without looking at it) or, ``text``, of
    :data:`TEXT_TRANSFORMS` (a string: put unless blank)."""

    def typed_fill(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
        values = record.get(source)
        if values is None or len(values) != 1 or not (raw := values[0]).strip():
            return other(record, payload, issues)
        try:
            value = run(raw, arg)
        except TransformError:
            return other(record, payload, issues)
        if text and not value.strip():
            return other(record, payload, issues)
        put_at(payload, [value] if as_list else value)
        return None

    return typed_fill


def _one_string(mapping: Mapping, rule: Rule) -> Callable[[str], Any] | None:
    """The rule's transforms for a value known to be one non-empty string (None: none)."""
    steps = rule.steps
    if not steps:
        return None
    if len(steps) == 1 and steps[0].name != MAP_STEP:
        transform = registry.TRANSFORMS[steps[0].name]
        run, arg = transform.run, steps[0].arg
        if transform.on_list:
            return lambda raw: run([raw], arg)
        return lambda raw: run(raw, arg)
    return _chain(mapping, steps)


def _constant(mapping: Mapping, rule: Rule, put_at: Put) -> Fill | None:
    """A constant without transforms: the same value for every record, shaped once."""
    value, issue = value_of(mapping, rule, {})
    if issue is not None or value is None:
        return None

    if not isinstance(value, dict | list):  # a scalar is never changed: no copy to make

        def scalar(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
            put_at(payload, value)

        return scalar

    def fill(record: Record, payload: dict[str, Any], issues: list[Issue]) -> None:
        put_at(payload, _copy(value))

    return fill


def _shares(mapping: Mapping, step: Step) -> bool:
    """Whether a step may give an object of the mapping itself (a value map's table)."""
    if step.name != MAP_STEP:
        return False
    return any(isinstance(v, dict | list) for v in mapping.tables[step.arg].values())


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _getter(rule: Rule) -> Getter:
    """The rule's value before its transforms, or ``_EMPTY`` when it has none."""
    if rule.has_const:
        const = rule.const
        return lambda record: _EMPTY if _blank(const) else const
    if rule.cases:
        cases = rule.cases

        def case_value(record: Record) -> Any:
            for case in cases:
                if holds(case.when, record):
                    return _EMPTY if _blank(case.value) else case.value
            return _EMPTY

        return case_value
    if rule.template is not None:
        template = rule.template

        def rendered(record: Record) -> Any:
            return render(template, record) or _EMPTY

        return rendered
    if len(rule.sources) == 1:
        (source,) = rule.sources

        def one(record: Record) -> Any:
            values = record.get(source)
            if values is None:
                return _EMPTY
            if len(values) == 1:
                value = values[0]
                return value if value.strip() else _EMPTY
            return list(values) if any(v.strip() for v in values) else _EMPTY

        return one
    return _coalesced(rule.sources)


def _coalesced(sources: tuple[str, ...]) -> Getter:
    def first(record: Record) -> Any:
        for source in sources:
            values = record.get(source, ())
            if any(v.strip() for v in values):
                return values[0] if len(values) == 1 else list(values)
        return _EMPTY

    return first


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def _chain(mapping: Mapping, steps: tuple[Step, ...]) -> Callable[[Any], Any]:
    """The transforms in order; an empty value ends the chain (as ``rule._run``)."""
    runs = tuple(_step(mapping, step) for step in steps)
    if not runs:
        return lambda value: value
    if len(runs) == 1:
        return runs[0]  # the getter gave a non-empty value

    def chain(value: Any) -> Any:
        for run in runs:
            if isinstance(value, str):
                if not value.strip():
                    return value
            elif value is None or value == []:
                return value
            value = run(value)
        return value

    return chain


def _step(mapping: Mapping, step: Step) -> Callable[[Any], Any]:
    arg = step.arg
    if step.name == MAP_STEP:
        entries = mapping.tables[arg]
        return lambda value: _map(entries, arg, value)
    transform = registry.TRANSFORMS[step.name]
    run = transform.run
    if transform.on_list:
        return lambda value: run(value if isinstance(value, list) else [value], arg)

    def scalar(value: Any) -> Any:
        if isinstance(value, list):
            return [run(v, arg) for v in value]
        return run(value, arg)

    return scalar


def _map(entries: Any, table: str, value: Any) -> Any:
    if not isinstance(value, list):
        return lookup(entries, table, value)
    result: list[Any] = []
    for v in value:
        found = lookup(entries, table, v)
        result.extend(found if isinstance(found, list) else [found])
    return result
