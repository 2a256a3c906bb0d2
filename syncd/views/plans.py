"""Use cases: a plan as the CLI shows it: its JSON (``plan --json``) and the text of each
entry (the rich table is in :mod:`syncd.tables`).

No I/O. A create's body and an update's changes are the dealer's own, shown whole (as
``syncd show`` does); an invalid item's reasons may quote contact data the validation
refused: e-mail addresses and phone numbers in them are masked
(:func:`syncd.core.contacts.mask`), as ``syncd status`` masks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from syncd.core.contacts import mask
from syncd.core.models import (
    Create,
    Delete,
    Invalid,
    Plan,
    PlanEntry,
    Unchanged,
    Update,
    entry_kind,
)


def entry_json(entry: PlanEntry) -> dict[str, Any]:
    """One plan entry as a JSON-ready dict (an invalid item's reasons masked)."""
    doc: dict[str, Any] = {
        "kind": entry_kind(entry),
        "source_id": entry.source_id,
        "dealer_code": entry.dealer_code,
    }
    match entry:
        case Create():
            doc["method"] = "POST"
            doc["body"] = dict(entry.body)
            if entry.followup:
                doc["followup"] = dict(entry.followup)
        case Update():
            doc["method"] = "PATCH"
            doc["changes"] = dict(entry.changes)
        case Delete():
            doc["method"] = "DELETE"
        case Unchanged():
            doc["reason"] = entry.reason
        case Invalid():
            doc["origin"] = str(entry.origin) if entry.origin else None
            # The reason may quote a value: masked, as status masks it (the payloads of
            # a create or an update are the dealer's own, shown whole, as `show` does).
            doc["issues"] = [{"field": i.field, "reason": mask(i.reason)} for i in entry.issues]
    return doc


def shown(entry: PlanEntry) -> bool:
    """Whether a plan shows the entry without ``--all``: every call and invalid item, and
    the pinned ads it keeps although the feed no longer has them (``syncd pin``)."""
    return not isinstance(entry, Unchanged) or entry.reason == "pinned"


def plan_json(plan: Plan, *, include_unchanged: bool = False) -> dict[str, Any]:
    """The plan as JSON: counts and the entries that matter (pinned ads kept included)."""
    entries = [entry_json(e) for e in plan.entries if include_unchanged or shown(e)]
    return {"dealer_code": plan.dealer_code, "counts": plan.counts(), "entries": entries}


def short(value: Any) -> str:
    """A value for one line: a price list as ``type amount, ...``, anything else as JSON
    (``-`` for None), cut to 40 characters."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(p, Mapping) and "type" in p and "amount" in p for p in value)
    ):
        return ", ".join(f"{p['type']} {p['amount']}" for p in value)  # a price list
    text = "-" if value is None else orjson.dumps(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."


def change_lines(
    before: Mapping[str, Any], changes: Mapping[str, Any], prefix: str = ""
) -> list[str]:
    """``field: old → new`` for every changed leaf (nested objects dotted, lists whole)."""
    lines = []
    for key in sorted(changes):
        new, old = changes[key], before.get(key)
        path = f"{prefix}{key}"
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            lines.extend(change_lines(old, new, path + "."))
        else:
            lines.append(f"{path}: {short(old)} → {short(new)}")
    return lines


def detail(entry: PlanEntry) -> str:
    match entry:
        case Create():
            extra = " then PATCH price (reduced)" if entry.followup else ""
            return f"POST {len(entry.body)} fields{extra}"
        case Update():
            return "PATCH " + "; ".join(change_lines(entry.before or {}, entry.changes))
        case Delete():
            return "DELETE"
        case Invalid():
            where = f"{entry.origin}: " if entry.origin else ""
            return where + mask("; ".join(str(i) for i in entry.issues))  # the record whole
        case Unchanged(reason="pinned"):
            return "pinned: kept although the feed no longer has it (syncd unpin to let it go)"
        case Unchanged():
            return entry.reason
    return ""  # pragma: no cover
