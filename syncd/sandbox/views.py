"""Sandbox: the JSON shapes the sandbox answers: the ad object and its log entries.

Pure: no I/O here. Follows "The API contract syncd and the sandbox share" in
docs/architecture.md. Assumptions: times are ISO 8601 in UTC with a ``Z``
(as Django REST Framework renders them); an ad's ``log`` lists its newest
entries first (the order is not documented, and clients sort by ``created``);
``image_urls`` is not echoed, ``image_refs`` lists the images handled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncd.sandbox import vehicles
from syncd.sandbox.documents import is_registered
from syncd.sandbox.records import Ad, LogEntry

LOG_LIMIT = 100  # the seed: "only the last 100 messages will be provided"

AD_FIELDS = (
    "id",
    "source_id",
    "dealer_code",
    "category_id",
    "state",
    "title",
    "body",
    "visible",
    "price",
    "image_refs",
    "url",
    "video_url",
    "location",
    "contact",
    "category_fields",
    "dont_publish_on_failed_images",
    "product_declaration",
    "blocket_ad_id",
    "blocket_store_id",
    "offer_id",
    "api_version",
    "created",
    "updated",
)


def iso(value: datetime) -> str:
    """A time as the API writes it: ISO 8601 with microseconds, UTC, ``Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """One log entry (its due time and parameters are the sandbox's own)."""
    return {
        "request_id": entry.request_id,
        "created": iso(entry.created),
        "action": entry.action,
        "state": entry.state,
        "external_message": entry.external_message,
    }


def newest_first(entries: tuple[LogEntry, ...]) -> list[LogEntry]:
    """Log entries, newest first (entries logged in the same instant too: later ones first)."""
    return sorted(entries, key=lambda e: e.created)[::-1]


def generated_title(ad: Ad) -> str | None:
    """The title of a registered vehicle, generated from its fields (api-notes.md).

    Assumption: "Brand Model model_type", falling back to the registration number.
    """
    fields = ad.content.get("category_fields") or {}
    parts = [vehicles.label(str(fields[name])) for name in ("brand", "model") if fields.get(name)]
    if fields.get("model_type"):
        parts.append(str(fields["model_type"]))
    if parts:
        return " ".join(parts)
    reg = fields.get("registration_number") or fields.get("vin")
    return str(reg) if reg else None


def ad_json(ad: Ad, *, with_log: bool, log_limit: int | None = LOG_LIMIT) -> dict[str, Any]:
    """The ad object; ``log`` only when asked for (at most the newest ``log_limit``)."""
    content = ad.content
    registered = is_registered(content, ad.version)
    doc: dict[str, Any] = {
        "id": ad.id,
        "source_id": ad.source_id,
        "dealer_code": ad.dealer_code,
        "category_id": content.get("category_id"),
        "state": ad.state,
        "title": generated_title(ad) if registered else content.get("title"),
        "body": content.get("body"),
        "visible": content.get("visible", True),
        "price": content.get("price", []),
        "image_refs": [dict(r) for r in ad.image_refs],
        "url": content.get("url"),
        "video_url": content.get("video_url"),
        "location": content.get("location"),
        "contact": None if registered else content.get("contact"),
        "category_fields": content.get("category_fields"),
        "dont_publish_on_failed_images": content.get("dont_publish_on_failed_images", False),
        "product_declaration": content.get("product_declaration"),
        "blocket_ad_id": ad.blocket_ad_id,
        "blocket_store_id": ad.blocket_store_id,
        "offer_id": ad.offer_id,
        "api_version": ad.api_version,
        "created": iso(ad.created),
        "updated": iso(ad.updated),
    }
    if with_log:
        entries = newest_first(ad.log)
        if log_limit is not None:
            entries = entries[:log_limit]
        doc["log"] = [entry_json(e) for e in entries]
    return doc


def select_fields(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Only the named fields (the ``fields`` setting); ``log`` stays when it was included."""
    if not fields:
        return doc
    keep = set(fields) | {"log"}
    return {k: v for k, v in doc.items() if k in keep}
