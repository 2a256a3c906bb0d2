"""Sandbox: the sandbox's stored values: an ad and its action-log entries.

Pure: no I/O here. Both are frozen; every change makes a new value with
:func:`dataclasses.replace`. :func:`ad_to_json` / :func:`ad_from_json` are the
persisted form (SQLite keeps one JSON document per ad).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACTIONS = ("create", "update", "bump", "delete", "handle_media", "publish", "unpublish")
LOG_STATES = ("processing", "done", "error")
AD_STATES = ("created", "deleted")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One action of one call. ``due`` is when a processing entry settles and
    ``settled`` when it did; ``params`` carries what the action needs (bump
    exclusions, pole position). ``request_id`` is None only in what a client is
    shown when the sandbox hides request ids; stored entries always have one."""

    request_id: str | None
    created: datetime
    action: str
    state: str = "processing"
    external_message: str | None = None
    due: datetime | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    settled: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ad:
    """One ad of one dealer, as the API keeps it."""

    id: str
    seq: int  # creation order, the tie-breaker of every ordering
    dealer_code: str
    source_id: str
    api_version: str  # "v3" | "v4"
    state: str  # "created" | "deleted"
    content: Mapping[str, Any]
    created: datetime
    updated: datetime
    blocket_ad_id: int | None = None
    blocket_store_id: int | None = None
    offer_id: int | None = None
    image_refs: tuple[Mapping[str, Any], ...] = ()
    pole_position_until: datetime | None = None
    log: tuple[LogEntry, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """The ad's identity: a source_id is unique per dealer."""
        return (self.dealer_code, self.source_id)

    @property
    def version(self) -> int:
        """The API version as a number (3 or 4)."""
        return int(self.api_version.removeprefix("v"))

    @property
    def in_flight(self) -> bool:
        """True while any action is still processing."""
        return any(e.state == "processing" for e in self.log)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _entry_to_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "request_id": entry.request_id,
        "created": _time(entry.created),
        "action": entry.action,
        "state": entry.state,
        "external_message": entry.external_message,
        "due": _time(entry.due),
        "params": dict(entry.params),
        "settled": _time(entry.settled),
    }


def ad_to_json(ad: Ad) -> dict[str, Any]:
    """The ad as a JSON document, for persistence."""
    return {
        "id": ad.id,
        "seq": ad.seq,
        "dealer_code": ad.dealer_code,
        "source_id": ad.source_id,
        "api_version": ad.api_version,
        "state": ad.state,
        "content": dict(ad.content),
        "created": _time(ad.created),
        "updated": _time(ad.updated),
        "blocket_ad_id": ad.blocket_ad_id,
        "blocket_store_id": ad.blocket_store_id,
        "offer_id": ad.offer_id,
        "image_refs": [dict(r) for r in ad.image_refs],
        "pole_position_until": _time(ad.pole_position_until),
        "log": [_entry_to_json(e) for e in ad.log],
    }


def ad_from_json(doc: Mapping[str, Any]) -> Ad:
    """The inverse of :func:`ad_to_json`."""
    log = tuple(
        LogEntry(
            request_id=e["request_id"],
            created=_parse(e["created"]) or datetime.fromtimestamp(0).astimezone(),
            action=e["action"],
            state=e["state"],
            external_message=e.get("external_message"),
            due=_parse(e.get("due")),
            params=e.get("params") or {},
            settled=_parse(e.get("settled")),
        )
        for e in doc.get("log", [])
    )
    created = _parse(doc["created"])
    updated = _parse(doc["updated"])
    assert created is not None
    assert updated is not None
    return Ad(
        id=doc["id"],
        seq=doc["seq"],
        dealer_code=doc["dealer_code"],
        source_id=doc["source_id"],
        api_version=doc["api_version"],
        state=doc["state"],
        content=doc["content"],
        created=created,
        updated=updated,
        blocket_ad_id=doc.get("blocket_ad_id"),
        blocket_store_id=doc.get("blocket_store_id"),
        offer_id=doc.get("offer_id"),
        image_refs=tuple(doc.get("image_refs", [])),
        pole_position_until=_parse(doc.get("pole_position_until")),
        log=log,
    )
