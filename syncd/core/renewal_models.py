"""Core: the renewal values: the paid calls' kinds and outcomes, a policy and its caps, a
renewal row, the API's answer, and what a policy decides (:mod:`syncd.core.renewals`).

Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from syncd.core.models import RemoteState, Stage


class RenewalKind(StrEnum):
    """Which paid call: ``GET /ad/{source_id}/bump`` or ``/pole_position``."""

    BUMP = "bump"
    POLE_POSITION = "pole_position"


class RenewalOutcome(StrEnum):
    """What became of one renewal, as the renewals table records it."""

    RESERVED = "reserved"  # a unit of the cap taken, the call about to go (or cut by a crash)
    ACCEPTED = "accepted"  # the API answered 2xx: charged
    REFUSED = "refused"  # the API answered 4xx (or 429): nothing was charged
    UNKNOWN = "unknown"  # no usable answer (timeout, 5xx): it may have been charged
    # Held back by syncd itself before it was sent (a stop, SIGTERM/SIGINT, came first):
    # nothing was charged, and nothing says it was refused, so it is due again at once.
    NOT_SENT = "not_sent"


CHARGED = frozenset({RenewalOutcome.RESERVED, RenewalOutcome.ACCEPTED, RenewalOutcome.UNKNOWN})
"""The outcomes that count against a cap and as "renewed" (a lost answer counts: money)."""


@dataclass(frozen=True, slots=True)
class Caps:
    """The most charged calls a policy may make for one dealer in one UTC day and month."""

    daily: int
    monthly: int


MAX_MARKS_AGE = timedelta(hours=6)
"""How old a dealer's absent marks may be before a policy skips the dealer, by default
(``[[renewal]] max_marks_age``; the config's default is the longer of this and twice
``daemon.interval``): see :func:`syncd.core.renewals.marks_unusable`."""


@dataclass(frozen=True, slots=True)
class RenewalPolicy:
    """One ``[[renewal]]`` of the config: bump these ads every ``every``, within ``caps``.

    ``dealer_codes`` empty: every configured dealer. ``categories`` empty: any.
    ``filter``: dotted payload path -> the values accepted (all paths must match).
    ``max_marks_age``: the policy sends nothing for a dealer whose last run that recorded
    the absent marks started longer ago than this.
    """

    name: str
    every: timedelta
    caps: Caps
    dealer_codes: frozenset[str] = frozenset()
    categories: frozenset[int] = frozenset()
    filter: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    exclude_bytbil: bool = False
    exclude_blocket: bool = False
    max_marks_age: timedelta = MAX_MARKS_AGE

    def applies_to(self, dealer_code: str) -> bool:
        """True when the policy renews this dealer's ads."""
        return not self.dealer_codes or dealer_code in self.dealer_codes


@dataclass(frozen=True, slots=True)
class RenewalAd:
    """What a policy reads of one ad (``Mirror.renewal_ads``): its state, times and the few
    payload fields the decision looks at, never the whole payload.

    ``Mirror.renewal_ads`` returns these, not MirrorAds: a policy ran over the whole
    stock, and reading and decoding 100 000 payloads (3 kB each) took seconds and hundreds
    of MB for a check of ``visible`` and a filter's paths.
    ``published``: the mirror knows the ad's ``blocket_ad_id``. ``hidden``: its accepted
    payload says ``visible: false``. ``values``: the value at each of the policy's filter
    paths (dotted) that the accepted payload has; a path it lacks is left out.
    """

    source_id: str
    category_id: int | None = None
    remote_state: RemoteState | None = None
    stage: Stage | None = None
    published: bool = False
    created_at: datetime | None = None  # as MirrorAd.created_at
    absent_since: datetime | None = None  # as MirrorAd.absent_since
    hidden: bool = False
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Renewal:
    """One row of the renewals table: one paid call (or its reserved unit)."""

    dealer_code: str
    source_id: str
    kind: RenewalKind
    at: datetime
    outcome: RenewalOutcome
    policy: str | None = None  # None: asked for by hand (`syncd bump`)
    message: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class RenewalAnswer:
    """The API's answer to one paid call, as the client reads it."""

    outcome: RenewalOutcome  # ACCEPTED, REFUSED or UNKNOWN
    status: int | None = None
    message: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """One ad to bump now, with the exclusions its category allows."""

    source_id: str
    exclude_bytbil: bool = False
    exclude_blocket: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """What a policy does for one dealer now, and why it does no more."""

    policy: str
    dealer_code: str
    chosen: tuple[Choice, ...]
    due: int  # ads due for a bump (chosen or held back by a cap)
    on_pole_position: tuple[str, ...]  # due otherwise, skipped: the API refuses them
    left: int  # units left under both caps before this decision

    @property
    def capped(self) -> int:
        """Due ads left for later by a cap."""
        return self.due - len(self.chosen)
