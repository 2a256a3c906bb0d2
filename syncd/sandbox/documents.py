"""Sandbox: ad documents: the fields a write may set, deep-merging and normalising them.

Pure: no I/O here. An ad's *content* is the merged request fields the API
stores (``category_id``, ``title``, ``body``, ``price``, ``image_urls``, ...);
ids, state and logs live beside it in :class:`syncd.sandbox.store.Ad`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.sandbox.categories import category

CONTENT_FIELDS = (
    "category_id",
    "title",
    "body",
    "visible",
    "price",
    "image_urls",
    "url",
    "video_url",
    "location",
    "contact",
    "category_fields",
    "dont_publish_on_failed_images",
    "product_declaration",
)
"""What a write stores. ``url_title`` is accepted and dropped (the seed: "Deprecated
and no longer used"); unknown fields are ignored, as Django REST Framework does."""


def strip_nulls(value: Any) -> Any:
    """The value with every ``null`` inside objects removed (lists kept as sent)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """PUT/PATCH semantics (api-notes.md): objects merge recursively, ``null`` clears
    a field, anything else (lists included) replaces the old value whole."""
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = strip_nulls(value)
    return out


def content_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """Only the stored fields of a request body (nulls kept: they clear on merge)."""
    return {k: body[k] for k in CONTENT_FIELDS if k in body}


def coerce_category_id(value: Any) -> Any:
    """Django REST Framework's IntegerField also takes digit strings; so does the sandbox."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def is_registered(content: Mapping[str, Any], version: int) -> bool:
    """Whether the content's category is a registered vehicle at this API version."""
    cid = content.get("category_id")
    cat = category(cid) if isinstance(cid, int) and not isinstance(cid, bool) else None
    return cat is not None and cat.is_registered_vehicle(version)


def normalize(content: Mapping[str, Any], version: int) -> dict[str, Any]:
    """The content as the API stores it once valid.

    * ``<`` and ``>`` in ``body`` become ``-`` (api-notes.md, doc).
    * Registered vehicles keep no ``title``/``contact``. Assumption: v4 refuses them
      (400, done in rules.py); v3 accepts and ignores them, the title being
      generated from the vehicle fields (see views.py).
    * ``registration_number`` is kept upper-case without spaces, so that comparing
      it later (it cannot change) ignores formatting.
    """
    out: dict[str, Any] = strip_nulls(dict(content))
    if isinstance(out.get("body"), str):
        out["body"] = out["body"].replace("<", "-").replace(">", "-")
    if is_registered(out, version):
        out.pop("title", None)
        out.pop("contact", None)
    fields = out.get("category_fields")
    if isinstance(fields, dict) and isinstance(fields.get("registration_number"), str):
        fields = dict(fields)
        fields["registration_number"] = plate(fields["registration_number"])
        out["category_fields"] = fields
    return out


def plate(value: str) -> str:
    """A registration number in its canonical form (upper-case, no spaces or dashes)."""
    return value.replace(" ", "").replace("-", "").upper()
