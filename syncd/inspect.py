"""Use case: looking into the record: one ad's whole story (``show``) and the runs (``history``).

``show`` puts side by side the mirror's row, the last payload the API accepted,
the ad as the API holds it and its whole action-log timeline (read from the
paginated ``/ad/{source_id}/log``, oldest first). Contact data is the dealer's
own: it is shown only inside the payload, never in the remote ad's view.
``history`` masks e-mail addresses and phone numbers in a run's message, as
``syncd status`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.core.contacts import masked
from syncd.core.history import STATISTICS, duration, statistics
from syncd.core.models import LogEntry, MirrorAd, RemoteAd
from syncd.ports import Catalog, Mirror
from syncd.terminal import dumps, printable

CONTACT = "contact"
"""The field the remote ad's view leaves out (it is in the payload)."""


@dataclass(frozen=True, slots=True)
class AdStory:
    """What the mirror and the API know about one ad."""

    dealer_code: str
    source_id: str
    row: MirrorAd | None
    remote: RemoteAd | None
    timeline: tuple[LogEntry, ...]
    pinned: bool = False  # `syncd pin`: never deleted for being absent from the feed

    @property
    def known(self) -> bool:
        """Whether the mirror or the API knows the ad at all."""
        return self.row is not None or self.remote is not None


async def stories(
    mirror: Mirror, catalog: Catalog, dealer_codes: Sequence[str], source_id: str
) -> list[AdStory]:
    """The story of each dealer that knows the ad (a source_id is unique per dealer only:
    an item moved from one dealer of a group to another is known to both); the last
    dealer's, unknown, when none does."""
    found: list[AdStory] = []
    last = None
    for dealer in dealer_codes:
        row = mirror.get(dealer, source_id)
        remote = await catalog.get(dealer, source_id)
        timeline = await catalog.ad_log(dealer, source_id) if remote is not None else None
        pinned = source_id in mirror.pinned(dealer)
        last = AdStory(dealer, source_id, row, remote, tuple(timeline or ()), pinned)
        if last.known:
            found.append(last)
    assert last is not None, "no dealer to look in"
    return found or [last]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """One timeline entry as JSON."""
    return {
        "created": entry.created.isoformat(),
        "action": entry.action,
        "state": str(entry.state),
        "request_id": entry.request_id,
        "message": entry.message,
    }


def row_json(row: MirrorAd) -> dict[str, Any]:
    """The mirror's row without its payload (shown on its own)."""
    return {
        "category_id": row.category_id,
        "remote_state": str(row.remote_state) if row.remote_state else None,
        "last_op": str(row.last_op) if row.last_op else None,
        "stage": str(row.stage) if row.stage else None,
        "message": row.message,
        "payload_hash": row.payload_hash,
        "request_id": row.request_id,
        "remote_id": row.remote_id,
        "blocket_ad_id": row.blocket_ad_id,
        "offer_id": row.offer_id,
        "sent_at": _time(row.sent_at),
        "updated_at": _time(row.updated_at),
    }


def remote_json(remote: RemoteAd) -> dict[str, Any]:
    """The ad as the API holds it, without the contact data."""
    content = {k: v for k, v in (remote.content or {}).items() if k != CONTACT}
    return {
        "state": str(remote.state),
        "remote_id": remote.remote_id,
        "blocket_ad_id": remote.blocket_ad_id,
        "offer_id": remote.offer_id,
        "api_version": remote.api_version,
        "updated": _time(remote.updated),
        "fields": content,
    }


def story_json(s: AdStory) -> dict[str, Any]:
    """The whole story as ``show --json`` prints it."""
    return {
        "dealer_code": s.dealer_code,
        "source_id": s.source_id,
        "pinned": s.pinned,
        "mirror": row_json(s.row) if s.row else None,
        "payload": dict(s.row.payload) if s.row and s.row.payload is not None else None,
        "remote": remote_json(s.remote) if s.remote else None,
        "timeline": [entry_json(e) for e in s.timeline],
    }


def history_json(mirror: Mirror, dealer_code: str | None, limit: int) -> list[dict[str, Any]]:
    """The latest runs, newest first, each with its statistics, duration and outcome
    (e-mail addresses and phone numbers in its message masked; the ids whole)."""
    return [
        {
            "run_id": run.run_id,
            "dealer_code": run.dealer_code,
            "started_at": run.started_at.isoformat(),
            "finished_at": _time(run.finished_at),
            "duration": duration(run),
            "outcome": str(run.outcome) if run.outcome else None,
            **statistics(run),
            # The run's note (guard, warnings) may quote contact data: masked, as
            # `syncd status` masks it.
            "message": masked(run.message),
        }
        for run in mirror.runs(dealer_code, limit)
    ]


def story_lines(s: AdStory) -> list[str]:
    """The story as text: each value escaped and cut (feed and API values are untrusted)."""
    doc = story_json(s)
    lines = [
        f"ad {printable(s.source_id)} of dealer {printable(s.dealer_code or '(token dealer)')}"
        + (" (pinned: never deleted for being absent from the feed)" if s.pinned else "")
    ]
    for title, part in (("mirror", doc["mirror"]), ("remote ad", doc["remote"])):
        lines.append(f"{title}:" if part else f"{title}: none")
        lines.extend(f"  {k}: {printable(dumps(v), 500)}" for k, v in (part or {}).items())
    payload = doc["payload"]
    lines.append(
        "last payload sent (the dealer's own contact data included):"
        if payload
        else "last payload sent: none"
    )
    lines.extend(f"  {k}: {printable(dumps(v), 500)}" for k, v in (payload or {}).items())
    lines.append(f"timeline ({len(s.timeline)} entries, oldest first):")
    lines.extend(
        f"  {e['created']} {printable(e['action'])} {e['state']} "
        f"request {printable(e['request_id'] or '-')}: {printable(e['message'] or '', 500)}"
        for e in doc["timeline"]
    )
    return lines


def history_lines(runs: Sequence[dict[str, Any]]) -> list[str]:
    """The runs as text, one line each, newest first."""
    lines = []
    for r in runs:
        stats = ", ".join(f"{name} {'?' if r[name] is None else r[name]}" for name in STATISTICS)
        took = "running" if r["duration"] is None else f"{r['duration']}s"
        dealer = printable(r["dealer_code"] or "(token dealer)")
        line = f"run {r['run_id']} dealer {dealer} {r['started_at']} {took} {r['outcome']}: {stats}"
        if r["message"]:
            line += f"; {printable(r['message'], 500)}"
        lines.append(line)
    return lines or ["no runs recorded"]
