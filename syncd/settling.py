"""Use case: what a run's calls became: the intents a crash left read back before
anything is sent again, and the action logs of the calls in flight reconciled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import structlog

from syncd.core import adopt as adoption
from syncd.core.adopt import Adoption
from syncd.core.models import (
    Accepted,
    Create,
    Flight,
    LogEntry,
    MirrorAd,
    Op,
    Outcome,
    RemoteAd,
    RemoteState,
    Stage,
    ValidatedFeed,
)
from syncd.core.reconcile import decide, entries_of_call
from syncd.execute import item_failure, stops_the_run
from syncd.ports import (
    Clock,
    Mirror,
    progress_task,
)
from syncd.runs import Deps, RunOptions

log = structlog.get_logger("syncd.service")

T = TypeVar("T")


async def resolve_intents(
    deps: Deps,
    dealer_code: str,
    problems: list[tuple[str | None, str]] | None = None,
    *,
    max_in_flight: int = 4,  # RunOptions' default; a run passes its own
    found: dict[str, RemoteAd] | None = None,
) -> int:
    """Settle calls a crash left in INTENT by reading each ad back before any re-send.

    A create may have reached the API: it is looked up so that it is never created
    twice. Updates and deletes are idempotent, but they are read back too, so that
    the mirror takes the API's word on whether the ad exists (two crashes in a row
    must not make syncd forget a live ad it was about to delete).

    The reads go out concurrently, at most ``max_in_flight`` at a time (the client's
    throttle paces them too); each answer is recorded as soon as it arrives, one ad
    at a time. An unexpected error reading one ad back leaves its intent (and so its
    ad) as it is, reported in ``problems`` (in the order of the intents); the other
    intents are resolved. An error that stops the run starts no further read, cuts
    those in flight short (their intents stay) and is raised.

    ``found`` receives the live ads read back with their fields, of the creates,
    revives and updates intended: :func:`adopt_found` compares them with the feed.
    """
    intents = deps.mirror.intents(dealer_code)
    if not intents:
        return 0
    failures: dict[int, tuple[str | None, str]] = {}

    async def read_back(item: tuple[int, MirrorAd]) -> None:
        index, ad = item
        failure, remote = await _read_back(deps, dealer_code, ad)
        if failure is not None:
            failures[index] = (ad.source_id, failure)
        elif found is not None and remote is not None and _comparable(ad, remote):
            found[ad.source_id] = remote

    try:
        await _each_at_most(max_in_flight, list(enumerate(intents)), read_back)
    finally:
        if problems is not None:
            problems.extend(failures[i] for i in sorted(failures))
    return len(intents)


async def _each_at_most(
    limit: int, items: Sequence[T], work: Callable[[T], Awaitable[None]]
) -> None:
    """``work(item)`` for every item, at most ``limit`` under way at once, in the items'
    order of starting. The first error (one that stops the run: ``work`` handles the
    others) starts no further item, cuts those under way short and is raised as it is."""
    queue = iter(items)  # shared by the workers: next() never yields

    async def worker() -> None:
        for item in queue:
            await work(item)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(max(1, limit), len(items))):
                group.create_task(worker())
    except* Exception as eg:  # noqa: BLE001 - the first error that stops the run, as is
        raise eg.exceptions[0] from None


async def _read_back(
    deps: Deps, dealer_code: str, ad: MirrorAd
) -> tuple[str | None, RemoteAd | None]:
    """Read one intended ad back and record what the API holds (and return it); the
    message of an unexpected error instead (the intent left as it is). Raises what
    stops the run."""
    try:
        remote = await deps.marketplace.get(dealer_code, ad.source_id)
    except Exception as exc:
        if stops_the_run(exc):
            raise
        message = item_failure(exc)
        log.error("intent_unresolved", source_id=ad.source_id, message=message)
        return message, None
    deps.mirror.forget_intent(dealer_code, ad.source_id, remote, deps.clock.now())
    log.info(
        "intent_resolved", source_id=ad.source_id, op=str(ad.last_op), found=remote is not None
    )
    return None, remote


def _comparable(ad: MirrorAd, remote: RemoteAd) -> bool:
    """Whether the intended write may have reached the ad read back: a live ad with its
    fields, after a create, revive or update (a delete's ad is what it is)."""
    return (
        remote.state is RemoteState.CREATED
        and remote.content is not None
        and ad.last_op in (Op.CREATE, Op.REVIVE, Op.UPDATE)
    )


def adopt_found(
    deps: Deps, dealer_code: str, found: dict[str, RemoteAd], feed: ValidatedFeed
) -> int:
    """After a crash: each ad a lost answer's write may have reached (``resolve_intents``'
    ``found``) is compared with its feed item, as a 409 on POST or ``syncd adopt``
    compares: the mirror records the feed's payload when the API holds it (the write
    arrived: nothing is sent again), else the API's values of the feed's fields, so the
    plan PATCHes exactly the fields that differ. Returns how many were recorded.

    Without it, a create that arrived left a row with no payload, which the plan
    PATCHed whole, and an update that arrived was PATCHed again: writes a run must not
    send. An ad the feed has no valid item for is left to the plan as it was.
    """
    items = {item.source_id: item for item in feed.items if item.source_id in found}
    # The payload the API last accepted before the crash: a lost update that was to
    # clear a field the feed dropped must still clear it, arrived or not.
    sent = deps.mirror.payloads(dealer_code, items.keys()) if items else {}
    for source_id, item in items.items():
        adopted = adoption.adoption_of(found[source_id], item, sent.get(source_id))
        call = deps.mirror.get(dealer_code, source_id)
        record_adoption(deps.mirror, dealer_code, adopted, deps.clock, call)
    if items:
        log.info("intents_adopted", dealer_code=dealer_code, ads=len(items))
    return len(items)


def record_adoption(
    mirror: Mirror, dealer: str, adopted: Adoption, clock: Clock, call: MirrorAd | None = None
) -> None:
    """Record what the mirror holds of an ad found in the API (``core.adopt``): its
    payload, ids and the stage its latest call reached (by its logs), or, when the API
    does not hold it, that the row forgets the remote ad. ``call``: the row of a crash's
    update or revive whose answer was lost (see ``_decided``)."""
    now = clock.now()
    remote = adopted.remote
    if remote is None or adopted.payload is None or adopted.payload_hash is None:
        message = "adopt: the API does not hold this ad"
        gone = Outcome(dealer, adopted.source_id, Stage.DONE, None, message, remote_unknown=True)
        mirror.record_outcome(gone, now)
        return
    # record_accepted writes payload, hash, category and ids; the outcome then sets the
    # stage the ad's latest call reached (its logs), the remote state and the log entries.
    category_id = adopted.category_id if adopted.category_id is not None else 0
    as_sent = Create(
        dealer,
        adopted.source_id,
        category_id,
        body=adopted.payload,
        payload=adopted.payload,
        payload_hash=adopted.payload_hash,
    )
    mirror.record_accepted(as_sent, Accepted(200, None, remote), now)
    decided = _decided(mirror, dealer, remote, now, call)
    # The payload just recorded is what the API holds (read back): nothing to go back to.
    settled = replace(decided, remote_state=remote.state, logs=remote.logs, unapplied=False)
    mirror.record_outcome(settled, now)


def _decided(
    mirror: Mirror, dealer: str, remote: RemoteAd, now: datetime, call: MirrorAd | None
) -> Outcome:
    """The stage an adopted ad's latest call reached. A crash's update (or revive) that
    arrived is its own call, told from the ad's earlier ones by the entries syncd recorded
    of those (as reconcile tells them): while it processes the ad stays in flight, not
    DONE by its earlier create's publish (an API logs an action once it starts: seed).
    With no entry of its own (it did not arrive) the whole log decides, as for adopt."""
    if call is not None and call.sent_at is not None and call.last_op in (Op.UPDATE, Op.REVIVE):
        own = Flight(dealer, remote.source_id, call.last_op, None, call.sent_at)
        known = mirror.action_logs(dealer, remote.source_id, call.sent_at)
        if entries_of_call(own, remote.logs, known):
            return decide(own, remote, now, known=known)
    last_op = Op.DELETE if remote.state is RemoteState.DELETED else Op.CREATE
    return decide(Flight(dealer, remote.source_id, last_op), remote, now)


async def reconcile(deps: Deps, dealer_code: str, options: RunOptions) -> dict[str, int]:
    """Read the action logs of every call in flight until all settle or the wait ends.

    Each round reads the ads in flight in listings of ``batch_size``, at most
    ``max_in_flight`` listings under way at once (the client's throttle paces them
    too), and records each listing's outcomes in one transaction as soon as it is
    answered. Listings are reads: an error that stops the run cuts the others short,
    and their ads stay in flight for the next round or run, as before.
    """
    deadline = deps.clock.now() + timedelta(seconds=options.reconcile_wait)
    counts = {"done": 0, "error": 0, "processing": 0}
    total: int | None = None
    while True:
        flights = deps.mirror.in_flight(dealer_code)
        total = len(flights) if total is None else total
        remaining = await _round(deps, dealer_code, flights, options, counts=counts, total=total)
        if remaining == 0 or deps.clock.now() >= deadline:
            counts["processing"] = remaining
            return counts
        await deps.sleep(options.poll_interval)


async def _round(
    deps: Deps,
    dealer_code: str,
    flights: list[Flight],
    options: RunOptions,
    *,
    counts: dict[str, int],
    total: int,
) -> int:
    """One reading of every ad in flight, listing by listing; how many are still in flight.

    The run lock is held: nothing else changes these rows meanwhile."""
    size = max(1, options.batch_size)
    batches = [flights[i : i + size] for i in range(0, len(flights), size)]
    remaining = 0

    async def settle(batch: list[Flight]) -> None:
        nonlocal remaining
        # Awaited first, then added: ``remaining += await ...`` reads ``remaining`` before
        # the await, and a listing answered meanwhile would have its count overwritten
        # (the round then ended with an ad still in flight).
        still = await _settle_batch(deps, dealer_code, batch, options, counts)
        remaining += still
        if deps.progress is not None and total:
            settled = counts["done"] + counts["error"]
            deps.progress.update(progress_task("calls settled", dealer_code), settled, total)

    await _each_at_most(options.max_in_flight, batches, settle)
    return remaining


async def _settle_batch(
    deps: Deps,
    dealer_code: str,
    batch: list[Flight],
    options: RunOptions,
    counts: dict[str, int],
) -> int:
    """One listing's outcomes, decided and recorded in one transaction; how many of its
    ads are still in flight."""
    remotes = {
        r.source_id: r
        for r in await deps.marketplace.list_with_logs(dealer_code, [a.source_id for a in batch])
    }
    now = deps.clock.now()
    outcomes = [
        decide(
            ad,
            remotes.get(ad.source_id),
            now,
            give_up_after=options.give_up_after,
            known=_earlier_entries(deps.mirror, ad),
        )
        for ad in batch
    ]
    deps.mirror.record_outcomes(outcomes, deps.clock.now())  # one transaction
    return _count_outcomes(batch, outcomes, counts)


def _count_outcomes(batch: list[Flight], outcomes: list[Outcome], counts: dict[str, int]) -> int:
    """Count (and log) the ads settled as done or failed; how many are still in flight."""
    remaining = 0
    for ad, outcome in zip(batch, outcomes, strict=True):
        if outcome.stage is Stage.SENT:
            remaining += 1
        elif outcome.stage is Stage.DONE:
            counts["done"] += 1
            log.info("action_done", source_id=ad.source_id, op=str(ad.last_op))
        elif outcome.stage is Stage.ERROR:
            counts["error"] += 1
            log.warning(
                "action_failed",
                source_id=ad.source_id,
                op=str(ad.last_op),
                message=outcome.message,
            )
    return remaining


def _earlier_entries(mirror: Mirror, ad: Flight) -> list[LogEntry]:
    """Without request ids, the entries recorded for the ad's earlier calls tell them
    apart from the current call's. Assumption: not for a create or a revive, which may
    have made a new remote ad (a vehicle re-POSTed) whose log starts afresh; those rely
    on the time window alone."""
    if ad.request_id is not None or ad.sent_at is None:
        return []
    if ad.last_op not in (Op.UPDATE, Op.DELETE):
        return []
    return mirror.action_logs(ad.dealer_code, ad.source_id, ad.sent_at)
