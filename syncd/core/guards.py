"""Core: safety guards: plans syncd refuses to apply without a person's say-so.

Pure: no I/O here. A feed that is empty, or that would delete a large share of
the dealer's live ads, is far more likely a broken export than a dealer who
sold everything overnight: its deletes (and creates) are held back until someone confirms
with ``--allow-mass-delete``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.core.models import Create, Delete, Invalid, MirrorAd, Op, Plan, RemoteState, Stage


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """The ``[guards]`` settings."""

    max_delete_fraction: float = 0.2
    max_delete_count: int = 500
    min_deletes_checked: int = 3
    max_feed_age: timedelta | None = timedelta(days=1)


def live_count(mirror: Mapping[str, MirrorAd]) -> int:
    """Ads that are live (or on their way) in the API, by the mirror."""
    return sum(
        1
        for ad in mirror.values()
        if ad.remote_state is RemoteState.CREATED
        and not (ad.stage in (Stage.SENT, Stage.INTENT) and ad.last_op is Op.DELETE)
    )


def mass_delete(
    plan: Plan, live: int, feed_items: int, limits: GuardLimits, unidentified: int = 0
) -> str | None:
    """Why the plan's deletes must be held back, or None when they may go ahead.

    Assumption: the share rule applies from ``min_deletes_checked`` deletes on, so
    that a dealer with three ads can sell one without tripping a 20 % guard; the
    empty-feed (no valid item) and absolute-count rules always apply.
    """
    deletes = sum(1 for e in plan.entries if isinstance(e, Delete))
    if deletes == 0:
        return None
    if feed_items == 0:
        return f"the feed is empty and would delete all {deletes} live ads; is the exporter broken?"
    if unidentified:
        # An item without a source_id may be one of the ads about to be deleted.
        return (
            f"{unidentified} feed item(s) have no source_id, and any of them may be one of "
            f"the {deletes} ads the feed would delete"
        )
    if not any(not isinstance(e, Delete | Invalid) for e in plan.entries):
        # A file of nothing but broken rows has no valid item: it is an empty feed too,
        # whatever the share rule says for a dealer with two ads. (A dealer who swaps
        # its one ad for another still has a valid item, and goes ahead.)
        return (
            f"the feed has no valid item and would delete {deletes} of {live} live ads; "
            f"is the exporter broken?"
        )
    if deletes > limits.max_delete_count:
        return (
            f"the feed would delete {deletes} ads, more than guards.max_delete_count "
            f"({limits.max_delete_count})"
        )
    share = deletes / live if live else 1.0
    if deletes >= limits.min_deletes_checked and share > limits.max_delete_fraction:
        return (
            f"the feed would delete {deletes} of {live} live ads ({share:.0%}), more than "
            f"guards.max_delete_fraction ({limits.max_delete_fraction:.0%})"
        )
    return None


def hold_back(plan: Plan) -> Plan:
    """The plan without its deletes and creates: only updates of live ads go ahead.

    Creates are held too: a feed whose source_ids were all renamed would otherwise
    publish every vehicle a second time while its old ads stay.
    """
    return Plan(
        plan.dealer_code, tuple(e for e in plan.entries if not isinstance(e, Delete | Create))
    )


def stale_feed(modified_at: datetime, now: datetime, limits: GuardLimits) -> str | None:
    """A warning when the feed file has not changed for longer than ``max_feed_age``."""
    if limits.max_feed_age is None:
        return None
    age = now - modified_at
    if age <= limits.max_feed_age:
        return None
    hours = age.total_seconds() / 3600
    return (
        f"the feed was last written {hours:.1f} h ago (guards.max_feed_age is "
        f"{limits.max_feed_age.total_seconds() / 3600:.1f} h); is the exporter running?"
    )
