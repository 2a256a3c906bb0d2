"""Core: v3 ads that v4 cannot update, and what ``syncd migrate-v4`` does with each.

Pure: no I/O here. The seed's "V4 Backward Compatibility" table: through v4, PUT
and PATCH of a v3 ad auto-convert it, except in the four categories whose vehicle
fields exist only in v4 (Moped, Camper, Caravan, Trailer: the ✨ V4 rows), where
they are blocked and ``POST /v4/ad/{source_id}/migrate`` with a complete v4
payload converts the ad in place (id, source_id and history kept).

Assumption (api-notes.md: the ad object carries ``api_version``, ``v3``|``v4``;
the seed: ``GET /v4/ad`` lists both): which version created an ad is read from
the API's own ad data, never remembered in the mirror; the API is the one that
refuses, so its word is the one that counts. An ad whose ``api_version`` is
missing is taken for a v4 one (nothing is held back on a guess).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from syncd.core.categories import CATEGORIES, Kind
from syncd.core.models import FeedItem, InvalidItem, Issue, RemoteAd, RemoteState, Update

BLOCKED_CATEGORIES: frozenset[int] = frozenset(
    cid for cid, cat in CATEGORIES.items() if cat.kind is Kind.V4
)
"""Categories whose v3 ads v4 refuses to PUT/PATCH (1045, 1101, 1102, 1121)."""

COMMAND = "syncd migrate-v4"


def may_be_blocked(update: Update, mirror_category: int | None, api_version: int) -> bool:
    """Whether an update needs the API's word on the ad's version before it is sent:
    only through v4, and only in (or out of) a category the table blocks."""
    if api_version < 4:
        return False
    return update.category_id in BLOCKED_CATEGORIES or mirror_category in BLOCKED_CATEGORIES


def is_blocked_v3(remote: RemoteAd | None) -> bool:
    """Whether v4 refuses to PUT/PATCH this ad: a v3 ad, live, in a blocked category.

    The category is the API's (the one the refusal depends on), not the feed's.
    """
    if remote is None or remote.state is not RemoteState.CREATED:
        return False
    if (remote.api_version or "").lower() != "v3":
        return False
    category_id = (remote.content or {}).get("category_id")
    return category_id in BLOCKED_CATEGORIES


def blocked_message(dealer_code: str) -> str:
    """What a run reports for a blocked ad: why, and the command that unblocks it."""
    dealer = f" --dealer {dealer_code}" if dealer_code else ""
    return (
        "blocked, not sent: a v3 ad in a category that v4 cannot update (moped, camper, "
        f"caravan or trailer); migrate it with `{COMMAND}{dealer}`, then the next run updates it"
    )


MigrationKind = Literal["migrate", "not_in_feed", "invalid"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One v3 ad in a blocked category, and what ``migrate-v4`` does with it.

    ``migrate``: the feed has a valid item, sent whole as the v4 payload;
    ``not_in_feed`` / ``invalid``: reported, not migrated (a complete v4 payload
    is required, and only the feed can give it).
    """

    source_id: str
    category_id: int | None
    kind: MigrationKind
    item: FeedItem | None = None
    issues: tuple[Issue, ...] = ()


def migrations(
    remotes: Iterable[RemoteAd], items: Sequence[FeedItem], invalid: Sequence[InvalidItem]
) -> list[Migration]:
    """The blocked v3 ads among ``remotes``, each with the feed's v4 payload (or why not),
    by source_id."""
    by_id: Mapping[str, FeedItem] = {i.source_id: i for i in items}
    bad: dict[str, tuple[Issue, ...]] = {}
    for entry in invalid:
        for source_id in (entry.source_id, *entry.candidates):
            if source_id is not None:
                bad[source_id] = bad.get(source_id, ()) + entry.issues
    found = []
    for remote in sorted(remotes, key=lambda r: r.source_id):
        if not is_blocked_v3(remote):
            continue
        category_id = (remote.content or {}).get("category_id")
        cid = category_id if isinstance(category_id, int) else None
        item = by_id.get(remote.source_id)
        if item is not None:
            found.append(Migration(remote.source_id, cid, "migrate", item))
        elif remote.source_id in bad:
            found.append(Migration(remote.source_id, cid, "invalid", issues=bad[remote.source_id]))
        else:
            found.append(Migration(remote.source_id, cid, "not_in_feed"))
    return found
