"""Sandbox: the sandbox's ASGI app: :func:`create_app` and the request pipeline.

Every API request goes through the fault gate (latency, scripted and random
faults, rate limit, drops, timeouts), then authentication, routing and one
handler run under the store's lock after lazy processing has caught up with
the clock; then it is journaled. ``/_sandbox/*`` admin requests skip faults,
tokens and the journal.

    >>> app = create_app(SandboxSettings(processing_delay=0), clock=ManualClock())
    >>> client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sb")
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import anyio
import orjson
import structlog
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from syncd.sandbox import admin
from syncd.sandbox.auth import TOKEN_HEADER, peek_dealer, read_token
from syncd.sandbox.calls import Call
from syncd.sandbox.clock import Clock, OffsetClock, system_clock
from syncd.sandbox.faults import Decision, FaultState
from syncd.sandbox.journal import Journal, JournalEntry
from syncd.sandbox.persistence import MemoryRepository, Repository, SqliteRepository
from syncd.sandbox.problems import ApiProblem, DroppedConnection, bad_request, not_found
from syncd.sandbox.routes import ADMIN, api_version, match, source_id_of, split_path
from syncd.sandbox.runtime import Sandbox
from syncd.sandbox.settings import SandboxSettings
from syncd.sandbox.store import Store

log = structlog.get_logger("syncd.sandbox")

NOTE = "syncd.sandbox.note"  # scope key: what a handler tells the journal
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_GATEWAY = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def create_app(settings: SandboxSettings | None = None, clock: Clock | None = None) -> Starlette:
    """A new sandbox app with its own state (in memory, or ``settings.state_path``)."""
    settings = settings or SandboxSettings()
    repository: Repository = (
        SqliteRepository(settings.state_path) if settings.state_path else MemoryRepository()
    )
    sandbox = Sandbox(
        settings=settings,
        store=Store(repository),
        faults=FaultState(settings.faults),
        journal=Journal(settings.journal_limit),
        clock=OffsetClock(clock or system_clock),
    )
    return SandboxApp(sandbox)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (204 has no body)."""
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON; None when empty; 400 as DRF words a parse error."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request({"detail": f"JSON parse error - {exc}"}) from None


def _query(request: Request) -> dict[str, str]:
    # Repeated parameters are joined with commas (source_id__in=a&source_id__in=b).
    params = request.query_params
    return {key: ",".join(params.getlist(key)) for key in params}


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1")
    return quote(str(scope["path"]), safe="/")  # already decoded: encode it back once


class SandboxApp(Starlette):
    """The Starlette app, with the fault gate and the journal in front of it."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(routes=[Route("/{path:path}", self._endpoint, methods=METHODS)])
        self.sandbox = sandbox
        self.state.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admin and non-HTTP traffic go straight in; API requests pass the gate. A client
        that disconnects before its body was read is one log event, not a traceback."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        segments = split_path(_raw_path(scope))
        try:
            if segments and segments[0] == ADMIN:
                await super().__call__(scope, receive, send)
                return
            await self._gate(scope, receive, send, segments)
        except ClientDisconnect:
            # Assumption: a client that gives up mid-request (its timeout, a stop, a
            # crash) is no fault of the sandbox: nothing was applied (a body is read
            # whole before the store is touched), the journal has the request without a
            # status, and there is no one to answer. An info line says so, as uvicorn's
            # access log would have said the request came.
            client = scope.get("client")
            log.info(
                "client_disconnected",
                method=scope["method"],
                path=scope["path"],
                client=f"{client[0]}:{client[1]}" if client else None,
                request_id=scope.get(NOTE, {}).get("request_id"),
            )

    async def _gate(self, scope: Scope, receive: Receive, send: Send, segments: list[str]) -> None:
        sandbox = self.sandbox
        started, now = time.perf_counter(), sandbox.now()
        decision = sandbox.faults.decide(scope["method"], now)
        faults = sandbox.faults.faults
        note: dict[str, Any] = scope.setdefault(NOTE, {})
        seen: list[int] = []

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.append(message["status"])
            await send(message)

        async def discard(message: Message) -> None:
            return None

        try:
            if faults.latency:
                await anyio.sleep(faults.latency)
            if decision.kind == "timeout":
                await anyio.sleep(faults.timeout_seconds)
            if decision.kind in ("error", "drop") and faults.late:
                await super().__call__(scope, receive, discard)  # applied, answer lost
            if decision.kind == "rate_limited":
                await _throttled(decision, recording)
            elif decision.kind == "error":
                await _server_error(decision.status or 500, recording)
            elif decision.kind == "drop":
                await _drop(send)
            else:
                await super().__call__(scope, receive, recording)
        except ClientDisconnect:
            seen.clear()  # Starlette's 500 for it went nowhere: journaled without a status
            raise
        finally:
            self._journal(
                scope,
                segments=segments,
                note=note,
                decision=decision,
                now=now,
                seen=seen,
                started=started,
            )

    def _journal(
        self,
        scope: Scope,
        *,
        segments: list[str],
        note: dict[str, Any],
        decision: Decision,
        now: datetime,
        seen: list[int],
        started: float,
    ) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        dealer = note.get("dealer") or peek_dealer(
            headers.get(TOKEN_HEADER.lower()), self.sandbox.settings.secret
        )
        self.sandbox.journal.add(
            JournalEntry(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=seen[-1] if seen else None,
                time=now,
                dealer=dealer,
                source_id=note.get("source_id") or source_id_of(segments),
                fault=None if decision.kind == "none" else decision.kind,
                request_id=note.get("request_id"),
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        )

    async def _endpoint(self, request: Request) -> Response:
        segments = split_path(_raw_path(request.scope))
        try:
            if segments and segments[0] == ADMIN:
                status, body = await admin.admin(self.sandbox, request, segments, read_json)
                return json_response(status, body)
            return await self._api(request, segments)
        except ApiProblem as problem:
            request_id = request.scope.get(NOTE, {}).get("request_id")
            named = request_id and self.sandbox.settings.request_ids
            headers = {"X-Request-Id": request_id} if named else None
            return json_response(problem.status, problem.body, headers)

    async def _api(self, request: Request, segments: list[str]) -> Response:
        sandbox = self.sandbox
        note: dict[str, Any] = request.scope.setdefault(NOTE, {})
        note["request_id"] = request_id = str(uuid.uuid4())
        version = api_version(segments)
        if version is None:
            raise not_found()
        handler, params = match(request.method, version, segments[1:])
        scope = read_token(request.headers.get(TOKEN_HEADER), sandbox.settings.secret)
        body = await read_json(request) if request.method in ("POST", "PUT", "PATCH") else None
        with sandbox.store.lock:
            now = sandbox.now()
            sandbox.advance(now)
            call = Call(
                sandbox=sandbox,
                version=version,
                path=params,
                query=_query(request),
                body=body,
                now=now,
                request_id=request_id,
                scope=scope,
                url=str(request.url.replace(query="")),
                note=note,
            )
            answer = handler(call)
        # Every answer names its request, unless the settings hide request ids.
        headers = {"X-Request-Id": request_id} if sandbox.settings.request_ids else {}
        headers.update(answer.headers)
        return json_response(answer.status, answer.body, headers)


async def _send_response(
    send: Send, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _throttled(decision: Decision, send: Send) -> None:
    wait = decision.retry_after if decision.retry_after is not None else 1
    body = {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    await _send_response(
        send, 429, orjson.dumps(body), "application/json", {"Retry-After": str(wait)}
    )


async def _server_error(status: int, send: Send) -> None:
    # Assumption: 5xx from the gateway in front of the API (502/503/504) are HTML
    # pages, not JSON; a 500 comes from the API itself and is JSON.
    if status in _GATEWAY:
        text = f"<html><body><h1>{status} {_GATEWAY[status]}</h1></body></html>"
        await _send_response(send, status, text.encode(), "text/html")
        return
    body = {"detail": "A server error occurred (injected by the sandbox)."}
    await _send_response(send, status, orjson.dumps(body), "application/json")


async def _drop(send: Send) -> None:
    """Close the connection without an answer (over uvicorn), or raise in-process."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not callable(getattr(transport, "close", None)):
        raise DroppedConnection("Server disconnected without sending a response.")
    transport.close()
    # uvicorn still waits for an answer; written to the closed transport, it goes nowhere.
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b""})
