"""Core: a renewal policy's caps: the units it has used today and this month, and those left.

Pure: no I/O here; the history and ``now`` come in as arguments.

Caps are per dealer: they count the policy's own charged calls for that dealer
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

from collections.abc import Iterable
from datetime import datetime

from syncd.core.renewal_models import CHARGED, Caps, Renewal


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day (``now`` is aware UTC)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC month."""
    return day_start(now).replace(day=1)


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
