"""Use cases: the rich tables a command prints on a terminal (:mod:`syncd.views` has the JSON).

Every cell goes through :func:`~syncd.terminal.printable`: a feed's or the
API's text cannot move the cursor or recolour the terminal. The status tables mask
e-mail addresses and phone numbers in their messages before the cut, as
:func:`syncd.core.contacts.masked` says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from syncd.core.contacts import masked
from syncd.core.map import MappedRecord
from syncd.core.models import MirrorAd, Plan, RunSummary, Unchanged, entry_kind
from syncd.terminal import LIMIT, printable
from syncd.views import feeds, plans


def _cell(value: object, limit: int = LIMIT) -> Text:
    """A table cell: escaped and cut (:func:`printable`), and never read as rich markup."""
    return Text(printable("" if value is None else value, limit))


def _said(message: str | None, limit: int = 500) -> Text:
    """A message cell: contact data masked (whole, so the cut splits no address), then cut."""
    return _cell(masked(message), limit)


def _lines(lines: Sequence[str], limit: int = LIMIT) -> Text:
    """A multi-line cell: each line escaped and cut on its own."""
    return Text("\n".join(printable(line, limit) for line in lines))


def plan_table(plan: Plan, *, include_unchanged: bool = False) -> Table:
    """A readable diff: one row per call that would be sent (and per invalid item)."""
    counts = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
    dealer = printable(plan.dealer_code or "(token dealer)")
    table = Table(title=Text(f"Plan for dealer {dealer}: {counts}"))
    table.add_column("kind")
    table.add_column("source_id")
    table.add_column("what")
    for entry in plan.entries:
        if isinstance(entry, Unchanged) and not include_unchanged and not plans.shown(entry):
            continue
        table.add_row(
            entry_kind(entry), _cell(entry.source_id or "?"), _cell(plans.detail(entry), 1000)
        )
    return table


def status_tables(
    counts: Mapping[str, int],
    runs: Sequence[RunSummary],
    failing: Sequence[MirrorAd],
    latest: Sequence[RunSummary] = (),
    limit: int | None = None,
) -> list[Table]:
    """Counts per state, the last runs, the failing ads with their last message, and the
    invalid items of each dealer's latest finished run (at most ``limit`` of them)."""
    states = Table(title="Ads by state")
    states.add_column("state")
    states.add_column("ads", justify="right")
    for state, n in sorted(counts.items()):
        states.add_row(state, str(n))
    last = Table(title="Last runs")
    for col in ("run", "dealer", "started", "outcome", "counts", "note"):
        last.add_column(col)
    for r in runs:
        shown = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v)
        last.add_row(
            str(r.run_id),
            _cell(r.dealer_code or "-"),
            r.started_at.isoformat(timespec="seconds"),
            r.outcome or "running",
            shown,
            _said(r.message),
        )
    bad = Table(title="Failing ads")
    for col in ("source_id", "op", "stage", "message"):
        bad.add_column(col)
    for ad in failing:
        bad.add_row(
            _cell(ad.source_id), str(ad.last_op or ""), str(ad.stage or ""), _said(ad.message)
        )
    return [states, last, bad, invalid_table(latest, limit)]


def invalid_table(latest: Sequence[RunSummary], limit: int | None = None) -> Table:
    """The invalid items of each dealer's latest finished run; the caption says how many
    more there are and where to see them."""
    table = Table(title="Invalid items (last run)")
    for col in ("dealer", "run", "record", "source_id", "field", "reason"):
        table.add_column(col)
    rows = [(r, p) for r in latest for p in r.invalid]
    shown = rows if limit is None else rows[:limit]
    for r, p in shown:
        table.add_row(
            _cell(r.dealer_code or "-"),
            str(r.run_id),
            _cell(p.record or "-"),
            _cell(p.source_id or "?"),
            _cell(p.field),
            _said(p.reason),
        )
    notes = []
    if len(shown) < len(rows):
        notes.append(f"{len(rows) - len(shown)} more in `syncd status --json`")
    if omitted := sum(r.invalid_omitted for r in latest):
        notes.append(f"{omitted} more not recorded (`syncd validate` lists every one)")
    if notes:
        table.caption = "; ".join(notes)
    return table


def validation_table(report: Mapping[str, Any]) -> Table:
    """The validation report as a table, the counts in its caption."""
    c = report["counts"]
    table = Table(
        title=f"{report['feed']}: {report['path']}",
        caption=f"{c['items']} items: {c['valid']} valid, {c['invalid']} invalid",
    )
    for column in ("record", "source_id", "field", "value", "reason"):
        table.add_column(column, overflow="fold")
    for p in report["problems"]:
        table.add_row(*(_cell(p[k], 500 if k == "reason" else LIMIT) for k in p))
    return table


def map_table(records: Sequence[MappedRecord]) -> Table:
    """Records as read (left) beside their payloads (right)."""
    table = Table(show_lines=True)
    table.add_column("record as read", overflow="fold")
    table.add_column("payload", overflow="fold")
    for doc in feeds.map_json(records):
        source = [doc["record"], *(f"{k} = {v}" for k, v in doc["source"].items())]
        payload = (
            "skipped by the filter" if doc["payload"] is None else feeds.pretty(doc["payload"])
        )
        issues = [f"! {i['field']}: {i['reason']}" for i in doc["issues"]]
        table.add_row(_lines(source, 500), _lines([*payload.splitlines(), *issues], 500))
    return table


def withheld_table(docs: Sequence[Mapping[str, Any]]) -> Table:
    """Per dealer: the deletes a guard holds back, and why."""
    table = Table(title="Deletes held back by a guard (release: syncd release-deletes)")
    for col in ("dealer", "held back", "source_ids", "why"):
        table.add_column(col)
    for doc in docs:
        ids = doc["source_ids"]
        shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if ids[20:] else "")
        why = doc["guard"] if doc["error"] is None else f"feed unreadable: {doc['error']}"
        table.add_row(
            _cell(doc["dealer_code"] or "-"), str(len(ids)), _cell(shown, 2000), _cell(why, 500)
        )
    return table


def remote_table(report: Mapping[str, Any]) -> Table:
    """The API's answer per item syncd found valid (``validate --remote``)."""
    remote = report["remote"]
    table = Table(
        title=f"{report['feed']}: the API's answers",
        caption=f"{remote['checked']} asked: {remote['accepted']} accepted, "
        f"{remote['refused']} refused",
    )
    for column in ("record", "source_id", "answer", "messages"):
        table.add_column(column, overflow="fold")
    for row in remote["answers"]:
        table.add_row(
            _cell(row["record"]),
            _cell(row["source_id"]),
            _cell(row["answer"]),
            _lines(row["messages"], 500),
        )
    return table


def rows_table(
    title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None
) -> Table:
    """A titled table of JSON rows (pins, renewals): these columns, or every key of the first."""
    table = Table(title=title)
    columns = list(columns or (rows[0] if rows else []))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(c), 500) for c in columns))
    return table
