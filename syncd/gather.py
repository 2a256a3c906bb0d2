"""Use case: gathering what a plan needs, at little cost for what did not change.

The feed is validated against the mirror's memos (unchanged items are not
validated again: ``syncd.core.validate.known``); the mirror is read without
payloads, and only the payloads the planner will read are fetched, in batches.
(The run keeps the cyclic collector off what this builds: ``syncd/collector.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import structlog

from syncd.core import plan as planner
from syncd.core.models import MirrorAd, RawFeed, RawMemo, ValidatedFeed
from syncd.core.validate.known import KnownFeed, validate_known
from syncd.ports import Mirror

log = structlog.get_logger("syncd.gather")


def validate_against(
    raw: RawFeed, states: Mapping[str, MirrorAd], *, dealer_code: str, api_version: int
) -> KnownFeed:
    """The validated feed, skipping the items the mirror's memos vouch for."""
    known = validate_known(raw, dealer_code=dealer_code, api_version=api_version, known=states)
    log.info("feed_validated", validated=known.validated, skipped=known.skipped)
    return known


def new_memos(known: KnownFeed, states: Mapping[str, MirrorAd]) -> dict[str, RawMemo]:
    """The memos of this run's validations that the mirror does not already hold."""
    return {
        source_id: memo
        for source_id, memo in known.memos.items()
        if (ad := states.get(source_id)) is None or ad.memo != memo
    }


def planning_mirror(
    feed: ValidatedFeed, mirror: Mirror, states: Mapping[str, MirrorAd]
) -> Mapping[str, MirrorAd]:
    """``states`` (ads without payloads) with the payloads the planner reads filled in."""
    needed = planner.payloads_needed(feed, states)
    if not needed:
        return states
    found = mirror.payloads(feed.dealer_code, needed)
    return {**states, **{sid: replace(states[sid], payload=p) for sid, p in found.items()}}
