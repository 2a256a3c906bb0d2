"""Use case: what the executor records of each kind of answer to a call it sent.

An accepted call's answer is booked (:class:`~syncd.execute.book.CallBook`), a refused
one recorded with its message; a 404, a 409 or a 400 are each read as the API means
them (the ad unknown or gone, in the way of another call, deleted behind syncd's
back, a vehicle type the API lacks). :class:`AnswerRecords` is the executor's base:
``Executor`` sends, this records.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import structlog

from syncd.core.models import (
    Accepted,
    Action,
    Create,
    Delete,
    Flight,
    ItemProblem,
    Op,
    Outcome,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
    Update,
    entry_kind,
)
from syncd.core.reconcile import decide
from syncd.errors import CallRefusedByConfig
from syncd.execute.book import CallBook
from syncd.execute.results import ApplyResults
from syncd.ports import Clock, Marketplace, Mirror

log = structlog.get_logger("syncd.execute")

_EVENT = {
    "create": "ad_create_sent",
    "update": "ad_update_sent",
    "revive": "ad_revive_sent",
    "delete": "ad_delete_sent",
}


@dataclass(slots=True)
class Round:
    """One ``apply``: the calls still to intend, those intended and not yet sent, the
    record of their answers and the counts."""

    todo: deque[Action]
    book: CallBook
    ready: deque[Action] = field(default_factory=deque)
    results: ApplyResults = field(default_factory=ApplyResults)
    refused: CallRefusedByConfig | None = None  # set: no call is sent any more


class AnswerRecords:
    """The records of the answers (see the module docstring); ``Executor`` sets these."""

    _mirror: Mirror
    _api: Marketplace
    _clock: Clock

    def _accepted(self, action: Action, result: Accepted, run: Round) -> None:
        run.book.answered(action, result)
        run.results.counts["sent"] += 1
        log.info(
            _EVENT[str(action.op)],
            source_id=action.source_id,
            status=result.status,
            request_id=result.request_id,
        )

    def _adopted_as_is(self, action: Create, remote: RemoteAd) -> None:
        """The API holds the feed's version already: nothing is sent. The mirror learns
        the payload; the ad's own latest call (its logs) says whether it is settled."""
        now = self._clock.now()
        # The row keeps the sent_at of the POST's intent: entries a late POST logged count.
        self._mirror.record_accepted(action, Accepted(200, None, remote), now)
        # sent_at None: judge by the ad's whole log, since no call of this run made it.
        outcome = decide(Flight(action.dealer_code, action.source_id, Op.CREATE), remote, now)
        if outcome.stage is not Stage.SENT:
            self._mirror.record_outcome(outcome, now)
        log.info("ad_adopted_unchanged", source_id=action.source_id, stage=str(outcome.stage))

    def _rejected(self, action: Action, result: Rejected, run: Round) -> None:
        run.book.answered(action, result)
        run.results.counts["rejected"] += 1
        run.results.problems.append((action.source_id, result.message))
        log.warning(
            "ad_rejected",
            source_id=action.source_id,
            op=str(action.op),
            status=result.status,
            message=result.message,
        )

    async def _refused_update(self, action: Update, result: Rejected, run: Round) -> None:
        """400 on the PATCH of a live ad. The API refuses to update an ad deleted behind
        syncd's back too (another client's DELETE: "Ad has been deleted, cannot update",
        a registered vehicle, which PATCH cannot revive): the ad is read back, and when
        it is deleted the row learns it, so the next run revives it (POSTs it again)
        instead of holding a refusal no feed change could lift. Otherwise the refusal
        is the payload's, recorded as any other."""
        remote = await self._api.get(action.dealer_code, action.source_id)
        if remote is None or remote.state is not RemoteState.DELETED:
            self._rejected(action, result, run)
            return
        message = (
            f"the ad was deleted in the API, not by syncd ({result.message}); "
            "the next run creates it again from the feed"
        )
        outcome = Outcome(
            action.dealer_code,
            action.source_id,
            Stage.ERROR,
            RemoteState.DELETED,
            message=message,
            remote_id=remote.remote_id,
        )
        self._mirror.record_outcome(outcome, self._clock.now())
        run.results.counts["rejected"] += 1
        run.results.problems.append((action.source_id, message))
        log.warning("ad_deleted_outside_syncd", source_id=action.source_id, message=message)

    async def _refused_delete(self, action: Delete, result: Rejected, run: Round) -> None:
        """400 on DELETE. Assumption (the docs are silent; the sandbox takes a DELETE of a
        deleted ad again): an API that refuses to delete an ad deleted behind syncd's back
        would have it DELETEd again at every run; read back, a deleted ad is what was
        wanted. Otherwise the refusal is recorded as any other."""
        remote = await self._api.get(action.dealer_code, action.source_id)
        if remote is not None and remote.state is RemoteState.DELETED:
            self._already_gone(action, f"already deleted ({result.message})")
            return
        self._rejected(action, result, run)

    def _type_missing(
        self, action: Create | Update, result: Rejected, results: ApplyResults
    ) -> None:
        """404 on a typed path the API lacks (``api.typed_paths``): the item is invalid for
        this run, its reason naming the vehicle type; the other calls go on.

        Nothing else is recorded on the ad: its intent is dropped (a POST: the API holds
        nothing; a PATCH: the ad as read on ``/v{n}/ad``), so the next run plans the call
        again and sends it once the API serves the type (or typed_paths is off). Not a
        refusal, which would not be sent again until the feed changed the item, nor an ad
        the API does not know (a PATCH's 404), which would be created again."""
        now = self._clock.now()
        self._mirror.forget_intent(action.dealer_code, action.source_id, result.remote, now)
        results.move(entry_kind(action), "invalid")
        record = str(action.origin) if action.origin is not None else None
        results.invalid.append(ItemProblem(action.source_id, record, "category_id", result.message))
        results.problems.append((action.source_id, result.message))
        log.warning(
            "ad_vehicle_type_missing",
            source_id=action.source_id,
            vehicle_type=result.missing_vehicle_type,
            message=result.message,
        )

    def _unknown(self, action: Update, results: ApplyResults) -> None:
        """404 on PATCH: the API does not know the ad (any more). Nothing is POSTed here:
        the row forgets the remote ad, and the next run plans a create, guards and all."""
        message = (
            "the API does not know this ad (HTTP 404); the next run creates it again from the feed"
        )
        self._mirror.record_outcome(
            Outcome(
                action.dealer_code,
                action.source_id,
                Stage.ERROR,
                None,
                message=message,
                remote_unknown=True,
            ),
            self._clock.now(),
        )
        results.counts["rejected"] += 1
        results.problems.append((action.source_id, message))
        log.warning("ad_unknown_to_api", source_id=action.source_id, op=str(action.op))

    def _deferred(self, action: Update | Delete, result: Rejected, results: ApplyResults) -> None:
        """409 on PATCH or DELETE: "not created yet" (seed 003). Not a verdict on the
        payload: the intent is dropped and the next run plans the change again. The 409
        proves the ad exists, so the row keeps (or learns) that it is created."""
        exists = RemoteAd(action.source_id, RemoteState.CREATED)
        self._mirror.forget_intent(action.dealer_code, action.source_id, exists, self._clock.now())
        results.counts["deferred"] = results.counts.get("deferred", 0) + 1
        results.problems.append((action.source_id, f"deferred to the next run: {result.message}"))
        log.warning(
            "ad_call_deferred",
            op=str(action.op),
            source_id=action.source_id,
            status=result.status,
            message=result.message,
        )

    def _held(self, action: Delete, why: str, results: ApplyResults, *, intended: bool) -> None:
        """A delete not sent: the feed it was planned from changed. Nothing more is
        recorded, so the next run plans it again (or not) from the new file; one already
        recorded intended is read back first, like any intent a run left."""
        results.counts["deferred"] = results.counts.get("deferred", 0) + 1
        results.counts["deletes_held"] = results.counts.get("deletes_held", 0) + 1
        results.held_because = results.held_because or why
        results.problems.append((action.source_id, f"delete held back: {why}"))
        log.warning("ad_delete_held", source_id=action.source_id, reason=why, intended=intended)

    def _already_gone(self, action: Delete, message: str = "already gone (HTTP 404)") -> None:
        """404 on DELETE: the ad is already gone, which is what was wanted."""
        self._mirror.record_outcome(
            Outcome(
                action.dealer_code,
                action.source_id,
                Stage.DONE,
                RemoteState.DELETED,
                message=message,
            ),
            self._clock.now(),
        )
        log.info("ad_already_gone", source_id=action.source_id)
