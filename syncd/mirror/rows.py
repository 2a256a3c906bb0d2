"""Adapter (mirror): conversions between the mirror's table rows and syncd's values.

JSON columns are encoded and decoded with orjson; enum columns hold the
enums' string values. Used by :mod:`syncd.mirror.sql` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import orjson
from sqlalchemy import Row

from syncd.core.models import (
    Flight,
    ItemProblem,
    LogEntry,
    LogState,
    MirrorAd,
    Op,
    Outcome,
    Payload,
    RemoteAd,
    RemoteState,
    RunOutcome,
    RunSummary,
    Stage,
)
from syncd.mirror.schema import action_logs, ads, runs

AD_COLUMNS = (
    ads.c.dealer_code,
    ads.c.source_id,
    ads.c.category_id,
    ads.c.payload,
    ads.c.payload_hash,
    ads.c.remote_state,
    ads.c.last_op,
    ads.c.stage,
    ads.c.pending_hash,
    ads.c.message,
    ads.c.remote_id,
    ads.c.blocket_ad_id,
    ads.c.blocket_store_id,
    ads.c.offer_id,
    ads.c.request_id,
    ads.c.sent_at,
    ads.c.updated_at,
    ads.c.created_at,
    ads.c.absent_since,
)
"""The columns a MirrorAd is built from, in the order :func:`ad_from_row` expects."""

FLIGHT_COLUMNS = (
    ads.c.dealer_code,
    ads.c.source_id,
    ads.c.last_op,
    ads.c.request_id,
    ads.c.sent_at,
)
"""The columns a Flight is built from, in the order :func:`flight_from_row` expects."""

RUN_COLUMNS = (
    runs.c.id,
    runs.c.dealer_code,
    runs.c.started_at,
    runs.c.finished_at,
    runs.c.feed_checksum,
    runs.c.outcome,
    runs.c.counts,
    runs.c.message,
    runs.c.invalid,
)

LOG_COLUMNS = (
    action_logs.c.action,
    action_logs.c.state,
    action_logs.c.created,
    action_logs.c.request_id,
    action_logs.c.message,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row of any width."""

ID_FIELDS = ("remote_id", "blocket_ad_id", "blocket_store_id", "offer_id")
"""The marketplace ids kept per ad; a None never overwrites a known id."""

# Plain dict lookups: load() decodes 100 000 rows and enum construction is slower.
_REMOTE_STATES = {s.value: s for s in RemoteState}
_OPS = {o.value: o for o in Op}
_STAGES = {s.value: s for s in Stage}


def _plain(value: Any) -> Any:
    # Payloads are Mappings and may nest read-only mappings or tuples.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a JSON payload")


def encode_json(value: Mapping[str, Any]) -> str:
    """A JSON object as text, keys sorted."""
    return orjson.dumps(value, default=_plain, option=orjson.OPT_SORT_KEYS).decode()


def decode_json(text: str | None) -> dict[str, Any] | None:
    """A JSON object from text, or None."""
    if text is None:
        return None
    value = orjson.loads(text)
    assert isinstance(value, dict)
    return value


def ad_from_row(row: AnyRow) -> MirrorAd:
    """A MirrorAd from a row selected with :data:`AD_COLUMNS`."""
    (
        dealer_code,
        source_id,
        category_id,
        payload,
        payload_hash,
        remote_state,
        last_op,
        stage,
        pending_hash,
        message,
        remote_id,
        blocket_ad_id,
        blocket_store_id,
        offer_id,
        request_id,
        sent_at,
        updated_at,
        created_at,
        absent_since,
    ) = row
    decoded: Payload | None = orjson.loads(payload) if payload is not None else None
    return MirrorAd(
        dealer_code,
        source_id,
        category_id,
        decoded,
        payload_hash,
        _REMOTE_STATES[remote_state] if remote_state is not None else None,
        _OPS[last_op] if last_op is not None else None,
        _STAGES[stage] if stage is not None else None,
        pending_hash,
        message,
        remote_id,
        blocket_ad_id,
        blocket_store_id,
        offer_id,
        request_id,
        sent_at,
        updated_at,
        created_at,
        absent_since,
    )


def flight_from_row(row: AnyRow) -> Flight:
    """A Flight from a row selected with :data:`FLIGHT_COLUMNS`."""
    dealer_code, source_id, last_op, request_id, sent_at = row
    op = _OPS[last_op] if last_op is not None else None
    return Flight(dealer_code, source_id, op, request_id, sent_at)


def run_from_row(row: AnyRow) -> RunSummary:
    """A RunSummary from a row selected with :data:`RUN_COLUMNS`."""
    counts = decode_json(row.counts) or {}
    invalid = decode_json(row.invalid) or {}
    return RunSummary(
        run_id=row.id,
        dealer_code=row.dealer_code,
        started_at=row.started_at,
        finished_at=row.finished_at,
        feed_checksum=row.feed_checksum,
        outcome=None if row.outcome is None else RunOutcome(row.outcome),
        counts={str(k): int(v) for k, v in counts.items()},
        message=row.message,
        invalid=tuple(ItemProblem(**item) for item in invalid.get("items", ())),
        invalid_omitted=int(invalid.get("omitted", 0)),
    )


def invalid_json(kept: Sequence[ItemProblem], omitted: int) -> str | None:
    """The runs.invalid column: the recorded problems and how many were left out (None: none)."""
    if not kept and not omitted:
        return None
    items = [
        {"source_id": p.source_id, "record": p.record, "field": p.field, "reason": p.reason}
        for p in kept
    ]
    return encode_json({"items": items, "omitted": omitted})


def log_from_row(row: AnyRow) -> LogEntry:
    """A LogEntry from a row selected with :data:`LOG_COLUMNS` ('' request id is None)."""
    return LogEntry(
        action=row.action,
        state=LogState(row.state),
        created=row.created,
        request_id=row.request_id or None,
        message=row.message,
    )


def log_values(ad_id: int, entry: LogEntry, now: datetime) -> dict[str, Any]:
    """The action_logs row of one entry."""
    return {
        "ad_id": ad_id,
        "request_id": entry.request_id or "",
        "action": entry.action,
        "state": entry.state.value,
        "message": entry.message,
        "created": entry.created,
        "recorded_at": now,
    }


def known_ids(source: RemoteAd | Outcome | None) -> dict[str, str]:
    """The marketplace ids ``source`` carries (those not None)."""
    if source is None:
        return {}
    found = {name: getattr(source, name) for name in ID_FIELDS}
    return {name: value for name, value in found.items() if value is not None}
