"""Sandbox: the API's routes, matched on raw path segments.

The sandbox routes by itself rather than through Starlette's router so that a
source_id holding ``/`` (sent as ``%2F``) stays one segment, a trailing slash is
accepted, and the same table serves ``/v3``, ``/v4`` and the
``/pro-import-api`` prefix of the real base URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from syncd.sandbox import reads, vehicles, writes
from syncd.sandbox.calls import Answer, Call
from syncd.sandbox.problems import ApiProblem, not_found

Handler = Callable[[Call], Answer]
PREFIX = "pro-import-api"
ADMIN = "_sandbox"
V3, V4, BOTH = frozenset({3}), frozenset({4}), frozenset({3, 4})
_V3_VEHICLE_ATTRIBUTES = frozenset({"brands", "models", "body_types", "fuels"})


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: method, path pattern after ``/v{n}``, handler, API versions."""

    method: str
    pattern: tuple[str, ...]
    handler: Handler
    versions: frozenset[int]


def _r(method: str, path: str, handler: Handler, versions: frozenset[int] = BOTH) -> Route:
    return Route(method, tuple(path.split("/")), handler, versions)


SID, VT = "{source_id}", "{vehicle_type}"
ROUTES: tuple[Route, ...] = (
    _r("GET", "ad", reads.list_ads),
    _r("POST", "ad", writes.create),
    _r("POST", "ad/validate", writes.validate),
    _r("GET", f"ad/{SID}", reads.get_ad),
    _r("PUT", f"ad/{SID}", writes.update),
    _r("PATCH", f"ad/{SID}", writes.update),
    _r("DELETE", f"ad/{SID}", writes.delete),
    _r("GET", f"ad/{SID}/log", reads.get_log),
    _r("GET", f"ad/{SID}/bump", writes.bump),
    _r("GET", f"ad/{SID}/pole_position", writes.pole_position),
    _r("POST", f"ad/{SID}/migrate", writes.migrate, V4),
    _r("GET", f"ad/{SID}/retry", writes.retry, V4),
    _r("GET", "vehicle/{attribute}", reads.v3_vehicle, V3),
    _r("GET", f"vehicles/{VT}/attributes", reads.v4_attributes, V4),
    _r("GET", f"vehicles/{VT}/{{attribute}}", reads.v4_values, V4),
    _r("GET", VT, reads.list_ads, V4),
    _r("POST", VT, writes.create, V4),
    _r("POST", f"{VT}/validate", writes.validate, V4),
    _r("GET", f"{VT}/{SID}", reads.get_ad, V4),
    _r("PUT", f"{VT}/{SID}", writes.update, V4),
    _r("PATCH", f"{VT}/{SID}", writes.update, V4),
    _r("DELETE", f"{VT}/{SID}", writes.delete, V4),
    _r("GET", f"{VT}/{SID}/log", reads.get_log, V4),
)


def split_path(raw_path: str) -> list[str]:
    """Decoded path segments, without the ``/pro-import-api`` prefix or a trailing slash.

    ``raw_path`` is the request target's bytes as latin-1 text; each segment is
    percent-decoded exactly once into bytes, then read as UTF-8 (``%2F``, ``%3F``,
    ``%23``, ``%25`` and ``%2E`` stay inside their segment).
    """
    segments = [_decoded(s) for s in raw_path.split("?", 1)[0].split("/")[1:]]
    if segments and segments[-1] == "":
        segments.pop()
    if segments and segments[0] == PREFIX:
        segments.pop(0)
    return segments


def _decoded(segment: str) -> str:
    # Assumption: like Django, bytes that are not UTF-8 become U+FFFD (no ad matches).
    return unquote_to_bytes(segment.encode("latin-1")).decode("utf-8", errors="replace")


def api_version(segments: list[str]) -> int | None:
    """3 or 4 for an API path (``v3/...``, ``v4/...``), else None."""
    if segments and segments[0] in ("v3", "v4"):
        return int(segments[0][1])
    return None


def _bind(pattern: tuple[str, ...], segments: list[str], version: int) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(pattern, segments, strict=True):
        if part.startswith("{"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    if "vehicle_type" in params and params["vehicle_type"] not in vehicles.VEHICLE_TYPES:
        return None
    if version == 3 and "attribute" in params:
        return params if params["attribute"] in _V3_VEHICLE_ATTRIBUTES else None
    return params


def match(method: str, version: int, segments: list[str]) -> tuple[Handler, dict[str, str]]:
    """The handler and path parameters; 404 when no route fits, 405 for a wrong method."""
    allowed: set[str] = set()
    for route in ROUTES:
        if version not in route.versions:
            continue
        params = _bind(route.pattern, segments, version)
        if params is None:
            continue
        if route.method == method:
            return route.handler, params
        allowed.add(route.method)
    if allowed:
        raise ApiProblem(405, {"detail": f'Method "{method}" not allowed.'})
    raise not_found()


def source_id_of(segments: list[str]) -> str | None:
    """The source_id a path names, for the journal (None for collection paths)."""
    version = api_version(segments)
    if version is None:
        return None
    for route in ROUTES:
        params = _bind(route.pattern, segments[1:], version)
        if params is not None and "source_id" in params:
            return params["source_id"]
    return None
