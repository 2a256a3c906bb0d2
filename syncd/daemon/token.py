"""Daemon: whether the API takes the token, learnt from every answer and a periodic check.

A no-op sync sends nothing, so a wrong or expired token would go unnoticed until the
next change fails. The daemon therefore watches every answer of the API client (an
httpx response hook, :meth:`TokenWatch.hooks`): any answer counts as proof the token
works, a 401/403 as a refusal; and its ``token_check`` job does one cheap
authenticated read per dealer (``GET /ad?limit=1``) at start, after a reload and
whenever nothing proved the token for ``daemon.token_check_interval`` seconds.

A refusal makes ``/readyz`` fail (:meth:`TokenWatch.reasons`), sets the gauge
``syncd_api_token_refused`` and logs ``api_token_refused`` once; the next answer
that proves the token clears it (``api_token_accepted``). The token itself is never
held here: a reason names the status, the method, the path and the dealer only.

The decisions (:func:`verdict`, :func:`is_due`, :func:`cleared_by`) are pure; the
watch is updated on the event loop and read from the health server's threads (it
swaps an immutable mapping, never mutates one being read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger("syncd.token")

REFUSED = frozenset({401, 403})

OnChange = Callable[[str, bool], None]
"""Told of a change of a dealer's state: (dealer_code, refused)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """The answer that refused the token: its status and request (never its headers)."""

    status: int
    method: str
    path: str

    def reason(self, dealer_code: str) -> str:
        """The ``/readyz`` reason for this refusal."""
        shown = dealer_code or "(token dealer)"
        return (
            f"{shown}: the API refused the token (HTTP {self.status} on {self.method} "
            f"{self.path}); check api.token, api.token_file or $SYNCD_API_TOKEN"
        )


def verdict(status: int) -> bool | None:
    """True: the answer proves the API took the token; False: it refused it; None: the
    answer tells nothing (429 and 5xx may come from a proxy or before the token is read)."""
    # Assumption: the API checks the token before anything else, so a 400, 404 or 409
    # (the request's fault) proves the token as a 2xx does.
    if status in REFUSED:
        return False
    if status == 429 or status >= 500:
        return None
    return True


def cleared_by(dealer_code: str, refused: Mapping[str, Refusal]) -> list[str]:
    """The refusals an answer for ``dealer_code`` that proves the token clears: its own,
    and the unscoped one (a call that named no dealer in its query: the vehicle lists,
    a POST whose dealer is in its body). Assumption: a token taken for one dealer is
    valid (signed, not expired); only another dealer's scope is left in doubt."""
    return [k for k in (dealer_code, "") if k in refused]


def is_due(now: float, last_proof: float | None, last_check: float | None, every: float) -> bool:
    """Check now when neither an answer that proved the token nor a check came within
    ``every`` seconds (a refused token is then checked again every ``every``)."""
    latest = max((t for t in (last_proof, last_check) if t is not None), default=None)
    return latest is None or now - latest >= every


def dealer_of(request: httpx.Request) -> str:
    """The dealer a call named in its query (``?dealer_code=``), else ``""``."""
    return str(request.url.params.get("dealer_code", ""))


class TokenWatch:
    """What the daemon knows of the token, per dealer (``""``: calls naming none)."""

    def __init__(self, on_change: OnChange | None = None) -> None:
        self._on_change = on_change
        self._refused: Mapping[str, Refusal] = MappingProxyType({})
        self.last_proof: float | None = None  # monotonic time of the last proving answer
        self.last_check: float | None = None  # monotonic time the last check began

    @property
    def refused(self) -> Mapping[str, Refusal]:
        """The refusals in force, by dealer code (a snapshot)."""
        return self._refused

    def answered(self, dealer_code: str, status: int, method: str, path: str, at: float) -> None:
        """Learn from one answer of the API (``at``: monotonic time)."""
        ok = verdict(status)
        if ok is None:
            return
        current = self._refused
        if ok:
            self.last_proof = at
            gone = cleared_by(dealer_code, current)
            if gone:
                self._refused = MappingProxyType(
                    {k: v for k, v in current.items() if k not in gone}
                )
                for k in gone:
                    log.info("api_token_accepted", dealer_code=k, status=status)
                    self._tell(k, refused=False)
            return
        was = dealer_code in current
        refusal = Refusal(status, method, path)
        if current.get(dealer_code) != refusal:
            self._refused = MappingProxyType({**current, dealer_code: refusal})
        if not was:
            log.error(
                "api_token_refused",
                dealer_code=dealer_code,
                status=status,
                method=method,
                path=path,
            )
            self._tell(dealer_code, refused=True)

    def due(self, now: float, every: float) -> bool:
        """Whether the token check should read now (see :func:`is_due`)."""
        return is_due(now, self.last_proof, self.last_check, every)

    def checking(self, now: float) -> None:
        """A check begins (it is not due again for an interval, whatever it finds)."""
        self.last_check = now

    def forget_checks(self) -> None:
        """A reload may bring another token: check it at once (the refusals stay until
        an answer clears them)."""
        self.last_proof = None
        self.last_check = None

    def keep(self, dealer_codes: set[str]) -> None:
        """A reload: drop the refusals of dealers no longer configured (no check would
        clear them); the unscoped one stays."""
        current = self._refused
        gone = [k for k in current if k and k not in dealer_codes]
        if gone:
            self._refused = MappingProxyType({k: v for k, v in current.items() if k not in gone})
            for k in gone:
                self._tell(k, refused=False)

    def reasons(self) -> tuple[str, ...]:
        """The ``/readyz`` reasons, one per refused dealer."""
        snapshot = self._refused
        return tuple(snapshot[k].reason(k) for k in sorted(snapshot))

    def hooks(self, clock: Callable[[], float]) -> dict[str, list[Callable[..., Any]]]:
        """httpx AsyncClient event hooks that feed every answer to :meth:`answered`."""

        async def on_response(response: httpx.Response) -> None:
            request = response.request
            self.answered(
                dealer_of(request), response.status_code, request.method, request.url.path, clock()
            )

        return {"response": [on_response]}

    def _tell(self, dealer_code: str, *, refused: bool) -> None:
        if self._on_change is not None:
            self._on_change(dealer_code, refused)
