"""Sandbox: the admin endpoints under ``/_sandbox`` (no token: the sandbox is a local tool).

* ``GET /_sandbox/health`` → ``{"status": "ok", "now": ...}``
* ``GET|PUT|PATCH|DELETE /_sandbox/faults`` → the faults in force (PUT replaces,
  missing keys taking their defaults; PATCH changes the keys given; DELETE goes
  back to the faults the sandbox started with)
* ``GET /_sandbox/journal`` → ``{"count", "results": [entry, ...]}`` (filters
  ``method``, ``source_id``, ``dealer``, ``status``, ``fault``);
  ``DELETE /_sandbox/journal`` → 204
* ``GET /_sandbox/ads`` → ``{"count", "results"}``: every ad of every dealer,
  with its whole log
* ``POST /_sandbox/reset`` → 204: no ads, empty journal, the starting faults
* ``POST /_sandbox/token`` ``{"dealer_codes": [...], "group": null,
  "expires_in": null}`` → ``{"token": ...}``
* ``GET /_sandbox/charges`` → ``{"count", "results": [charge, ...]}``: every charged
  call (a ``bump`` or a pole position that was carried out: its log entry is
  ``done``), oldest first; filters ``dealer``, ``source_id``, ``kind``
* ``GET /_sandbox/clock`` / ``POST /_sandbox/clock`` ``{"advance": seconds}`` →
  ``{"now", "offset"}``: move the sandbox's time forward (processing without
  waiting, also over HTTP)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from syncd.sandbox.auth import mint_token
from syncd.sandbox.problems import ApiProblem, bad_request, not_found
from syncd.sandbox.runtime import Sandbox
from syncd.sandbox.settings import Faults
from syncd.sandbox.views import ad_json, iso

AdminAnswer = tuple[int, Any]
AdminHandler = Callable[[Sandbox, Request, Any], AdminAnswer]


def _pydantic_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "non_field_errors"
        errors.setdefault(key, []).append(error["msg"])
    return errors


def _faults_json(sandbox: Sandbox) -> Any:
    return sandbox.faults.faults.model_dump(mode="json")


def _set_faults(sandbox: Sandbox, doc: Any) -> AdminAnswer:
    if not isinstance(doc, dict):
        raise bad_request({"non_field_errors": ["Expected a JSON object."]})
    try:
        faults = Faults.model_validate(doc)
    except ValidationError as exc:
        raise bad_request(_pydantic_errors(exc)) from None
    sandbox.faults.set(faults)
    return 200, _faults_json(sandbox)


def faults(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET/PUT/PATCH/DELETE /_sandbox/faults."""
    if request.method == "PUT":
        return _set_faults(sandbox, body or {})
    if request.method == "PATCH":
        return _set_faults(sandbox, {**_faults_json(sandbox), **(body or {})})
    if request.method == "DELETE":
        sandbox.faults.set(sandbox.settings.faults)
    return 200, _faults_json(sandbox)


def journal(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET/DELETE /_sandbox/journal."""
    if request.method == "DELETE":
        sandbox.journal.clear()
        return 204, None
    entries = sandbox.journal.entries(dict(request.query_params))
    return 200, {"count": len(entries), "results": [e.to_json() for e in entries]}


def ads(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET /_sandbox/ads: every ad of every dealer, with the whole log."""
    with sandbox.store.lock:
        sandbox.advance(sandbox.now())
        results = [ad_json(ad, with_log=True, log_limit=None) for ad in sandbox.store.ads()]
    return 200, {"count": len(results), "results": results}


def charges(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET /_sandbox/charges: the paid calls carried out (see the module docstring).

    Assumption: a renewal is charged once it is done (a bump of an unpublished ad
    ends in error and costs nothing); a refused call (400) never is.
    """
    query = dict(request.query_params)
    with sandbox.store.lock:
        sandbox.advance(sandbox.now())
        found = [
            {
                "dealer_code": ad.dealer_code,
                "source_id": ad.source_id,
                "kind": "pole_position" if e.params.get("pole_position") else "bump",
                "request_id": e.request_id,
                "at": iso(e.settled or e.created),
                "exclude_bytbil": bool(e.params.get("exclude_bytbil")),
                "exclude_blocket": bool(e.params.get("exclude_blocket")),
            }
            for ad in sandbox.store.ads()
            for e in ad.log
            if e.state == "done" and (e.action == "bump" or e.params.get("pole_position"))
        ]
    wanted = {"dealer": "dealer_code", "source_id": "source_id", "kind": "kind"}
    results = sorted(
        (c for c in found if all(c[wanted[k]] == v for k, v in query.items() if k in wanted)),
        key=lambda c: (c["at"], c["source_id"]),
    )
    return 200, {"count": len(results), "results": results}


def reset(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """POST /_sandbox/reset."""
    sandbox.reset()
    return 204, None


def token(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """POST /_sandbox/token: a token signed with this sandbox's secret."""
    doc = body if isinstance(body, dict) else {}
    codes = doc.get("dealer_codes") or ([doc["dealer_code"]] if doc.get("dealer_code") else [])
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes):
        raise bad_request({"dealer_codes": ["Give a non-empty list of dealer codes."]})
    group = doc.get("group")
    expires_in = doc.get("expires_in")
    value = mint_token(
        codes,
        secret=sandbox.settings.secret,
        group=group if isinstance(group, str) else None,
        expires_in=float(expires_in) if isinstance(expires_in, int | float) else None,
        now=sandbox.now(),
    )
    return 200, {"token": value}


def clock(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET/POST /_sandbox/clock: read the time, or move it forward by ``advance`` seconds."""
    if request.method == "POST":
        step = (body or {}).get("advance") if isinstance(body, dict) else None
        if isinstance(step, bool) or not isinstance(step, int | float) or step < 0:
            raise bad_request({"advance": ["Enter a number of seconds, at least 0."]})
        sandbox.clock.offset += timedelta(seconds=step)
    now = sandbox.now()
    return 200, {"now": iso(now), "offset": sandbox.clock.offset.total_seconds()}


def health(sandbox: Sandbox, request: Request, body: Any) -> AdminAnswer:
    """GET /_sandbox/health."""
    return 200, {"status": "ok", "now": iso(sandbox.now())}


ADMIN_ROUTES: dict[str, tuple[frozenset[str], AdminHandler]] = {
    "health": (frozenset({"GET"}), health),
    "faults": (frozenset({"GET", "PUT", "PATCH", "DELETE"}), faults),
    "journal": (frozenset({"GET", "DELETE"}), journal),
    "ads": (frozenset({"GET"}), ads),
    "charges": (frozenset({"GET"}), charges),
    "reset": (frozenset({"POST"}), reset),
    "token": (frozenset({"POST"}), token),
    "clock": (frozenset({"GET", "POST"}), clock),
}


async def admin(
    sandbox: Sandbox,
    request: Request,
    segments: list[str],
    read_body: Callable[[Request], Awaitable[Any]],
) -> AdminAnswer:
    """Dispatch one ``/_sandbox/...`` request."""
    if len(segments) != 2 or segments[1] not in ADMIN_ROUTES:
        raise not_found()
    methods, handler = ADMIN_ROUTES[segments[1]]
    if request.method not in methods:
        raise ApiProblem(405, {"detail": f'Method "{request.method}" not allowed.'})
    return handler(sandbox, request, await read_body(request))
