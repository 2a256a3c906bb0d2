"""Use case: the intents a crashed run left, for the commands that do not sync: ``apply``
resolves them before it sends a saved plan, ``plan`` shows the ads as waiting.

``run-once`` resolves them in :func:`syncd.service._gather` (``settling.resolve_intents``
then ``adopt_found``); a dealer who only uses ``plan --out`` / ``apply`` would otherwise
keep a crashed apply's rows in flight (and their ads unsent) until some sync ran.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from syncd import service
from syncd.core.models import Plan, RemoteAd, ValidatedFeed
from syncd.ports import Mirror
from syncd.runs import Deps, RunOptions, RunReport
from syncd.settling import adopt_found, resolve_intents

log = structlog.get_logger("syncd.leftovers")

SHOWN_IDS = 10
"""Source_ids a message names before "and N more"."""


async def resolve(
    deps: Deps,
    feed: ValidatedFeed,
    options: RunOptions,
    report: RunReport,
    *,
    full: Plan,
    unresolved: list[tuple[str | None, str]],
) -> Plan:
    """Resolve the dealer's intents as a sync does (each ad read back; a write that
    arrived adopted from what the API holds, so it is not sent again); the full plan
    the feed gives now (``full`` when there was none). ``unresolved`` receives the ads
    whose read-back failed (their intents stay): :func:`count_unresolved`.

    Assumption: ``apply`` sends exactly the saved calls, and the saved plan holds none
    for these ads (they were waiting when it was made). An ad that needs a call once
    its intent is resolved (a write that never arrived) is not sent by this apply: a
    warning names it, and the next ``plan`` holds its call.
    """
    dealer = feed.dealer_code
    before = {ad.source_id for ad in deps.mirror.intents(dealer)}
    if not before:
        return full
    found: dict[str, RemoteAd] = {}
    await resolve_intents(
        deps, dealer, unresolved, max_in_flight=options.max_in_flight, found=found
    )
    if found:
        adopt_found(deps, dealer, found, feed)
    after, _ = service.guarded_plan(feed, deps.mirror, options)
    owed = sorted({a.source_id for a in after.actions if a.source_id in before})
    log.info("leftover_intents_resolved", intents=len(before), owed=len(owed))
    if owed:
        report.warnings.append(
            f"{len(owed)} ad(s) a crashed run left in flight need a call this saved plan "
            f"does not hold ({named(owed)}); make a new plan to send it"
        )
    return after


def count_unresolved(report: RunReport, unresolved: Sequence[tuple[str | None, str]]) -> None:
    """Count the intents whose read-back failed as failed items, as a sync counts them."""
    if unresolved:
        report.counts["failed"] = report.counts.get("failed", 0) + len(unresolved)
        report.problems.extend(unresolved)


def waiting(mirror: Mirror, dealer_code: str) -> list[str]:
    """The source_ids whose latest call a crashed run left unanswered (INTENT), for
    ``plan`` to show as waiting: resolving them is a read of each ad and a write of
    the mirror, which ``plan`` (it sends and writes nothing) leaves to the next
    ``run-once`` or ``apply``."""
    return [ad.source_id for ad in mirror.intents(dealer_code)]


def named(source_ids: Sequence[str]) -> str:
    """The first source_ids, and how many more."""
    shown = ", ".join(source_ids[:SHOWN_IDS])
    more = len(source_ids) - SHOWN_IDS
    return shown + (f" and {more} more" if more > 0 else "")
