"""Core: a whole file's records through a mapping, and the one-per-file problems.

Pure: no I/O here. :func:`map_records` maps every record the reader produced
(those the filter skips are kept, with no payload, so ``syncd map`` can show
them), :func:`for_dealer` keeps one dealer's records of a dealer-group file,
and :func:`missing_sources` finds a source the mapping names that *no*
record has: one clear problem for the file (a wrong column name, a changed
export) instead of one issue per record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from syncd.core.map.apply import apply, skipped
from syncd.core.map.model import MappedRecord, Mapping, Record, template_sources
from syncd.core.models import Issue, Origin, RawRecord

_SHOWN_COLUMNS = 30


def map_records(
    mapping: Mapping, records: Iterable[tuple[Origin, Record, tuple[Issue, ...]]]
) -> list[MappedRecord]:
    """Each record as read beside its payload; reader issues come first."""
    mapped = []
    for origin, record, read_issues in records:
        if skipped(mapping, record):
            mapped.append(MappedRecord(origin, record, None, read_issues))
            continue
        payload, issues = apply(mapping, record)
        mapped.append(MappedRecord(origin, record, payload, (*read_issues, *issues)))
    return mapped


def for_dealer(
    mapped: Sequence[MappedRecord], dealer: str, group: Collection[str]
) -> list[MappedRecord]:
    """The records of ``dealer`` in a file that serves every dealer of ``group``.

    A record mapped to another dealer of the group is that dealer's: left out.
    Assumption: a record naming no dealer, or one the group does not list (a typo,
    a new branch), belongs to no run, so each dealer's run keeps it as an invalid
    item: its live ad, whichever dealer has it, is left as it is, never deleted.
    Records the filter skipped (no payload) are kept for ``syncd map`` to show.
    """
    return [kept for m in mapped if (kept := dealer_view(m, dealer, group)) is not None]


def dealer_view(m: MappedRecord, dealer: str, group: Collection[str]) -> MappedRecord | None:
    """One record as ``dealer``'s run sees it (see :func:`for_dealer`); None: not its own."""
    code = None if m.payload is None else m.payload.get("dealer_code")
    if m.payload is None or code == dealer:
        return m
    if code not in group:
        return _foreign(m, code, group)
    return None


def _foreign(m: MappedRecord, code: object, group: Collection[str]) -> MappedRecord:
    if any(i.field == "dealer_code" for i in m.issues):
        return m  # the mapping already said why it has no dealer
    dealers = ", ".join(sorted(group))
    reason = (
        f"is missing; this file serves the dealers {dealers}"
        if code is None
        else f"is {code!r}, not one of the dealers this file serves ({dealers})"
    )
    issue = Issue("dealer_code", reason, None if code is None else str(code))
    return MappedRecord(m.origin, m.source, m.payload, (*m.issues, issue))


def raw_records(mapped: Sequence[MappedRecord]) -> tuple[RawRecord, ...]:
    """The records the filter kept, as validation takes them."""
    return tuple(
        RawRecord(m.origin, m.payload, issues=m.issues) for m in mapped if m.payload is not None
    )


def missing_sources(mapping: Mapping, keys: set[str]) -> list[str]:
    """One sentence per rule (or filter) whose sources no record has.

    ``keys``: every source path found in any record of the file. A rule marked
    ``optional`` is not checked; for coalescing, one of its sources suffices.
    """
    if not keys:
        return []
    problems = []
    for rule in mapping.rules:
        names = list(rule.sources) + template_sources(rule.template)
        names += [c.when.source for c in rule.cases]
        if rule.optional or not names or any(n in keys for n in names):
            continue
        problems.append(f"{rule.target}: no record has {_names(names)}")
    problems += [f"skip: no record has {c.source!r}" for c in mapping.skip if c.source not in keys]
    problems += _twice_named(mapping, keys)
    if problems:
        found = sorted(keys)
        more = ", ..." if len(found) > _SHOWN_COLUMNS else ""
        problems.append("the file has: " + ", ".join(found[:_SHOWN_COLUMNS]) + more)
    return problems


def _twice_named(mapping: Mapping, keys: set[str]) -> list[str]:
    """A condition (``skip``, ``cases``) on a column the header names twice.

    Decision: such a filter or case cannot tell which column is meant (a ``Status``
    column twice: is a record sold when either says so, or only the first?), and a
    record wrongly skipped has its live ad deleted; so it is one clear problem of
    the file, nothing is sent, and the message says to write ``Name#1`` or
    ``Name#2`` (CSV and XLSX name a twice-named column's cells so).
    """
    where = [("skip", c) for c in mapping.skip]
    where += [(r.target, c.when) for r in mapping.rules for c in r.cases]
    return [
        f"{name}: {cond.source!r} is a column the header names twice; write "
        f"'{cond.source}#1' or '{cond.source}#2' to say which one the condition reads"
        for name, cond in where
        if f"{cond.source}#1" in keys
    ]


def _names(names: list[str]) -> str:
    return " or ".join(repr(n) for n in names)
