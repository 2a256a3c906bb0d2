"""Core: renewals (bump, pole position): which ads a policy renews now, within its caps.

Pure: no I/O here; the history, the ads and ``now`` come in as arguments.
Renewals cost money (the seed: "charges apply"), so the rules lean to spending
less:

* A policy renews only live, published ads (the mirror knows their
  ``blocket_ad_id``) whose latest call has settled without error, of its
  categories and matching its filter; never one last sent ``visible: false``,
  and never one the latest run found absent from the feed (``absent_since``:
  its plan deletes it, and a guard may hold the delete back until a person
  confirms; the dealer no longer sells it, so a bump would be money lost).
* An ad is due when its last renewal (:func:`last_renewal`: its latest charged
  bump, by any policy or by hand, or its creation if later) is ``every`` old.
  The longest since go first (an unknown one first of all), ties by source_id.
  An ad the API refused since its last bump goes after them all (oldest
  refusal first), so it cannot starve them.
* An ad on pole position (a charged ``pole_position`` less than 3 days old) is
  never bumped: the API refuses it, and a refusal tells nothing new.
* Caps are per dealer: they count the policy's own charged calls for that dealer
  (``RESERVED``, ``ACCEPTED`` and ``UNKNOWN``: a call whose answer was lost may
  have been charged) since the start of the UTC day and month. One install may
  serve a dealer group; the docs said only that a policy's caps are counted by
  its name, never that the group's dealers share them, and a shared cap would
  let one dealer's stock use up the others' units. So a policy of three dealers
  may make three times its caps in all (the README says so). Assumption: UTC, as
  every time syncd keeps; a Swedish day starts one or two hours earlier. The
  shell re-checks the cap in the database when it takes each unit
  (:func:`allowance` is the same rule), so two processes never both spend the
  last one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from syncd.core.categories import category
from syncd.core.models import MirrorAd, RemoteState, Stage

POLE_POSITION_LASTS = timedelta(days=3)
"""The seed: "Pole position lasts for 3 days. Currently, ads on pole position cannot be bumped"."""


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


@dataclass(frozen=True, slots=True)
class RenewalPolicy:
    """One ``[[renewal]]`` of the config: bump these ads every ``every``, within ``caps``.

    ``dealer_codes`` empty: every configured dealer. ``categories`` empty: any.
    ``filter``: dotted payload path -> the values accepted (all paths must match).
    """

    name: str
    every: timedelta
    caps: Caps
    dealer_codes: frozenset[str] = frozenset()
    categories: frozenset[int] = frozenset()
    filter: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    exclude_bytbil: bool = False
    exclude_blocket: bool = False

    def applies_to(self, dealer_code: str) -> bool:
        """True when the policy renews this dealer's ads."""
        return not self.dealer_codes or dealer_code in self.dealer_codes


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


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day (``now`` is aware UTC)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC month."""
    return day_start(now).replace(day=1)


def history_since(policy: RenewalPolicy, now: datetime) -> datetime:
    """How far back the history :func:`decide` needs reaches (month, interval, pole)."""
    return min(month_start(now), now - policy.every, now - POLE_POSITION_LASTS)


def allowance(caps: Caps, used_today: int, used_this_month: int) -> int:
    """Units left under both caps (never below 0)."""
    return max(0, min(caps.daily - used_today, caps.monthly - used_this_month))


def used(
    policy: str, dealer_code: str, history: Iterable[Renewal], now: datetime
) -> tuple[int, int]:
    """The policy's charged calls for this dealer today and this month (UTC)."""
    day, month = day_start(now), month_start(now)
    mine = [
        r.at
        for r in history
        if r.policy == policy and r.dealer_code == dealer_code and r.outcome in CHARGED
    ]
    return sum(1 for at in mine if at >= day), sum(1 for at in mine if at >= month)


def on_pole_position(history: Iterable[Renewal], now: datetime) -> set[tuple[str, str]]:
    """The (dealer_code, source_id) on pole position now, by the charged calls recorded."""
    since = now - POLE_POSITION_LASTS
    return {
        (r.dealer_code, r.source_id)
        for r in history
        if r.kind is RenewalKind.POLE_POSITION and r.outcome in CHARGED and r.at > since
    }


def decide(
    policy: RenewalPolicy,
    dealer_code: str,
    ads: Iterable[MirrorAd],
    history: Sequence[Renewal],
    now: datetime,
    *,
    api_version: int = 4,
) -> Decision:
    """The ads of ``dealer_code`` the policy bumps now; see the module docstring."""
    last = _last_bumps(history, dealer_code)
    refusals = _last_refusals(history, dealer_code)
    pole = on_pole_position(history, now)
    due: list[tuple[datetime | None, MirrorAd]] = []
    skipped: list[str] = []
    for ad in ads:
        if not _eligible(policy, ad):
            continue
        renewed = last_renewal(ad, last.get(ad.source_id))
        if renewed is not None and now - renewed < policy.every:
            continue
        if (dealer_code, ad.source_id) in pole:
            skipped.append(ad.source_id)
            continue
        due.append((renewed, ad))
    today, month = used(policy.name, dealer_code, history, now)
    left = allowance(policy.caps, today, month)

    # Only the first ``left`` are needed: a partial sort (n log k) over a whole stock.
    # An ad the API refused since its last bump (a pole position bought in Blocket
    # Admin, an ad it will not bump) goes after the others, oldest refusal first: a
    # refusal costs no unit, so it would otherwise take the same units on every run
    # and starve the other due ads.
    def order(d: tuple[datetime | None, MirrorAd]) -> tuple[Any, ...]:
        renewed, ad = d
        refused = refusals.get(ad.source_id)
        bumped = last.get(ad.source_id)
        if refused is not None and bumped is not None and refused < bumped:
            refused = None
        return (
            refused is not None,
            refused or now,
            renewed is not None,
            renewed or now,
            ad.source_id,
        )

    first = heapq.nsmallest(left, due, key=order)
    chosen = tuple(_choice(policy, ad, api_version) for _, ad in first)
    return Decision(policy.name, dealer_code, chosen, len(due), tuple(sorted(skipped)), left)


def last_renewal(ad: MirrorAd, bumped: datetime | None) -> datetime | None:
    """When the ad last appeared as new: its latest charged bump or its creation, whichever
    is later; None when neither is known (never bumped, creation unknown: due at once).

    Assumption (the seed is silent): a new ad already "appears as new", as a bump makes
    it, so its creation counts as a renewal. The creation is the mirror row's
    ``created_at``, when syncd first wrote it: the intent of its first create, a moment
    before it went live (a create refused and sent again later counts from the first
    try). An adopted ad counts from its adoption: syncd cannot know when it last
    appeared as new (a bump in Blocket Admin, say), and spending less is the safer
    guess. A revived ad (deleted, then back in the feed) keeps its first creation.
    """
    if bumped is None or (ad.created_at is not None and ad.created_at > bumped):
        return ad.created_at
    return bumped


def _last_bumps(history: Iterable[Renewal], dealer_code: str) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for r in history:
        mine = r.dealer_code == dealer_code and r.kind is RenewalKind.BUMP
        if mine and r.outcome in CHARGED and (r.source_id not in last or r.at > last[r.source_id]):
            last[r.source_id] = r.at
    return last


def _last_refusals(history: Iterable[Renewal], dealer_code: str) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for r in history:
        mine = r.dealer_code == dealer_code and r.kind is RenewalKind.BUMP
        if mine and r.outcome is RenewalOutcome.REFUSED:
            last[r.source_id] = max(r.at, last.get(r.source_id, r.at))
    return last


_CREATED = RemoteState.CREATED
_UNSETTLED = frozenset({Stage.INTENT, Stage.SENT, Stage.ERROR})


def _eligible(policy: RenewalPolicy, ad: MirrorAd) -> bool:
    if ad.remote_state is not _CREATED or ad.blocket_ad_id is None:
        return False
    if ad.stage in _UNSETTLED:
        return False  # a call in flight, or one the API's processing failed
    if ad.payload is not None and ad.payload.get("visible") is False:
        return False  # hidden (a rehearsal, or the feed's wish): a bump would buy nothing
    if ad.absent_since is not None:
        return False  # gone from the feed, its delete perhaps held back by a guard
    if policy.categories and ad.category_id not in policy.categories:
        return False
    if not policy.filter:
        return True
    return all(_at(ad.payload, path) in values for path, values in policy.filter.items())


_MISSING = object()


def _at(payload: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def registered(category_id: int | None, api_version: int) -> bool:
    """True for a registered-vehicle category (the only ones the exclude flags apply to)."""
    cat = category(category_id) if category_id is not None else None
    return cat is not None and cat.is_registered_vehicle(api_version)


def _choice(policy: RenewalPolicy, ad: MirrorAd, api_version: int) -> Choice:
    if not registered(ad.category_id, api_version):
        return Choice(ad.source_id)
    return Choice(ad.source_id, policy.exclude_bytbil, policy.exclude_blocket)
