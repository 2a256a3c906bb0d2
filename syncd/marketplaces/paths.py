"""Adapter (marketplaces): the Pro Import API's paths, and the one place they are encoded.

Pure: no I/O here. Every path segment that carries a value (a source_id) goes
through :func:`segment`; the source_id rules behind it are ``core/source_ids.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import quote

_MAX_ID_LIST = 4_000
"""Assumption: the longest percent-encoded ``source_id__in`` value one list request
carries; longer lists are split, so that a request line stays under the 8 KiB that
common servers and proxies accept (ids may be up to 900 bytes encoded)."""


def ad_path(version: int, source_id: str | None = None, *, vehicle_type: str | None = None) -> str:
    """The path of an ad endpoint, the one place paths are built.

    Assumption (api-notes.md): writes go to ``/v{n}/ad`` as the seed says; with
    ``typed_paths`` they go to ``/v4/{vehicle_type}`` for categories that have one.
    """
    resource = vehicle_type if (vehicle_type and version >= 4) else "ad"
    base = f"/v{version}/{resource}"
    return base if source_id is None else f"{base}/{segment(source_id)}"


def segment(value: str) -> str:
    """One URL path segment: the UTF-8 bytes of ``value``, all but RFC 3986's unreserved
    characters (``A-Z a-z 0-9 - . _ ~``) percent-encoded (``?`` ``#`` ``%`` ``/`` too).

    Raises ValueError for what no encoding can carry: an empty segment, the dot
    segments ``.`` and ``..`` (removed by URL normalisation, so ``DELETE /ad/..``
    would reach ``/``), and lone surrogates. Validation refuses these ids first
    (``core/source_ids.py``); this is the last line of defence.
    """
    if value in ("", ".", ".."):
        raise ValueError(f"{value!r} cannot be sent as a URL path segment")
    return quote(value, safe="", encoding="utf-8", errors="strict")


def id_lists(source_ids: Sequence[str]) -> Iterator[list[str]]:
    """The ids in runs whose encoded ``source_id__in`` value stays under the limit."""
    chunk: list[str] = []
    size = 0
    for source_id in source_ids:
        length = len(quote(source_id, safe="")) + 3  # the encoded comma
        if chunk and size + length > _MAX_ID_LIST:
            yield chunk
            chunk, size = [], 0
        chunk.append(source_id)
        size += length
    if chunk:
        yield chunk
