"""Adapter (marketplaces): reading the Pro Import API's response bodies into syncd's values.

Pure: no I/O here. Tolerant where the public documentation disagrees with
itself (api-notes.md): ``log`` or ``logs``, ``external_message`` or
``message``, a ``{count, next, previous, results}`` page or a bare list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from syncd.core.models import LogEntry, LogState, RemoteAd, RemoteState
from syncd.errors import ApiContractError, ApiGarbled


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 or "YYYY-MM-DD HH:MM:SS" time as aware UTC (naive means UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


def parse_log(entry: Any) -> LogEntry | None:
    """One log entry, or None if it lacks what syncd needs (action, state, time)."""
    if not isinstance(entry, dict):
        return None
    created = parse_time(entry.get("created"))
    try:
        state = LogState(str(entry.get("state")))
    except ValueError:
        return None
    action = entry.get("action")
    if created is None or not isinstance(action, str):
        return None
    message = entry.get("external_message", entry.get("message"))
    return LogEntry(
        action=action,
        state=state,
        created=created,
        request_id=_text(entry.get("request_id")),
        message=_text(message),
    )


def parse_ad(doc: Any) -> RemoteAd:
    """An ad object; log entries sorted by time (the API's order is not documented)."""
    if not isinstance(doc, dict):
        # A string or a list where an ad belongs is not the API's answer: temporary.
        raise ApiGarbled(f"the API answered {type(doc).__name__} JSON where an ad belongs")
    if not isinstance(doc.get("source_id"), str):
        raise ApiContractError("the API returned an ad without a source_id")
    try:
        state = RemoteState(str(doc.get("state")))
    except ValueError:
        raise ApiContractError(
            f"ad {doc['source_id']}: unknown state {doc.get('state')!r}", ids=(doc["source_id"],)
        ) from None
    raw_logs = doc.get("log", doc.get("logs")) or []
    logs = [e for e in (parse_log(x) for x in raw_logs) if e is not None]
    logs.sort(key=lambda e: e.created)
    return RemoteAd(
        source_id=doc["source_id"],
        state=state,
        dealer_code=_text(doc.get("dealer_code")),
        remote_id=_text(doc.get("id")),
        blocket_ad_id=_text(doc.get("blocket_ad_id")),
        blocket_store_id=_text(doc.get("blocket_store_id")),
        offer_id=_text(doc.get("offer_id")),
        api_version=_text(doc.get("api_version")),
        updated=parse_time(doc.get("updated")),
        logs=tuple(logs),
        content=ad_content(doc),
    )


# The ad object's fields that a write sets, as the request names them.
_WRITABLE = (
    "category_id",
    "title",
    "body",
    "visible",
    "price",
    "url",
    "video_url",
    "location",
    "contact",
    "category_fields",
    "dont_publish_on_failed_images",
    "product_declaration",
)


def ad_content(doc: dict[str, Any]) -> dict[str, Any]:
    """The writable fields of an ad object in the request's shape (nulls left out).

    Assumption (api-notes: ``image_urls`` is not echoed): the images are the ``url``
    of each ``image_refs`` entry, when every entry has one; otherwise left out, and
    a comparison then finds the images changed.
    """
    content = {key: doc[key] for key in _WRITABLE if doc.get(key) is not None}
    refs = doc.get("image_refs")
    if isinstance(refs, list) and refs:
        urls = [r.get("url") if isinstance(r, dict) else None for r in refs]
        if all(isinstance(u, str) for u in urls):
            content["image_urls"] = urls
    return content


def parse_page(doc: Any) -> tuple[list[RemoteAd], bool]:
    """The ads of a list answer and whether a next page exists."""
    if isinstance(doc, list):
        return [parse_ad(x) for x in doc], False
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return [parse_ad(x) for x in doc["results"]], bool(doc.get("next"))
    # Not the API's answer (a proxy's JSON, a misrouted base_url): temporary, exit 7.
    raise ApiGarbled("the API answered a list request with neither a list nor a page")


def flatten_errors(doc: Any, prefix: str = "") -> list[str]:
    """DRF-style error bodies as ``field: reason`` lines (nested fields dotted)."""
    if doc is None:
        return []
    if isinstance(doc, str):
        return [f"{prefix}: {doc}" if prefix else doc]
    if isinstance(doc, list):
        out: list[str] = []
        for item in doc:
            out.extend(flatten_errors(item, prefix))
        return out
    if isinstance(doc, dict):
        if set(doc) == {"detail"} and not prefix:
            return flatten_errors(doc["detail"])
        out = []
        for key, value in doc.items():
            out.extend(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [f"{prefix}: {doc}" if prefix else str(doc)]


_EPOCH = datetime.min.replace(tzinfo=UTC)


def merge_by_source_id(ads: list[RemoteAd]) -> list[RemoteAd]:
    """One RemoteAd per source_id, in first-seen order.

    The seed says each POST/PUT/DELETE on a source_id "will appear as an individual
    entry" in the list: entries of one ad are merged, the most recently updated one
    giving the state and ids (the others fill in ids it lacks), their logs united.
    """
    groups: dict[str, list[RemoteAd]] = {}
    for ad in ads:
        groups.setdefault(ad.source_id, []).append(ad)
    return [_merge(group) if len(group) > 1 else group[0] for group in groups.values()]


def _merge(group: list[RemoteAd]) -> RemoteAd:
    ordered = sorted(group, key=lambda a: a.updated or _EPOCH, reverse=True)
    newest = ordered[0]

    def first(attr: str) -> str | None:
        return next((v for a in ordered if (v := getattr(a, attr)) is not None), None)

    return replace(
        newest,
        remote_id=first("remote_id"),
        blocket_ad_id=first("blocket_ad_id"),
        blocket_store_id=first("blocket_store_id"),
        offer_id=first("offer_id"),
        logs=_union_logs(group),
    )


def _union_logs(group: list[RemoteAd]) -> tuple[LogEntry, ...]:
    """The log of an ad listed once per request.

    Either every row carries the ad's whole log (the rows are equal: take one), or
    each row carries its own request's entries (concatenate them: two requests may
    log the same action, state and second without request ids, and both count).
    """
    if all(a.logs == group[0].logs for a in group):
        return group[0].logs
    if any(e.request_id for a in group for e in a.logs):
        unique = {(e.request_id, e.action, e.state, e.created): e for a in group for e in a.logs}
        entries = list(unique.values())
    else:
        entries = [e for a in group for e in a.logs]
    return tuple(sorted(entries, key=lambda e: e.created))
