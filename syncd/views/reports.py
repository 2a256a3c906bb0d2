"""Use cases: what a run shows: its report (``run-once``, ``apply``, ``release-deletes``),
its recorded row (``status``) and the daemon's STATUS= line.

No I/O: these functions turn values into JSON-ready dicts or lines; the CLI and the
daemon print them. A run's note, its guard, warnings and problem messages, and an
invalid item's reason may quote contact data the API or the validation refused: e-mail
addresses and phone numbers in them are masked (:func:`syncd.core.contacts.masked`), as
the status page masks them. Ids (dealer codes, source_ids, records) are shown as they
are: they are no contact data, and a script reads them back (an all-digit id would look
like a phone number).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncd.core.contacts import mask, masked
from syncd.core.models import ItemProblem, RunSummary
from syncd.runs import RunReport
from syncd.terminal import printable


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
