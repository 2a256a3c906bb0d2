"""Use case: gathering what a plan needs, at little cost for what did not change.

The feed is validated against the mirror's memos (unchanged items are not
validated again: ``syncd.core.validate.known``); the mirror is read without
payloads, and only the payloads the planner will read are fetched, in batches;
the cyclic garbage collector is kept off the large, long-lived structures this
builds (it would otherwise walk them again and again: a third of a large no-op
run's time).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

import structlog

from syncd.core import plan as planner
from syncd.core.models import MirrorAd, RawFeed, RawMemo, ValidatedFeed
from syncd.core.validate.known import KnownFeed, validate_known
from syncd.ports import Mirror

log = structlog.get_logger("syncd.gather")

_SPARING = [0]  # runs of this process inside collector_spared() (the daemon may run several)


@contextmanager
def collector_spared() -> Iterator[Callable[[], None]]:
    """The cyclic collector off while a run builds its feed, mirror and plan; then
    (``settle()``) what was built is frozen (``gc.freeze``: never scanned again) and the
    collector back on, until the run ends (``gc.unfreeze``).

    Assumption: what a run builds is freed by reference counting when the run ends;
    a cycle among it is collected after the unfreeze, not leaked. The collector is
    turned back on only by the run that turned it off. A run that froze unfreezes
    when it ends, even while another runs: the daemon's dealers may overlap without
    a pause, and waiting for the last would keep every cycle frozen meanwhile (the
    other run's structures are scanned again until it ends: time, not memory).
    """
    enabled = gc.isenabled()
    gc.disable()
    _SPARING[0] += 1
    settled = False

    def settle() -> None:
        nonlocal settled
        if not settled:
            settled = True
            gc.freeze()
            if enabled:
                gc.enable()

    try:
        yield settle
    finally:
        _SPARING[0] -= 1
        if not settled and enabled:
            gc.enable()
        if settled or _SPARING[0] == 0:
            gc.unfreeze()


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
