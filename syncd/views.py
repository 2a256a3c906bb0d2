"""Use cases: what the CLI and the daemon show — plans, run reports, status, STATUS= lines.

No I/O: these functions turn values into JSON-ready dicts or lines (the rich
tables are in :mod:`syncd.tables`); the CLI and the daemon print them. Seller
contact data is never shown here, except by ``syncd map``, which shows the dealer
their own records, on stdout only, to check a mapping by eye. The messages
``syncd status`` shows (a run's note, an invalid item's reason, a failing ad's last
message, why deletes are held back), and those of a run's report and a plan's
invalid items, may quote contact data the API or the validation refused: e-mail
addresses and phone numbers in them are masked (:func:`syncd.core.contacts.masked`), as the status
page masks them. Ids (dealer codes, source_ids,
records) are shown as they are: they are no contact data, and a script reads them
back (an all-digit id would look like a phone number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from syncd.core.contacts import mask, masked
from syncd.core.models import (
    Accepted,
    Create,
    Delete,
    FeedItem,
    Invalid,
    ItemProblem,
    MirrorAd,
    Plan,
    PlanEntry,
    RawFeed,
    RunSummary,
    Unchanged,
    Update,
    ValidatedFeed,
    WriteResult,
    entry_kind,
)
from syncd.release import Withheld
from syncd.runs import RunReport
from syncd.terminal import printable

if TYPE_CHECKING:  # the mapping compiler is imported only by a mapped feed's reader
    from syncd.core.map import MappedRecord


def _fields(payload: Mapping[str, Any]) -> list[str]:
    return sorted(payload)


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


def _short(value: Any) -> str:
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
            lines.append(f"{path}: {_short(old)} → {_short(new)}")
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


def run_json(summary: RunSummary) -> dict[str, Any]:
    """A run row as JSON, contact data in its message and reasons masked."""
    return {
        "run_id": summary.run_id,
        "dealer_code": summary.dealer_code,
        "started_at": summary.started_at.isoformat(),
        "finished_at": summary.finished_at.isoformat() if summary.finished_at else None,
        "feed_checksum": summary.feed_checksum,
        "outcome": summary.outcome,
        "counts": dict(summary.counts),
        "message": masked(summary.message),
        "invalid": [problem_json(p) for p in summary.invalid],
        "invalid_omitted": summary.invalid_omitted,
    }


def problem_json(problem: ItemProblem) -> dict[str, Any]:
    """One recorded problem of an invalid item as JSON, contact data in its reason masked."""
    return {
        "record": problem.record,
        "source_id": problem.source_id,
        "field": problem.field,
        "reason": mask(problem.reason),
    }


def status_json(
    counts: Mapping[str, int],
    runs: Sequence[RunSummary],
    failing: Sequence[MirrorAd],
    latest: Sequence[RunSummary],
) -> dict[str, Any]:
    """``status --json``: ads per state, the last runs, the failing ads, and the invalid
    items of each dealer's latest finished run (``latest``), each with dealer_code and
    run_id; ``invalid_omitted`` names the runs that recorded only part of theirs."""
    return {
        "ads": dict(counts),
        "runs": [run_json(r) for r in runs],
        "failing": [failing_json(a) for a in failing],
        "invalid": [
            {"dealer_code": r.dealer_code, "run_id": r.run_id, **problem_json(p)}
            for r in latest
            for p in r.invalid
        ],
        "invalid_omitted": [
            {"dealer_code": r.dealer_code, "run_id": r.run_id, "omitted": r.invalid_omitted}
            for r in latest
            if r.invalid_omitted
        ],
    }


def failing_json(ad: MirrorAd) -> dict[str, Any]:
    """A failing ad as JSON (no payload: it holds the seller's contact data; the same
    masked in its message)."""
    return {
        "dealer_code": ad.dealer_code,
        "source_id": ad.source_id,
        "op": str(ad.last_op) if ad.last_op else None,
        "stage": str(ad.stage) if ad.stage else None,
        "message": masked(ad.message),
        "updated_at": ad.updated_at.isoformat() if ad.updated_at else None,
    }


def report_lines(r: RunReport) -> list[str]:
    """The lines ``run-once`` (and ``apply``, ``release-deletes``) prints for one run:
    outcome and counts, guard, warnings, problems; contact data in the messages masked."""
    shown = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v)
    dealer = printable(r.dealer_code or "(token dealer)")
    lines = [f"run {r.run_id} dealer {dealer}: {r.outcome} ({shown})"]
    # Each message masked whole, then cut (a cut address would no longer be masked).
    if r.guard:
        lines.append(
            f"  deletes and creates held back: {printable(mask(r.guard), 500)}; "
            "run with --allow-mass-delete if the feed is right"
        )
    lines.extend(f"  warning: {printable(mask(w), 500)}" for w in r.warnings)
    lines.extend(
        f"  {printable(source_id or '?')}: {printable(mask(message), 500)}"
        for source_id, message in r.problems
    )
    return lines


def report_json(r: RunReport) -> dict[str, Any]:
    """One run's report as ``run-once --json`` prints it, contact data in its guard,
    warnings and problem messages masked (the source_ids whole)."""
    return {
        "run_id": r.run_id,
        "dealer_code": r.dealer_code,
        "outcome": r.outcome,
        "counts": r.counts,
        "guard": masked(r.guard),
        "warnings": [mask(w) for w in r.warnings],
        "problems": [{"source_id": s, "message": mask(m)} for s, m in r.problems],
    }


def describe_run(report: RunReport, at: datetime) -> str:
    """One line for systemd's STATUS=: dealer, outcome, time and non-zero counts."""
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()) if v)
    dealer = printable(report.dealer_code or "(token dealer)", 40)
    return f"{dealer}: run {report.run_id} {report.outcome} at {at:%Y-%m-%d %H:%M:%S}Z" + (
        f" ({counts})" if counts else ""
    )


# --- syncd validate and syncd map ------------------------------------------------


def _at(data: Any, field: str) -> Any:
    """The value at a dotted path with indexes (``price[0].amount``), or None."""
    node = data
    for part in field.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def validation_json(label: str, raw: RawFeed, feed: ValidatedFeed) -> dict[str, Any]:
    """One feed's validation report: every problem (record, source_id, field, value,
    reason), then the counts."""
    invalid = {str(item.origin) for item in feed.invalid}
    # Only the invalid items' records are decoded again (a packed one is text).
    data = {key: r.value() for r in raw.records if (key := str(r.origin)) in invalid}
    problems = [
        {
            "record": str(item.origin),
            "source_id": item.source_id,
            "field": issue.field,
            "value": masked(
                issue.value if issue.value is not None else _value(data, item, issue.field)
            ),
            "reason": mask(issue.reason),
        }
        for item in feed.invalid
        for issue in item.issues
    ]
    return {
        "feed": label,
        "path": feed.meta.path,
        "problems": problems,
        "counts": {
            "items": len(raw.records),
            "valid": len(feed.items),
            "invalid": len(feed.invalid),
        },
    }


def _value(data: Mapping[str, Any], item: Any, field: str) -> str | None:
    found = _at(data.get(str(item.origin)), field)
    return None if found is None else _short(mask(found) if isinstance(found, str) else found)


def _source(record: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in record.items()}


def map_json(records: Sequence[MappedRecord]) -> list[dict[str, Any]]:
    """Records as read beside the payload each maps to (null: skipped by the filter)."""
    return [
        {
            "record": str(m.origin),
            "source": _source(m.source),
            "payload": m.payload,
            "issues": [{"field": i.field, "value": i.value, "reason": i.reason} for i in m.issues],
        }
        for m in records
    ]


def pretty(payload: Any) -> str:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


def withheld_json(withheld: Withheld | None, dealer_code: str, error: str | None) -> dict[str, Any]:
    """The deletes a guard holds back for one dealer now (or why they are unknown: a feed's
    error may quote a cell, masked)."""
    if withheld is None:
        return {"dealer_code": dealer_code, "guard": None, "source_ids": [], "error": masked(error)}
    return {
        "dealer_code": withheld.dealer_code,
        "guard": masked(withheld.guard),
        "source_ids": withheld.source_ids,
        "error": None,
    }


def remote_json(answers: Sequence[tuple[FeedItem, WriteResult]]) -> dict[str, Any]:
    """The API validate endpoint's answer per item syncd found valid (``validate --remote``)."""
    rows = [
        {
            "record": str(item.origin),
            "source_id": item.source_id,
            "answer": "accepted" if isinstance(result, Accepted) else "refused",
            "status": result.status,
            "messages": [] if isinstance(result, Accepted) else [mask(m) for m in result.messages],
        }
        for item, result in answers
    ]
    refused = sum(1 for r in rows if r["answer"] == "refused")
    return {
        "checked": len(rows),
        "accepted": len(rows) - refused,
        "refused": refused,
        "answers": rows,
    }
