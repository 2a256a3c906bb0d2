"""Core: saved plans: a plan as a versioned JSON document, and what makes one stale.

Pure: no I/O here. ``syncd plan --out FILE`` writes, per feed, the calls a run would
send together with what they were decided from: the feed file's checksum and the
*version* of every mirror row the calls touch. ``syncd apply FILE`` sends exactly
those calls, and only while the feed and those rows are as they were.

A row's version is derived from existing columns, no counter is stored: a digest of
its stage, remote_state, last_op, payload_hash, pending_hash, request_id and
``updated_at``. Why that is sound: every write of the mirror to a row (intent,
answer, outcome, a resolved intent) sets ``updated_at`` to the writer's clock, so
two reads with the same version saw the same row; the other columns make the
version change even if two writes shared a timestamp. A row the plan expects to be
absent (a create) has version None, and apply refuses when one has appeared since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from syncd.core.models import Action, Create, Delete, FeedMeta, MirrorAd, Origin, Plan, Update
from syncd.core.payload import payload_hash

FORMAT = "syncd-plan"
FORMAT_VERSION = 1


class PlanDocumentError(ValueError):
    """The document is not a saved plan this syncd can apply; the message says why."""


@dataclass(frozen=True, slots=True, repr=False)
class SavedPlan:
    """One feed's plan as saved: the calls, and what they were decided from."""

    dealer_code: str
    feed_path: str
    feed_checksum: str
    actions: tuple[Action, ...]
    rows: Mapping[str, str | None]  # source_id -> row version (None: no row)
    guard: str | None = None  # why deletes and creates were held back, if they were

    def __repr__(self) -> str:
        # Counts, not every call: asyncio.run formats its result's repr at exit, and a
        # large plan's full repr costs seconds (as RawFeed's and Plan's did).
        return (
            f"SavedPlan(dealer_code={self.dealer_code!r}, feed_path={self.feed_path!r}, "
            f"actions=<{len(self.actions)} calls>, rows=<{len(self.rows)} rows>, "
            f"guard={self.guard!r})"
        )


def row_version(ad: MirrorAd | None) -> str | None:
    """The version of a mirror row (None for no row); see the module docstring."""
    if ad is None:
        return None
    parts = [
        ad.stage,
        ad.remote_state,
        ad.last_op,
        ad.payload_hash,
        ad.pending_hash,
        ad.request_id,
        ad.updated_at.isoformat() if ad.updated_at else None,
    ]
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()[:20]


def save(
    plan: Plan, meta: FeedMeta, mirror: Mapping[str, MirrorAd], guard: str | None
) -> SavedPlan:
    """The plan's calls with the feed's checksum and the versions of their rows."""
    actions = plan.actions
    rows = {a.source_id: row_version(mirror.get(a.source_id)) for a in actions}
    return SavedPlan(plan.dealer_code, meta.path, meta.checksum, actions, rows, guard)


def changed_rows(saved: SavedPlan, mirror: Mapping[str, MirrorAd]) -> list[str]:
    """The source_ids whose mirror row is no longer the version the plan was made from."""
    return sorted(
        sid for sid, version in saved.rows.items() if row_version(mirror.get(sid)) != version
    )


# --- the document -------------------------------------------------------------------


def to_document(plans: Sequence[SavedPlan], api_version: int, made_at: datetime) -> dict[str, Any]:
    """The saved plans as one JSON-ready document (format ``syncd-plan``, version 1)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "made_at": made_at.isoformat(),
        "api_version": api_version,
        "plans": [
            {
                "dealer_code": p.dealer_code,
                "feed": {"path": p.feed_path, "checksum": p.feed_checksum},
                "guard": p.guard,
                "rows": dict(p.rows),
                "actions": [action_doc(a) for a in p.actions],
            }
            for p in plans
        ],
    }


def action_doc(action: Action) -> dict[str, Any]:
    """One call as the plan file writes it."""
    match action:
        case Create():
            return {
                "op": "create",
                "source_id": action.source_id,
                "category_id": action.category_id,
                "body": dict(action.body),
                "payload": dict(action.payload),
                "followup": dict(action.followup) if action.followup else None,
                "revive": action.revive,
                "origin": _origin_doc(action.origin),
            }
        case Update():
            return {
                "op": "update",
                "source_id": action.source_id,
                "category_id": action.category_id,
                "changes": dict(action.changes),
                "payload": dict(action.payload),
                "revive": action.revive,
                "origin": _origin_doc(action.origin),
            }
        case Delete():
            return {"op": "delete", "source_id": action.source_id}


# Assumption: an action's origin (where its feed item sits, for a problem its call finds)
# is an optional key of format version 1, not a new version: a plan an older syncd wrote
# has none (its calls' problems then name no record), and an older syncd reading a newer
# plan ignores it, as it reads only the keys it knows.
def _origin_doc(origin: Origin | None) -> dict[str, Any] | None:
    if origin is None:
        return None
    return {"path": origin.path, "line": origin.line, "index": origin.index}


def _origin_from(doc: Any) -> Origin | None:
    if doc is None:
        return None
    line, index = doc.get("line"), doc.get("index")
    return Origin(
        str(doc["path"]),
        line=None if line is None else int(line),
        index=None if index is None else int(index),
    )


def from_document(doc: Any, api_version: int) -> list[SavedPlan]:
    """The saved plans of a document; raises PlanDocumentError saying what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise PlanDocumentError(f'not a saved plan (no "format": "{FORMAT}")')
    if doc.get("version") != FORMAT_VERSION:
        raise PlanDocumentError(
            f"saved plan format version {doc.get('version')!r}; this syncd reads {FORMAT_VERSION}"
        )
    if doc.get("api_version") != api_version:
        raise PlanDocumentError(
            f"made for API version {doc.get('api_version')!r}, configured is {api_version}"
        )
    try:
        return [_plan_from(p) for p in doc["plans"]]
    except PlanDocumentError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # int("x"): ValueError
        raise PlanDocumentError(f"malformed saved plan ({type(exc).__name__}: {exc})") from exc


def _plan_from(doc: Mapping[str, Any]) -> SavedPlan:
    dealer = str(doc["dealer_code"])
    actions = tuple(_action_from(dealer, a) for a in doc["actions"])
    rows = {str(k): (None if v is None else str(v)) for k, v in doc["rows"].items()}
    if {a.source_id for a in actions} != set(rows):
        raise PlanDocumentError("malformed saved plan: its rows are not those of its calls")
    feed = doc["feed"]
    return SavedPlan(dealer, str(feed["path"]), str(feed["checksum"]), actions, rows, doc["guard"])


def _action_from(dealer: str, doc: Mapping[str, Any]) -> Action:
    op, sid = doc["op"], str(doc["source_id"])
    if op == "delete":
        return Delete(dealer, sid)
    payload = doc["payload"]
    # The hash is recomputed, never read: a payload edited in the file is what is recorded.
    digest = payload_hash(payload)
    if op == "create":
        return Create(
            dealer_code=dealer,
            source_id=sid,
            category_id=int(doc["category_id"]),
            body=doc["body"],
            payload=payload,
            payload_hash=digest,
            followup=doc["followup"],
            revive=bool(doc["revive"]),
            origin=_origin_from(doc.get("origin")),
        )
    if op == "update":
        return Update(
            dealer_code=dealer,
            source_id=sid,
            category_id=int(doc["category_id"]),
            changes=doc["changes"],
            payload=payload,
            payload_hash=digest,
            revive=bool(doc["revive"]),
            origin=_origin_from(doc.get("origin")),
        )
    raise PlanDocumentError(f"malformed saved plan: unknown op {op!r} for {sid!r}")
