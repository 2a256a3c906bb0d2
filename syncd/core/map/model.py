"""Core: the declarative mapping as frozen values, and the neutral record it reads.

Pure: no I/O here. A feed reader of any format (CSV, XML, JSON) turns one record
of the dealer's export into a :data:`Record`: each *source path* (a CSV column,
an XML element path such as ``images/image`` or an attribute ``price/@currency``,
a dotted JSON path such as ``price.amount``) maps to the tuple of strings found
there, in document order. A column is always one string; a repeated element or
a JSON list gives several; a source that is absent from the record is not a key.
A :class:`Mapping` turns such a record into an API payload (``apply.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from syncd.core.models import Issue, Origin

Record: TypeAlias = AnyMapping[str, tuple[str, ...]]
"""One record of a dealer's export: source path -> the strings found there."""


class NumberText(str):
    """A string the file typed as a number (a JSON number, an Excel number cell).

    Its ``.`` is a decimal point for certain: ``1.125`` is one and an eighth, where
    the same text in a CSV cell could be 1 125 (``numbers.py`` guesses for text).
    Any string operation (``trim``, ``split``...) gives a plain string again.
    """

    __slots__ = ()


class FractionText(NumberText):
    """A JSON number written with a fraction or an exponent (``12.5``, ``1e3``): one
    that may not be the same text in every writer's hands (``1e3``, ``1000.0``), so it
    is never an ad's key (``rule.fraction_id``)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Key:
    """A path segment naming an object's key (``category_fields``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Select:
    """A path segment naming the list entry whose ``key`` is ``value`` (``price[type=list]``)."""

    key: str
    value: str


Segment: TypeAlias = Key | Select

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z_]+)=([A-Za-z0-9_-]+)\])?")


def parse_target(text: str) -> tuple[Segment, ...] | None:
    """``price[type=list].amount`` -> Key, Select, Key; None if malformed."""
    segments: list[Segment] = []
    for part in text.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            return None
        segments.append(Key(match.group(1)))
        if match.group(2) is not None:
            segments.append(Select(match.group(2), match.group(3)))
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class Step:
    """One named transform of a chain, with its argument already checked (``spec.py``)."""

    name: str
    arg: Any = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on one source: equal to one of ``equals`` (case-insensitive), or
    matching the regular expression ``matches`` (searched), or empty."""

    source: str
    equals: tuple[str, ...] = ()
    matches: re.Pattern[str] | None = None
    empty: bool | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """``value`` for the target when ``when`` holds (the first case that holds wins)."""

    when: Condition
    value: Any


_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Rule:
    """How one target field of the payload is made from a record.

    Exactly one way to get the value: ``const``, ``cases``, ``template`` or
    ``sources`` (the first non-empty of them: coalescing). Then ``steps`` run in
    order; an empty result takes ``default``; ``required`` makes a missing value
    an issue. ``as_list`` forces a list value (``image_urls`` and the like are
    lists anyway).
    """

    target: str
    path: tuple[Segment, ...]
    sources: tuple[str, ...] = ()
    const: Any = _UNSET
    template: str | None = None
    cases: tuple[Case, ...] = ()
    steps: tuple[Step, ...] = ()
    default: Any = _UNSET
    required: bool = False
    optional: bool = False
    as_list: bool = False

    @property
    def has_const(self) -> bool:
        return self.const is not _UNSET

    @property
    def has_default(self) -> bool:
        return self.default is not _UNSET


@dataclass(frozen=True, slots=True)
class Mapping:
    """A whole feed mapping: the rules in order, the value maps, and the record filter.

    ``tables`` are the value maps by name, keys case-folded; a value is a
    constant or a tuple (one value to several, e.g. a fuel to two fuels).
    ``skip``: a record matching any of these conditions is left out of the feed.
    """

    rules: tuple[Rule, ...]
    tables: AnyMapping[str, AnyMapping[str, Any]] = field(default_factory=dict)
    skip: tuple[Condition, ...] = ()
    # What is derived from the mapping once, on first use (``apply.py``'s compiled
    # rules): a cache of values computed from the fields above, not part of its value.
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Every source path the mapping reads, with the targets that read it."""
        found: dict[str, list[str]] = {}
        for rule in self.rules:
            names = list(rule.sources) + [c.when.source for c in rule.cases]
            names += template_sources(rule.template)
            for name in names:
                found.setdefault(name, []).append(rule.target)
        for cond in self.skip:
            found.setdefault(cond.source, []).append("skip")
        return {k: tuple(v) for k, v in found.items()}


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def template_sources(template: str | None) -> list[str]:
    """The source paths named by ``{...}`` placeholders of a template."""
    return [] if template is None else _PLACEHOLDER.findall(template)


def render(template: str, record: Record) -> str:
    """The template with each ``{source}`` replaced by its value (several joined by
    spaces, absent ones empty), whitespace collapsed."""
    text = _PLACEHOLDER.sub(lambda m: " ".join(record.get(m.group(1), ())), template)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class MappedRecord:
    """One record after mapping: the source as read beside the payload it maps to.

    ``payload`` is None when the filter skipped the record.
    """

    origin: Origin
    source: Record
    payload: dict[str, Any] | None
    issues: tuple[Issue, ...] = ()


class TransformError(ValueError):
    """A transform cannot make sense of a value; the message is the reason."""


class SpecError(ValueError):
    """A mapping in the config is wrong; ``key`` is the dotted key at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
