"""Use case: the updates a run holds back because v4 refuses them (v3 ads of blocked categories).

An ``UpdateGate`` for the executor. Through v4, a PATCH of a v3 moped, camper,
caravan or trailer is refused (the seed's compatibility table); sending it would
only record a rejection. So before the updates go out, those in (or out of) such
a category are looked up in the API (``GET /ad?source_id__in=...``, one request
per batch, none when the plan has no such update) and the v3 ones are reported as
blocked with a message naming ``syncd migrate-v4``; their rows are left as they
are, so the next run (after the migration) plans the same update again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import structlog

from syncd.core.models import Update
from syncd.core.v4_migration import blocked_message, is_blocked_v3, may_be_blocked
from syncd.execute import UpdateGate
from syncd.ports import Marketplace

log = structlog.get_logger("syncd.v3_ads")


def v3_gate(marketplace: Marketplace, api_version: int, batch_size: int = 50) -> UpdateGate | None:
    """The gate for a run through ``api_version`` (None through v3: nothing is blocked)."""
    if api_version < 4:
        return None

    async def gate(updates: Sequence[Update]) -> Mapping[str, str]:
        suspects: dict[str, list[str]] = {}
        for u in updates:
            if may_be_blocked(u, _before_category(u), api_version):
                suspects.setdefault(u.dealer_code, []).append(u.source_id)
        blocked: dict[str, str] = {}
        for dealer, source_ids in suspects.items():
            for start in range(0, len(source_ids), batch_size):
                batch = source_ids[start : start + batch_size]
                remotes = await marketplace.list_with_logs(dealer, batch)
                blocked.update(
                    (r.source_id, blocked_message(dealer)) for r in remotes if is_blocked_v3(r)
                )
        if suspects:
            log.info("v3_ads_checked", blocked=len(blocked))
        return blocked

    return gate


def _before_category(update: Update) -> int | None:
    # The category the API holds is the one last accepted (the feed may have moved it).
    before = update.before or {}
    value = before.get("category_id")
    return value if isinstance(value, int) else None
