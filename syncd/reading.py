"""Use case: a feed read and validated, every way: whole (``syncd validate``, ``map``,
``plan --out``, ``migrate-v4``) or, for a sync, against the mirror's memos (unchanged items
are not validated again), then through the passes every validation goes through (the
vehicle lists, the rehearsal's visibility), off the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

import structlog

from syncd import collector, gather
from syncd.core.models import (
    MirrorAd,
    RawFeed,
    ValidatedFeed,
)
from syncd.core.validate.feed import validate_feed
from syncd.core.validate.known import KnownFeed, was_skipped
from syncd.core.validate.vehicles import (
    NothingSent,
    check_vehicle_values,
    none_unchanged,
    vehicle_needs,
)
from syncd.core.visibility import with_visibility
from syncd.ports import (
    progress_task,
)
from syncd.runs import Deps, FeedJob, RunOptions

log = structlog.get_logger("syncd.service")


async def load_feed(job: FeedJob, api_version: int) -> ValidatedFeed:
    """Read and validate the feed; raises FeedError when the file is unusable.

    The reader may wait (asynchronously) for a file still being written to hold still.
    """
    return (await read_feed(job, api_version))[1]


async def read_feed(job: FeedJob, api_version: int) -> tuple[RawFeed, ValidatedFeed]:
    """The feed as read and as validated (``syncd validate`` shows both)."""
    raw = await job.reader.read(job.path)
    feed = await asyncio.to_thread(_validate_all, raw, job.dealer_code, api_version)
    checked = await vehicles_checked(job, feed, api_version)
    return raw, with_visibility(checked, job.visible)


def _validate_all(raw: RawFeed, dealer_code: str, api_version: int) -> ValidatedFeed:
    with collector.paused():  # a large feed's items: see syncd/collector.py
        return validate_feed(raw, dealer_code=dealer_code, api_version=api_version)


async def vehicles_checked(
    job: FeedJob, feed: ValidatedFeed, api_version: int, unchanged: NothingSent = none_unchanged
) -> ValidatedFeed:
    """The validated feed with the items whose brand, model, body type or fuels the
    API's lists lack moved to invalid (the lists from ``job.vehicles``, cached).

    Every way a feed is validated passes through here once, after validation;
    ``unchanged`` items (a sync's skipped ones: nothing is sent for them) are not
    checked (``core/validate/vehicles.py`` says why).
    """
    if job.vehicles is None:
        return feed
    needs = vehicle_needs(feed, api_version=api_version, unchanged=unchanged)
    values = await job.vehicles.values_for(needs)
    if values is None:  # no lists to check with (warned): the check is skipped
        return feed
    return await asyncio.to_thread(
        check_vehicle_values, feed, values, api_version=api_version, unchanged=unchanged
    )


async def validated(
    deps: Deps, job: FeedJob, options: RunOptions, raw: RawFeed, states: Mapping[str, MirrorAd]
) -> KnownFeed:
    """The feed validated against the mirror's memos, then through the passes every
    validation goes through (vehicle values, visibility); the progress bar counts its
    items (once: the validation is one pass over the whole feed).

    Skipped items are not checked against the vehicle lists (nothing is sent for
    them), so their payloads are never computed; in rehearsal mode (hidden
    payloads) every item is checked: the run that turns it on skips the live ads,
    then updates each to hidden.
    """
    task = progress_task("items validated", job.dealer_code)
    if deps.progress is not None:
        deps.progress.update(task, 0)
    # Off the event loop: a large feed takes seconds, and the daemon's other runs, its
    # health endpoint and its scheduler go on meanwhile (validation is pure).
    known = await asyncio.to_thread(
        gather.validate_against,
        raw,
        states,
        dealer_code=job.dealer_code,
        api_version=options.api_version,
    )
    valid = known.feed
    # A rehearsal sends every live ad hidden: one skipped as live with this payload is
    # still updated (its payload gains visible: false) on the run that turns it on, so
    # then every item is checked, as one that is sent.
    unchanged = was_skipped if job.visible is not False else none_unchanged
    checked = await vehicles_checked(job, valid, options.api_version, unchanged)
    feed = with_visibility(checked, job.visible)
    if deps.progress is not None:
        items = len(feed.items) + len(feed.invalid)
        deps.progress.update(task, items, items)
    memos = known.memos
    if len(checked.items) != len(valid.items):  # the vehicle check made some invalid
        kept = {item.source_id for item in checked.items}
        memos = {sid: memo for sid, memo in memos.items() if sid in kept}
    return dataclasses.replace(known, feed=feed, memos=memos)
