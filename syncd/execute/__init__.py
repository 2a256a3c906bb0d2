"""Use case: the executor: sends the plan's calls, each recorded as intended before it is sent.

The calls go out in batches: the intents of a batch (``batch`` calls, by default
``max_in_flight``) are committed in one transaction → its calls are sent, at most
``max_in_flight`` at a time, the next batch's intents being recorded as soon as
the calls ready to go run out → each answer is recorded (``record_accepted`` or
``record_rejected``), in batches too (:mod:`syncd.execute.book`), all before
``apply`` returns or raises. No request leaves before its intent has committed.
A crash between an intent and its answer's record leaves an INTENT row that the
next run resolves before re-sending anything. The first error that stops the run
(auth, API down after retries, the mirror down) cancels the rest, which stay in
INTENT (those of the batch not yet sent, too). Any other error is the one item's
recorded failure (``failed``): its row keeps what it had (an INTENT is read back
by the next run), and the other calls go on.

A 409 on POST (the ad exists: a lost mirror, or a POST whose answer was lost)
adopts the ad: it is read back and only the fields that differ are PATCHed,
nothing when nothing differs (counted ``adopted``, then ``update`` or
``unchanged`` instead of ``create``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

import structlog

from syncd.core.models import (
    Accepted,
    Action,
    Create,
    Delete,
    Rejected,
    RemoteState,
    Update,
    WriteResult,
)
from syncd.core.payload import adoption_patch, payload_hash
from syncd.errors import CallRefusedByConfig, SyncdError, shown
from syncd.execute.answers import AnswerRecords, Round
from syncd.execute.book import CallBook
from syncd.execute.results import (
    ApplyResults,
    DeleteGate,
    UpdateGate,
    item_failure,
    stops_the_run,
)
from syncd.ports import Clock, Marketplace, Mirror, Progress

__all__ = [
    "ApplyResults",
    "DeleteGate",
    "Executor",
    "UpdateGate",
    "item_failure",
    "stops_the_run",
]

log = structlog.get_logger("syncd.execute")

PROGRESS_EVERY = 20
"""Calls between two progress updates (the bar moves per batch of calls)."""


class Executor(AnswerRecords):
    """Applies actions through a Marketplace, recording each step in the Mirror.

    With ``hold_deletes``, each delete asks it first, and one it answers with a
    reason is not sent: it is counted as deferred. It is asked when the delete's
    batch is about to be recorded intended (then nothing is recorded for it) and
    again right before it would be sent (then its intent stays, for the next run
    to read the ad back and plan the delete again).
    """

    def __init__(
        self,
        mirror: Mirror,
        marketplace: Marketplace,
        clock: Clock,
        max_in_flight: int = 4,
        *,
        hold_deletes: DeleteGate | None = None,
        hold_updates: UpdateGate | None = None,
        progress: Progress | None = None,
        progress_task: str = "calls sent",
        batch: int | None = None,
    ) -> None:
        self._mirror = mirror
        self._api = marketplace
        self._clock = clock
        self._max_in_flight = max(1, max_in_flight)
        # Assumption: one batch per "window" of calls in flight. Larger batches save
        # transactions but record intents earlier (their sent_at bounds the log entries
        # reconciling attributes to the call) and leave more for a crash to resolve.
        self._batch = max(1, batch or self._max_in_flight)
        self._hold_deletes = hold_deletes
        self._hold_updates = hold_updates
        self._progress = progress
        self._progress_task = progress_task
        self._finished = 0  # calls this executor finished, over all its rounds

    async def apply(self, actions: Sequence[Action]) -> ApplyResults:
        """Send every action; raises the first error that stops the run.

        Every answer received is recorded before this returns or raises. With
        ``hold_updates``, the updates it names are not sent (nor recorded): each is
        counted ``blocked`` instead of ``update`` and reported with its message."""
        run = Round(deque(), CallBook(self._mirror, self._clock))
        if self._hold_updates is not None:
            actions = await self._without_blocked(actions, self._hold_updates, run.results)
        run.todo.extend(actions)
        try:
            try:
                async with asyncio.TaskGroup() as group:
                    for _ in range(min(self._max_in_flight, len(actions))):
                        group.create_task(self._worker(run))
            except* Exception as eg:  # noqa: BLE001 - the first failure is re-raised as is
                raise eg.exceptions[0] from None
            if run.refused is not None:
                self._drop_unsent(run)
                raise run.refused
        except BaseException:
            run.book.flush_after_stop()
            raise
        run.book.flush()
        if self._progress is not None:
            self._progress.update(self._progress_task, self._finished)
        return run.results

    async def _without_blocked(
        self, actions: Sequence[Action], gate: UpdateGate, results: ApplyResults
    ) -> Sequence[Action]:
        updates = [a for a in actions if isinstance(a, Update)]
        blocked = await gate(updates) if updates else {}
        if not blocked:
            return actions
        for source_id, message in blocked.items():
            results.move("update", "blocked")
            results.problems.append((source_id, message))
            log.warning("ad_update_blocked", source_id=source_id, message=message)
        self._finished += len(blocked)  # done with, for the progress bar: never sent
        return [a for a in actions if not (isinstance(a, Update) and a.source_id in blocked)]

    async def _worker(self, run: Round) -> None:
        """Send calls one after another until none is left (``max_in_flight`` of these
        run at once)."""
        while (action := self._next(run)) is not None:
            try:
                await self._run(action, run)
            except CallRefusedByConfig as exc:
                # Assumption: every such call would be refused the same way, and none
                # applied anything: the calls in flight are let finish (each one's answer
                # recorded, or its intent dropped) rather than cancelled, which would leave
                # their intents to be read back by a next run of this feed, maybe never
                # (the config mended names another dealer). No call is sent after it.
                run.refused = run.refused or exc
            except Exception as exc:
                if stops_the_run(exc):
                    raise
                self._failed(action, exc, run.results)
            if self._progress is not None:
                self._finished += 1
                if self._finished % PROGRESS_EVERY == 0:  # once per batch, not per call
                    self._progress.update(self._progress_task, self._finished)

    def _next(self, run: Round) -> Action | None:
        """The next call to send; when none is ready, the next batch is recorded
        intended first (synchronously: no other worker runs meanwhile)."""
        if run.refused is not None:
            return None
        while not run.ready and run.todo:
            count = min(self._batch, len(run.todo))
            chosen = [run.todo.popleft() for _ in range(count)]
            batch = [a for a in chosen if not self._holds(a, run.results, intended=False)]
            run.book.intend(batch)  # committed: from here on they may be sent
            run.ready.extend(batch)
        return run.ready.popleft() if run.ready else None

    def _holds(self, action: Action, results: ApplyResults, *, intended: bool) -> bool:
        """Whether a delete must not go out now (counted as held back if so)."""
        if not isinstance(action, Delete) or self._hold_deletes is None:
            return False
        why = self._hold_deletes(action)
        if why is not None:
            self._held(action, why, results, intended=intended)
        return why is not None

    def _failed(self, action: Action, exc: Exception, results: ApplyResults) -> None:
        """An unexpected error in one item's call: recorded for it; the others go on.

        The row is left as it is: an INTENT (the call may have reached the API) is
        read back at the next run, like one a crash left."""
        message = item_failure(exc)
        results.bump("failed")
        results.problems.append((action.source_id, message))
        log.error(
            "ad_call_failed",
            source_id=action.source_id,
            op=str(action.op),
            message=message,
            exc_info=not isinstance(exc, SyncdError),
        )

    async def _run(self, action: Action, run: Round) -> None:
        """Send one intended call and deal with its answer."""
        if self._holds(action, run.results, intended=True):
            return
        try:
            result = await self._send(action)
        except CallRefusedByConfig:
            self._drop_intent(action)
            raise
        results = run.results
        if isinstance(result, Accepted):
            if isinstance(action, Create) and action.followup:
                # The API holds only the POST body. The rest (a reduced price) is PATCHed
                # once the create is done: an ad being created may refuse updates (409).
                # The service plans that PATCH again from the mirror, which holds the body.
                posted = replace(
                    action, payload=action.body, payload_hash=payload_hash(action.body)
                )
                self._accepted(posted, result, run)
                results.followups.add(action.source_id)
            else:
                self._accepted(action, result, run)
        elif isinstance(action, Create | Update) and result.missing_vehicle_type is not None:
            self._type_missing(action, result, results)
        elif isinstance(action, Create) and result.status == 409:
            await self._adopt_existing(action, result, run)
        elif isinstance(action, Update | Delete) and result.status == 409:
            self._deferred(action, result, results)
        elif isinstance(action, Update) and result.status == 404:
            self._unknown(action, results)
        elif isinstance(action, Delete) and result.status == 404:
            self._already_gone(action)
        elif isinstance(action, Update) and result.status == 400 and not action.revive:
            await self._refused_update(action, result, run)
        elif isinstance(action, Delete) and result.status == 400:
            await self._refused_delete(action, result, run)
        else:
            self._rejected(action, result, run)

    def _drop_unsent(self, run: Round) -> None:
        """The calls intended and never sent, once the run stops for a refused call."""
        while run.ready:
            self._drop_intent(run.ready.popleft())

    def _drop_intent(self, action: Action) -> None:
        """The API answered this call and applied nothing (it stops the run): its intent is
        dropped, the row as it was; if the mirror cannot, the next run reads it back."""
        try:
            self._mirror.forget_intent(
                action.dealer_code, action.source_id, None, self._clock.now()
            )
        except SyncdError as exc:  # never hides the error that stops the run
            log.warning("intent_not_dropped", source_id=action.source_id, error=shown(exc))

    async def _send(self, action: Action) -> WriteResult:
        match action:
            case Create():
                return await self._api.create(action.dealer_code, action.source_id, action.body)
            case Update():
                return await self._api.update(
                    action.dealer_code, action.source_id, action.changes, action.category_id
                )
            case Delete():
                return await self._api.delete(action.dealer_code, action.source_id)

    async def _adopt_existing(self, action: Create, result: Rejected, run: Round) -> None:
        """409 on POST: the ad exists already. Read it back (unless the client just did),
        then PATCH only the fields that differ from the feed's; nothing when none does."""
        remote = result.remote or await self._api.get(action.dealer_code, action.source_id)
        self._mirror.forget_intent(action.dealer_code, action.source_id, remote, self._clock.now())
        log.info("ad_exists_adopted", source_id=action.source_id, found=remote is not None)
        if remote is None or (remote.state is RemoteState.DELETED and action.revive):
            # The API says the source_id is taken but will not show or revive it:
            # Blocket's strict "a source_id is never reused" rule. A person must act.
            refusal = Rejected(
                409,
                (
                    "the API refuses to reuse this source_id (HTTP 409); "
                    "give the item a new source_id in the feed",
                ),
            )
            run.book.intend([action])
            self._rejected(action, refusal, run)
            return
        results = run.results
        results.bump("adopted")
        if remote.state is RemoteState.DELETED or remote.content is None:
            changes = dict(action.payload)  # revive it whole / nothing to compare with
        else:
            changes = adoption_patch(remote.content, action.payload)
        if not changes:
            results.move("create", "unchanged")
            self._adopted_as_is(action, remote)
            return
        results.move("create", "update")
        update = Update(
            action.dealer_code,
            action.source_id,
            action.category_id,
            changes=changes,
            payload=action.payload,
            payload_hash=action.payload_hash,
            revive=action.revive,
            origin=action.origin,
        )
        run.book.intend([update])
        await self._run(update, run)
