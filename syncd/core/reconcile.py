"""Core: reconcile decisions: what the action logs say about a call in flight.

Pure: no I/O here. Given the mirror's record of an in-flight call and the ad
as the API returns it (with its logs), decide whether the call is still
processing, done, or ended in error, and with which message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from syncd.core.models import (
    Flight,
    LogEntry,
    LogState,
    Op,
    Outcome,
    RemoteAd,
    RemoteState,
    Stage,
)

CLOCK_SKEW = timedelta(seconds=5)
"""Assumption: without a request id, the entries of a call are those logged no earlier
than this before syncd sent it (the API's clock and ours may differ a little)."""

FINAL_ACTION = {
    Op.CREATE: "publish",
    Op.UPDATE: "publish",
    Op.REVIVE: "publish",
    Op.DELETE: "delete",
}
"""Assumption (docs/architecture.md): a write's chain ends with ``publish``, a DELETE's
with ``delete``. The call is settled once that action is done or error; or once the
call's own first action (``create``, ``update``, ``delete``) ended in error, after which
nothing more happens; or once any action ended in error, nothing is processing and
``ERROR_GRACE`` has passed (the API may log later actions only when it reaches them)."""

HEAD_ACTIONS = {
    Op.CREATE: ("create",),
    Op.UPDATE: ("update",),
    Op.REVIVE: ("update", "create"),  # a PATCH, or a POST for registered vehicles
    Op.DELETE: ("delete",),
}
ERROR_GRACE = timedelta(minutes=15)

_STATE_ORDER = {LogState.PROCESSING: 0, LogState.DONE: 1, LogState.ERROR: 1}
"""Entries logged in the same instant: a finished state is newer than ``processing``."""


def _order(entry: LogEntry) -> tuple[datetime, int]:
    return entry.created, _STATE_ORDER[entry.state]


def entries_of_call(
    ad: Flight, logs: Iterable[LogEntry], known: Sequence[LogEntry] = ()
) -> list[LogEntry]:
    """The log entries that belong to the ad's latest call, oldest first.

    With request ids, those carrying the call's id. Without them, those logged no
    earlier than ``CLOCK_SKEW`` before the call was sent, less the ``known`` entries
    syncd had already recorded for earlier calls (counted, not compared by time: an
    API that logs to the second gives two calls' entries the same time).
    """
    logs = sorted(logs, key=_order)
    if ad.request_id:
        mine = [e for e in logs if e.request_id == ad.request_id]
        if mine or any(e.request_id for e in logs):
            return mine
    if ad.sent_at is None:
        return logs
    earlier = Counter(_key(e) for e in known)
    fresh = []
    for entry in logs:
        if earlier[_key(entry)] > 0:
            earlier[_key(entry)] -= 1
        elif entry.created >= ad.sent_at - CLOCK_SKEW:
            fresh.append(entry)
    return fresh


def _key(entry: LogEntry) -> tuple[str, LogState, datetime]:
    return entry.action, entry.state, entry.created


def latest_states(entries: Iterable[LogEntry]) -> dict[str, LogEntry]:
    """The newest entry per action (entries must be oldest first)."""
    latest: dict[str, LogEntry] = {}
    for entry in entries:
        latest[entry.action] = entry
    return latest


def _settled(op: Op, latest: dict[str, LogEntry], waited: timedelta | None) -> bool:
    final = latest.get(FINAL_ACTION[op])
    if final is not None and final.state is not LogState.PROCESSING:
        return True
    heads = (latest.get(action) for action in HEAD_ACTIONS[op])
    if any(head is not None and head.state is LogState.ERROR for head in heads):
        return True
    states = {e.state for e in latest.values()}
    quiet = LogState.ERROR in states and LogState.PROCESSING not in states
    return quiet and waited is not None and waited >= ERROR_GRACE


def _message(latest: dict[str, LogEntry], stage: Stage) -> str | None:
    if stage is Stage.ERROR:
        wanted = [e for e in latest.values() if e.state is LogState.ERROR]
    else:
        wanted = [e for e in latest.values() if e.message]
    parts = [f"{e.action}: {e.message}" if e.message else f"{e.action}: error" for e in wanted]
    return "; ".join(parts) or None


def _not_applied(op: Op, latest: dict[str, LogEntry]) -> bool:
    """Whether a PATCH's (or a revive's) change never reached the ad: its ``update``
    action ended in error, so the API holds what it held before the call.

    Assumption (the seed says only that the action "will end up in state error"): a
    failed ``update`` applies nothing, so the mirror goes back to the payload from before
    the call (``Outcome.unapplied``) and the next diff is computed against what the API
    holds. An error in a later action (``handle_media``, ``publish``) leaves the change
    applied: the payload stays the one sent. A failed ``create`` is not one: no earlier
    payload exists to go back to (the API keeps the record it made)."""
    head = latest.get("update")
    return op in (Op.UPDATE, Op.REVIVE) and head is not None and head.state is LogState.ERROR


def _overdue(ad: Flight, now: datetime, give_up_after: timedelta | None) -> bool:
    """Whether the call was sent longer than ``give_up_after`` ago."""
    return give_up_after is not None and ad.sent_at is not None and now - ad.sent_at > give_up_after


def decide(
    ad: Flight,
    remote: RemoteAd | None,
    now: datetime,
    *,
    give_up_after: timedelta | None = None,
    known: Sequence[LogEntry] = (),
) -> Outcome:
    """The outcome of the ad's in-flight call, from the API's view of the ad.

    ``known`` are the log entries syncd recorded for the ad's earlier calls; they
    matter only when the API gives no request ids.

    ``remote`` None means the API did not return the ad: it stays in flight
    (a list may lag behind a write) until ``give_up_after`` since it was sent,
    then it is an error that tells the operator what happened.
    """
    op = ad.last_op or Op.UPDATE
    if remote is None:
        if _overdue(ad, now, give_up_after):
            return Outcome(
                ad.dealer_code,
                ad.source_id,
                Stage.ERROR,
                None,
                message="the API no longer lists this ad",
            )
        return Outcome(ad.dealer_code, ad.source_id, Stage.SENT, None)
    latest = latest_states(entries_of_call(ad, remote.logs, known))
    waited = now - ad.sent_at if ad.sent_at is not None else None
    settled = _settled(op, latest, waited)
    if not settled and _overdue(ad, now, give_up_after):
        # Never in flight forever: an action the API leaves processing for this long is
        # reported as an error, so the dealer hears of it and the next change re-sends.
        return Outcome(
            ad.dealer_code,
            ad.source_id,
            Stage.ERROR,
            remote.state,
            message="the API left this call processing for too long: "
            + (", ".join(sorted(latest)) or "no action logged yet"),
            remote_id=remote.remote_id,
            blocket_ad_id=remote.blocket_ad_id,
            blocket_store_id=remote.blocket_store_id,
            offer_id=remote.offer_id,
            logs=remote.logs,
        )
    if not settled:
        stage = Stage.SENT
    elif any(e.state is LogState.ERROR for e in latest.values()):
        stage = Stage.ERROR
    else:
        stage = Stage.DONE
    remote_state = remote.state
    if op is Op.DELETE and stage is Stage.DONE:
        remote_state = RemoteState.DELETED
    return Outcome(
        unapplied=stage is Stage.ERROR and _not_applied(op, latest),
        dealer_code=ad.dealer_code,
        source_id=ad.source_id,
        stage=stage,
        remote_state=remote_state,
        message=_message(latest, stage) if stage is not Stage.SENT else None,
        remote_id=remote.remote_id,
        blocket_ad_id=remote.blocket_ad_id,
        blocket_store_id=remote.blocket_store_id,
        offer_id=remote.offer_id,
        logs=remote.logs,
    )
