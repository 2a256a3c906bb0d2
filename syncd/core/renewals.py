"""Core: renewals (bump, pole position): which ads a policy renews now, within its caps.

Pure: no I/O here; the history, the ads and ``now`` come in as arguments.
Renewals cost money (the seed: "charges apply"), so the rules lean to spending
less:

* A policy renews only live, published ads (the mirror knows their
  ``blocket_ad_id``) whose latest call has settled without error, of its
  categories and matching its filter; never one last sent ``visible: false``,
  and never one the latest run found no valid feed item for (``absent_since``,
  :func:`unrenewable`: its plan deletes it, and a guard may hold the delete back
  until a person confirms; a pin keeps it; its call in flight puts the delete off to
  the next run; or its item is invalid; the dealer no longer sells it, or its ad is
  broken, so a bump would be money lost).
* An ad is due when its last renewal (:func:`last_renewal`: its latest charged
  bump, by any policy or by hand, or its creation if later) is ``every`` old.
  The longest since go first (an unknown one first of all), ties by source_id.
  An ad the API refused since its last bump goes after them all (oldest
  refusal first), so it cannot starve them.
* An ad on pole position (a charged ``pole_position`` less than 3 days old) is
  never bumped: the API refuses it, and a refusal tells nothing new.
* Caps are per dealer, counted by :mod:`syncd.core.renewal_caps` (its docstring
  says how).
* A policy trusts the absent marks only while they are recent (:func:`marks_unusable`):
  marks a feed of days ago left would let it pay for ads the dealer has sold since.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.core.categories import category
from syncd.core.models import (
    Delete,
    Invalid,
    MirrorAd,
    Plan,
    RemoteState,
    Stage,
    Unchanged,
    ValidatedFeed,
)
from syncd.core.renewal_caps import allowance, month_start, used
from syncd.core.renewal_models import (
    CHARGED,
    Choice,
    Decision,
    Renewal,
    RenewalAd,
    RenewalKind,
    RenewalOutcome,
    RenewalPolicy,
)

POLE_POSITION_LASTS = timedelta(days=3)
"""The seed: "Pole position lasts for 3 days. Currently, ads on pole position cannot be bumped"."""


NO_ABSENT_MARKS = (
    "no sync of this dealer has recorded which ads are absent from the feed since the "
    "upgrade; the policy waits for one (run a sync first)"
)
"""Why a policy sends nothing for a dealer before its first sync of this version."""


def marks_unusable(recorded_at: datetime | None, now: datetime, max_age: timedelta) -> str | None:
    """Why a policy must not trust the dealer's absent marks now, or None when it may.

    ``recorded_at``: when the dealer's latest run that recorded the marks started (None:
    no run of this version has). The marks are a run's view of the feed it read: while a
    dealer's syncs fail (a broken or unreadable feed, a stopped exporter, the API down
    before the plan) they stay as the last good run left them, and an ad the dealer sold
    since is still unmarked: a bump would pay for it. Past ``max_age`` the policy skips the
    dealer until a sync records them again.

    Assumption: the run's start is the marks' time. The run reads its feed just before its
    row is started, and marks the ads right after its plan, before it sends anything: the
    start lies between the two, and a long run (a first sync of 100 000 ads sends for
    hours) does not make its marks look newer than its feed. A run that recorded the marks
    and failed afterwards (its calls refused, the API gone) still counts: its marks are
    as fresh as its feed. A time ahead of ``now`` (clocks of two hosts on one database)
    counts as fresh.
    """
    if recorded_at is None:
        return NO_ABSENT_MARKS
    age = now - recorded_at
    if age <= max_age:
        return None
    started = recorded_at.astimezone(UTC)
    return (
        f"the absent marks are {_span(age)} old (the last sync that recorded them started "
        f"{started:%Y-%m-%d %H:%M} UTC), past max_marks_age {_span(max_age)}: no sync of "
        "this dealer has recorded them since (its feed unreadable or broken, or no sync "
        "run); the policy waits for one that does"
    )


def _span(d: timedelta) -> str:
    """A duration as an operator reads it: "3d 4h", "5h 12m", "40m", "30s"."""
    seconds = int(d.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{seconds}s"


def history_since(policy: RenewalPolicy, now: datetime) -> datetime:
    """How far back the history :func:`decide` needs reaches (month, interval, pole)."""
    return min(month_start(now), now - policy.every, now - POLE_POSITION_LASTS)


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
    ads: Iterable[RenewalAd],
    history: Sequence[Renewal],
    now: datetime,
    *,
    api_version: int = 4,
) -> Decision:
    """The ads of ``dealer_code`` the policy bumps now; see the module docstring.

    ``ads``: what ``Mirror.renewal_ads`` reads (no payloads); wrap a whole MirrorAd
    with :func:`renewal_ad` (the policy's filter as its paths)."""
    last = _last_bumps(history, dealer_code)
    pole = {s for d, s in on_pole_position(history, now) if d == dealer_code}
    due, skipped = _due(policy, ads, last, pole, now)
    today, month = used(policy.name, dealer_code, history, now)
    left = allowance(policy.caps, today, month)
    # Only the first ``left`` are needed: a partial sort (n log k) over a whole stock.
    key = _order(last, _last_refusals(history, dealer_code), now)
    first = heapq.nsmallest(left, due, key=key)
    chosen = tuple(_choice(policy, ad, api_version) for _, ad in first)
    return Decision(policy.name, dealer_code, chosen, len(due), tuple(sorted(skipped)), left)


_Due = tuple[datetime | None, RenewalAd]
"""An ad due for a bump, with its last renewal (None: unknown)."""


def _due(
    policy: RenewalPolicy,
    ads: Iterable[RenewalAd],
    last: Mapping[str, datetime],
    pole: AbstractSet[str],
    now: datetime,
) -> tuple[list[_Due], list[str]]:
    """The eligible ads whose last renewal is ``every`` old, and the source_ids of those
    skipped for being on pole position."""
    due: list[_Due] = []
    skipped: list[str] = []
    for ad in ads:
        if not _eligible(policy, ad):
            continue
        renewed = last_renewal(ad, last.get(ad.source_id))
        if renewed is not None and now - renewed < policy.every:
            continue
        if ad.source_id in pole:
            skipped.append(ad.source_id)
            continue
        due.append((renewed, ad))
    return due, skipped


def _order(
    last: Mapping[str, datetime], refusals: Mapping[str, datetime], now: datetime
) -> Callable[[_Due], tuple[Any, ...]]:
    """The sort key of the due ads: the longest since its last renewal first (an unknown
    one first of all), ties by source_id.

    An ad the API refused since its last bump (a pole position bought in Blocket
    Admin, an ad it will not bump) goes after the others, oldest refusal first: a
    refusal costs no unit, so it would otherwise take the same units on every run
    and starve the other due ads.
    """

    def key(d: _Due) -> tuple[Any, ...]:
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

    return key


def unrenewable(plan: Plan, feed: ValidatedFeed) -> set[str]:
    """The source_ids the plan found no valid feed item for, which no policy bumps (the
    mirror's ``absent_since`` marks): the ads it deletes, the pinned ones it keeps
    although the feed lacks them, those whose call is still in flight although the feed
    lacks them, and those whose item is invalid (``Invalid`` entries: an invalid item, a
    change the API cannot make, an id a DELETE cannot name; and every id an ambiguous
    item gave, as the planner protects each of them).

    Assumption: an ad whose item is invalid is not bumped until the item is valid again:
    the ad online is no longer what the dealer's feed says, and a bump would pay to show
    it. A pinned ad absent from the feed is kept online, not sold as new: the dealer
    pinned it so as not to lose it, not to pay for it (``syncd bump`` still can). An ad
    in flight that the feed lacks is deleted only by the next run (once its call has
    settled), but the run's own reconcile may settle it live now: a policy right after
    this run (``run-once``, the daemon's renew job) would otherwise pay to bump it.
    """
    found = {c for item in feed.invalid for c in item.candidates}
    listed: set[str] | None = None  # the valid items' ids, read only if an ad is in flight
    for entry in plan.entries:
        match entry:
            case Delete() | Unchanged(reason="pinned"):
                found.add(entry.source_id)
            case Invalid(source_id=str() as source_id):
                found.add(source_id)
            case Unchanged(reason="in_flight"):
                if listed is None:
                    listed = {item.source_id for item in feed.items}
                if entry.source_id not in listed:
                    found.add(entry.source_id)
    return found


def last_renewal(ad: RenewalAd, bumped: datetime | None) -> datetime | None:
    """When the ad last appeared as new: its latest charged bump or its creation, whichever
    is later; None when neither is known (never bumped, creation unknown: due at once).

    Assumption (the seed is silent): a new ad already "appears as new", as a bump makes
    it, so its creation counts as a renewal. The creation is the mirror row's
    ``created_at``, when syncd first wrote it: the intent of its first create, a moment
    before it went live (a create refused and sent again later counts from the first
    try). An adopted ad counts from its adoption: syncd cannot know when it last
    appeared as new (a bump in Blocket Admin, say), and spending less is the safer
    guess. A revived ad (deleted, then back in the feed: re-POSTed, or PATCHed back)
    appears as new again: the mirror sets ``created_at`` anew at its revive's intent.
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


def renewal_ad(ad: MirrorAd, paths: Iterable[str]) -> RenewalAd:
    """What a policy whose filter reads ``paths`` reads of a whole MirrorAd."""
    payload = ad.payload
    return RenewalAd(
        ad.source_id,
        ad.category_id,
        ad.remote_state,
        ad.stage,
        published=ad.blocket_ad_id is not None,
        created_at=ad.created_at,
        absent_since=ad.absent_since,
        hidden=hidden(payload),
        values=picked(payload, paths),
    )


def hidden(payload: Mapping[str, Any] | None) -> bool:
    """True when an accepted payload says ``visible: false`` (a rehearsal, or the feed's wish)."""
    return payload is not None and payload.get("visible") is False


def picked(payload: Mapping[str, Any] | None, paths: Iterable[str]) -> dict[str, Any]:
    """The value at each dotted path the payload has (a path it lacks is left out)."""
    found: dict[str, Any] = {}
    for path in paths:
        value = _at(payload, path)
        if value is not _MISSING:
            found[path] = value
    return found


def _eligible(policy: RenewalPolicy, ad: RenewalAd) -> bool:
    if ad.remote_state is not _CREATED or not ad.published:
        return False
    if ad.stage in _UNSETTLED:
        return False  # a call in flight, or one the API's processing failed
    # Assumption: an ad whose latest change the API refused at once (REJECTED, a 4xx) is
    # still bumped. What is online is the last payload it accepted, live and known (unlike
    # after a failed processing, ERROR), the feed still sells it, and status shows the
    # refusal: a refused edit (a too-long text) should not cost the dealer his visibility.
    if ad.hidden:
        return False  # hidden (a rehearsal, or the feed's wish): a bump would buy nothing
    if ad.absent_since is not None:
        return False  # gone from the feed, its delete perhaps held back by a guard
    if policy.categories and ad.category_id not in policy.categories:
        return False
    if not policy.filter:
        return True
    return all(ad.values.get(path, _MISSING) in values for path, values in policy.filter.items())


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


def _choice(policy: RenewalPolicy, ad: RenewalAd, api_version: int) -> Choice:
    if not registered(ad.category_id, api_version):
        return Choice(ad.source_id)
    return Choice(ad.source_id, policy.exclude_bytbil, policy.exclude_blocket)
