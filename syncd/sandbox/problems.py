"""Sandbox: the sandbox's one exception: an API answer other than success.

Expected outcomes inside the core are values (validation returns an error
dict). :class:`ApiProblem` is raised only in the HTTP shell, where it stops the
handling of one request; the app turns it into a JSON response::

    ApiProblem(status, body)     400 DRF-style errors, 401/403 {"detail"},
                                 404 {"detail": "Not found."}, 405, 409
    httpx.RemoteProtocolError
    └── DroppedConnection        the fault "drop", raised in-process only
"""

from __future__ import annotations

from typing import Any

import httpx

NOT_FOUND = {"detail": "Not found."}


class ApiProblem(Exception):
    """An error answer: ``status`` and the JSON ``body`` to send."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def bad_request(body: Any) -> ApiProblem:
    """400 with a DRF-style body (field dict, or a bare list of non-field errors)."""
    return ApiProblem(400, body)


def not_found() -> ApiProblem:
    """404, as DRF words it."""
    return ApiProblem(404, NOT_FOUND)


def conflict(body: Any) -> ApiProblem:
    """409: the request conflicts with existing data."""
    return ApiProblem(409, body)


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised in-process (httpx's ASGITransport) where a server would drop the connection.

    Over uvicorn the sandbox closes the socket instead; in-process, raising this
    transport error makes the client see what it would see over the network.
    """
