"""Sandbox: JWT tokens for the sandbox: minting (for tests and dealers) and checking.

A token is HS256-signed with the sandbox's secret and names its scope with one
of two claims:

* ``{"dealer_code": "D1"}`` — one dealer;
* ``{"dealer_group": ["D1", "D2"], "group_name": "G"}`` — a dealer group.

Following api-notes.md (doc: "401 a missing or invalid X-Auth-Token; 403 a valid
token without the needed scope"): no token, or one that does not verify (bad
signature, expired, malformed) → 401 ``{"detail": "Invalid token: ..."}``; a token
that verifies but names no dealer, or a dealer_code outside the token's scope → 403.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from syncd.sandbox.problems import ApiProblem
from syncd.sandbox.settings import DEV_SECRET

ALGORITHM = "HS256"
ISSUER = "syncd-sandbox"
TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 - a header name, not a secret


@dataclass(frozen=True, slots=True)
class Scope:
    """What a token may touch: its dealer codes, and the group name if any."""

    dealer_codes: frozenset[str]
    group: str | None = None

    @property
    def is_group(self) -> bool:
        """True for a dealer_group token (dealer_code must then be named on POST)."""
        return self.group is not None or len(self.dealer_codes) > 1


def mint_token(
    dealer_codes: Sequence[str] | str,
    *,
    secret: str = DEV_SECRET,
    group: str | None = None,
    expires_in: float | None = None,
    now: datetime | None = None,
) -> str:
    """A signed token for one dealer, or for a dealer group (several codes or ``group``)."""
    codes = [dealer_codes] if isinstance(dealer_codes, str) else list(dealer_codes)
    if not codes or not all(codes):
        raise ValueError("a token needs at least one non-empty dealer code")
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {"iss": ISSUER, "iat": int(issued.timestamp())}
    if group is None and len(codes) == 1:
        claims["dealer_code"] = codes[0]
    else:
        claims["dealer_group"] = sorted(set(codes))
        claims["group_name"] = group or "group"
    if expires_in is not None:
        claims["exp"] = int((issued + timedelta(seconds=expires_in)).timestamp())
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


_VERIFIED: dict[tuple[str, str], tuple[Scope, int | None]] = {}
"""Tokens that verified, by (token, secret): their scope and ``exp`` (None: none)."""
_VERIFIED_KEPT = 256


def read_token(token: str | None, secret: str) -> Scope:
    """The scope of a request's token; raises :class:`ApiProblem` 401/403.

    A token that verified is not verified again (its signature and claims cannot have
    changed) until its ``exp`` has passed: then PyJWT decides, and words, the 401. Its
    ``nbf`` and ``iat`` were in the past when it verified, and stay there. Failures are
    never remembered.
    """
    if not token:
        raise ApiProblem(401, {"detail": "Authentication credentials were not provided."})
    known = _VERIFIED.get((token, secret))
    # PyJWT's own rule: expired once exp <= now (no leeway).
    if known is not None and (known[1] is None or time.time() < known[1]):
        return known[0]
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.InvalidTokenError as exc:
        raise ApiProblem(401, {"detail": f"Invalid token: {exc}"}) from None
    scope = _scope(claims)
    if len(_VERIFIED) >= _VERIFIED_KEPT:
        _VERIFIED.clear()
    _VERIFIED[(token, secret)] = (scope, int(claims["exp"]) if "exp" in claims else None)
    return scope


def peek_dealer(token: str | None, secret: str) -> str | None:
    """The token's dealer code(s) for the journal, or None when it does not verify."""
    try:
        scope = read_token(token, secret)
    except ApiProblem:
        return None
    return ",".join(sorted(scope.dealer_codes))


def _scope(claims: dict[str, object]) -> Scope:
    dealer = claims.get("dealer_code")
    group = claims.get("dealer_group")
    if isinstance(dealer, str) and dealer:
        return Scope(frozenset({dealer}))
    if isinstance(group, list) and group and all(isinstance(c, str) and c for c in group):
        name = claims.get("group_name")
        return Scope(frozenset(group), name if isinstance(name, str) else "group")
    raise ApiProblem(403, {"detail": "Invalid token: it names no dealer_code or dealer_group."})


def check_dealer(scope: Scope, dealer_code: str) -> None:
    """403 unless ``dealer_code`` is within the token's scope."""
    if dealer_code not in scope.dealer_codes:
        raise ApiProblem(
            403,
            {"detail": f"Your token does not give access to dealer_code {dealer_code!r}."},
        )
