"""Hand-written fakes of syncd's ports, for unit tests of the service layer.

Each fake keeps the documented semantics of its port (the contract tests in
``tests/integration/test_mirror_contract.py`` run the same assertions against
the fake and the real adapter).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from syncd.core.activity import RunPoint
from syncd.core.models import (
    Accepted,
    Action,
    Answer,
    Delete,
    FeedMeta,
    Flight,
    ItemProblem,
    LogEntry,
    MirrorAd,
    Op,
    Outcome,
    Payload,
    Pin,
    RawMemo,
    Rejected,
    RemoteAd,
    RemoteState,
    RunOutcome,
    RunSummary,
    Stage,
)
from syncd.core.renewal_caps import allowance, used
from syncd.core.renewal_models import (
    CHARGED,
    Caps,
    Renewal,
    RenewalAd,
    RenewalAnswer,
    RenewalKind,
    RenewalOutcome,
)
from syncd.core.renewals import renewal_ad
from syncd.core.status import AD_STATUSES, FAILING_STAGES, ad_status, recorded_invalid
from syncd.core.vehicle_values import TypeValues
from syncd.errors import RunLocked, Stopped

_ID_FIELDS = ("remote_id", "blocket_ad_id", "blocket_store_id", "offer_id")


def _utc(when: datetime) -> datetime:
    # Like the SQL mirror: naive datetimes are refused, aware ones come back in UTC.
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when.isoformat()} (syncd stores aware UTC)")
    return when.astimezone(UTC)


def _stored(payload: Payload) -> dict[str, Any]:
    # The SQL mirror stores JSON: tuples come back as lists, mappings as dicts.
    def plain(value: Any) -> Any:
        if isinstance(value, tuple | set | frozenset):
            return list(value)
        return dict(value)

    loaded = orjson.loads(orjson.dumps(payload, default=plain))
    assert isinstance(loaded, dict)
    return loaded


def _ids(source: RemoteAd | Outcome | None) -> dict[str, str]:
    if source is None:
        return {}
    found = {name: getattr(source, name) for name in _ID_FIELDS}
    return {name: value for name, value in found.items() if value is not None}


@dataclass
class _Run:
    run_id: int
    dealer_code: str
    started_at: datetime
    meta: FeedMeta | None
    finished_at: datetime | None = None
    outcome: RunOutcome | None = None
    counts: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    invalid: tuple[ItemProblem, ...] = ()
    invalid_omitted: int = 0
    absent_recorded: bool = False

    def summary(self) -> RunSummary:
        return RunSummary(
            self.run_id,
            self.dealer_code,
            self.started_at,
            self.finished_at,
            self.meta.checksum if self.meta else None,
            self.outcome,
            dict(self.counts),
            self.message,
            self.invalid,
            self.invalid_omitted,
        )


def states_of(ad: MirrorAd) -> MirrorAd:
    """The ad as ``Mirror.load_states`` gives it: what a plan reads, and the memo."""
    return MirrorAd(
        ad.dealer_code,
        ad.source_id,
        ad.category_id,
        None,
        ad.payload_hash,
        ad.remote_state,
        ad.last_op,
        ad.stage,
        ad.pending_hash,
        memo=ad.memo,
    )


class FakeMirror:
    """The ``Mirror`` port in memory: dicts keyed by (dealer_code, source_id)."""

    def __init__(self) -> None:
        self.ads: dict[tuple[str, str], MirrorAd] = {}
        self.logs: dict[tuple[str, str], list[tuple[LogEntry, datetime]]] = {}
        self._runs: dict[int, _Run] = {}
        self._order: dict[tuple[str, str], int] = {}  # insertion order, ties in failing()
        self._pins: dict[tuple[str, str], datetime] = {}
        self.payload_reads: list[list[str]] = []  # the source_ids of each payloads() call
        self.batches: list[tuple[str, int]] = []  # (kind, size) of each batched write
        # The payload, hash and category before each ad's latest accepted write (the
        # mirror's prior_* columns): an unapplied outcome puts the row back at them.
        self.priors: dict[tuple[str, str], tuple[Any, str | None, int | None]] = {}

    # --- reads -----------------------------------------------------------------

    def load(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer, by source_id."""
        return {s: ad for (d, s), ad in self.ads.items() if d == dealer_code}

    def load_states(self, dealer_code: str) -> dict[str, MirrorAd]:
        """Every ad of this dealer with what a plan reads and its memo (see the port)."""
        return {s: states_of(ad) for s, ad in self.load(dealer_code).items()}

    def renewal_ads(self, dealer_code: str, paths: Sequence[str]) -> list[RenewalAd]:
        """Every ad of this dealer as a renewal policy reads it (see the port)."""
        return [renewal_ad(ad, paths) for ad in self.load(dealer_code).values()]

    def payloads(self, dealer_code: str, source_ids: Iterable[str]) -> dict[str, Payload]:
        """The accepted payloads of these ads (those that have one)."""
        self.payload_reads.append(sorted(source_ids))
        found = (self.ads.get((dealer_code, s)) for s in self.payload_reads[-1])
        return {ad.source_id: ad.payload for ad in found if ad is not None and ad.payload}

    def remember(self, dealer_code: str, memos: Mapping[str, RawMemo]) -> int:
        """Record each memo where the ad's accepted payload_hash is the memo's."""
        done = 0
        for source_id, memo in memos.items():
            ad = self.ads.get((dealer_code, source_id))
            if ad is not None and ad.payload_hash == memo.payload_hash:
                self.ads[dealer_code, source_id] = replace(ad, memo=memo)
                done += 1
        return done

    def get(self, dealer_code: str, source_id: str) -> MirrorAd | None:
        """One ad, or None."""
        return self.ads.get((dealer_code, source_id))

    def record_absent(self, dealer_code: str, source_ids: Iterable[str], now: datetime) -> None:
        """Mark these ads absent since ``now`` (kept if marked); unmark the dealer's others."""
        wanted = set(source_ids)
        for (d, s), ad in self.ads.items():
            if d != dealer_code:
                continue
            since = (ad.absent_since or _utc(now)) if s in wanted else None
            self.ads[d, s] = replace(ad, absent_since=since)

    def in_flight(self, dealer_code: str) -> list[Flight]:
        """Ads whose stage is SENT, by source_id, as the SQL mirror gives them."""
        return [
            Flight(a.dealer_code, a.source_id, a.last_op, a.request_id, a.sent_at)
            for a in self._by_stage(dealer_code, Stage.SENT)
        ]

    def intents(self, dealer_code: str) -> list[MirrorAd]:
        """Ads whose stage is INTENT, by source_id."""
        return self._by_stage(dealer_code, Stage.INTENT)

    def _by_stage(self, dealer_code: str, stage: Stage) -> list[MirrorAd]:
        found = [ad for ad in self.load(dealer_code).values() if ad.stage is stage]
        return sorted(found, key=lambda ad: ad.source_id)

    # --- writes ----------------------------------------------------------------

    def _set(self, dealer_code: str, source_id: str, now: datetime, **values: Any) -> None:
        key = (dealer_code, source_id)
        ad = self.ads.get(key) or MirrorAd(dealer_code, source_id, created_at=_utc(now))
        self._order.setdefault(key, len(self._order))
        self.ads[key] = replace(ad, **values, updated_at=_utc(now))

    def record_intent(self, action: Action, now: datetime) -> None:
        """Before sending: last_op, stage=INTENT, pending_hash, sent_at=now."""
        pending = None if isinstance(action, Delete) else action.payload_hash
        revived = {"created_at": _utc(now)} if action.op is Op.REVIVE else {}
        self._set(
            action.dealer_code,
            action.source_id,
            now,
            last_op=action.op,
            stage=Stage.INTENT,
            pending_hash=pending,
            sent_at=_utc(now),
            **revived,
        )

    def record_intents(self, actions: Sequence[Action], now: datetime) -> None:
        """``record_intent`` of each action (all at once: nothing else runs meanwhile)."""
        self.batches.append(("intents", len(actions)))
        for action in actions:
            self.record_intent(action, now)

    def record_answers(self, answers: Sequence[Answer]) -> None:
        """``record_accepted`` or ``record_rejected`` of each answer, at its own time."""
        self.batches.append(("answers", len(answers)))
        for answer in answers:
            if isinstance(answer.result, Accepted):
                self.record_accepted(answer.action, answer.result, answer.at)
            else:
                self.record_rejected(answer.action, answer.result, answer.at)

    def record_outcomes(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """``record_outcome`` of each outcome."""
        self.batches.append(("outcomes", len(outcomes)))
        for outcome in outcomes:
            self.record_outcome(outcome, now)

    def record_accepted(self, action: Action, result: Accepted, now: datetime) -> None:
        """After a 2xx: stage=SENT, request_id, payload (Create/Update), ids, message None."""
        values: dict[str, Any] = {
            "stage": Stage.SENT,
            "request_id": result.request_id,
            "message": None,
        }
        if not isinstance(action, Delete):
            old = self.ads.get((action.dealer_code, action.source_id))
            self.priors[action.dealer_code, action.source_id] = (
                (old.payload, old.payload_hash, old.category_id) if old else (None, None, None)
            )
            values |= {
                "payload": _stored(action.payload),
                "payload_hash": action.payload_hash,
                "remote_state": RemoteState.CREATED,
                "category_id": action.category_id,
            }
        self._set(action.dealer_code, action.source_id, now, **values, **_ids(result.remote))

    def record_rejected(self, action: Action, result: Rejected, now: datetime) -> None:
        """After a 4xx: stage=REJECTED, message=result.message."""
        self._set(
            action.dealer_code, action.source_id, now, stage=Stage.REJECTED, message=result.message
        )

    def record_outcome(self, outcome: Outcome, now: datetime) -> None:
        """Stage, message, remote_state (if given), ids (if given); each log entry once."""
        values: dict[str, Any] = {"stage": outcome.stage, "message": outcome.message}
        if outcome.remote_state is not None:
            values["remote_state"] = outcome.remote_state
        if outcome.remote_unknown:
            values["remote_state"] = None
        if outcome.unapplied:
            prior = self.priors.get((outcome.dealer_code, outcome.source_id), (None, None, None))
            values |= dict(zip(("payload", "payload_hash", "category_id"), prior, strict=True))
        self._set(outcome.dealer_code, outcome.source_id, now, **values, **_ids(outcome))
        stored = self.logs.setdefault((outcome.dealer_code, outcome.source_id), [])
        for given in outcome.logs:
            entry = replace(given, created=_utc(given.created), request_id=given.request_id or None)
            if all(_log_key(entry) != _log_key(old) for old, _ in stored):
                stored.append((entry, _utc(now)))

    def forget_intent(
        self, dealer_code: str, source_id: str, remote: RemoteAd | None, now: datetime
    ) -> None:
        """Resolve an INTENT left by a crash (nothing happens when there is no row)."""
        ad = self.ads.get((dealer_code, source_id))
        if ad is None:
            return
        if remote is None:
            state = None if ad.payload is None else ad.remote_state
            self._set(dealer_code, source_id, now, stage=None, remote_state=state)
        else:
            self._set(
                dealer_code, source_id, now, stage=None, remote_state=remote.state, **_ids(remote)
            )

    # --- runs ------------------------------------------------------------------

    def start_run(self, dealer_code: str, meta: FeedMeta | None, now: datetime) -> int:
        """Insert a run and return its id (1, 2, ...); the dealer's runs left open are
        closed as failed (abandoned), as the SQL mirror does."""
        run_id = max(self._runs, default=0) + 1
        for run in self._runs.values():
            if run.dealer_code == dealer_code and run.finished_at is None:
                run.finished_at, run.outcome = _utc(now), RunOutcome.FAILED
                run.message = (
                    f"abandoned: syncd stopped without closing this run (killed, "
                    f"crashed or power lost); run {run_id} took over"
                )
        self._runs[run_id] = _Run(run_id, dealer_code, _utc(now), meta)
        return run_id

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: dict[str, int],
        message: str | None,
        now: datetime,
        *,
        invalid: Sequence[ItemProblem] = (),
        absent_recorded: bool = False,
    ) -> None:
        """Close a run (LookupError if unknown); keeps its invalid items, bounded."""
        if run_id not in self._runs:
            raise LookupError(f"no run {run_id} in the mirror")
        run = self._runs[run_id]
        run.finished_at, run.outcome, run.message = _utc(now), RunOutcome(outcome), message
        run.counts = dict(counts)
        run.invalid, run.invalid_omitted = recorded_invalid(invalid)
        run.absent_recorded = absent_recorded

    def absent_recorded_at(self, dealer_code: str) -> datetime | None:
        """When the latest run of this dealer that recorded the absent marks started."""
        times = [
            r.started_at
            for r in self._runs.values()
            if r.dealer_code == dealer_code and r.absent_recorded
        ]
        return max(times, default=None)

    def runs(self, dealer_code: str | None, limit: int) -> list[RunSummary]:
        """The latest runs, newest first."""
        chosen = [r for r in self._runs.values() if dealer_code in (None, r.dealer_code)]
        chosen.sort(key=lambda r: (r.started_at, r.run_id), reverse=True)
        return [r.summary() for r in chosen[:limit]]

    def latest_finished_runs(self, dealer_code: str | None) -> list[RunSummary]:
        """The latest finished run of each dealer (or of the one given), by dealer_code."""
        latest: dict[str, _Run] = {}
        for r in self._runs.values():
            if r.finished_at is None or dealer_code not in (None, r.dealer_code):
                continue
            known = latest.get(r.dealer_code)
            if known is None or (r.started_at, r.run_id) > (known.started_at, known.run_id):
                latest[r.dealer_code] = r
        return [latest[d].summary() for d in sorted(latest)]

    # --- status and housekeeping ---------------------------------------------------

    def counts_by_state(self, dealer_code: str | None) -> dict[str, int]:
        """How many ads have each status (every status present)."""
        counts = dict.fromkeys(AD_STATUSES, 0)
        for (dealer, _), ad in self.ads.items():
            if dealer_code in (None, dealer):
                counts[ad_status(ad.stage, ad.remote_state)] += 1
        return counts

    def counts_by_dealer(self) -> dict[str, dict[str, int]]:
        """Per dealer_code holding ads, sorted: how many have each status."""
        return {d: self.counts_by_state(d) for d in sorted({d for d, _ in self.ads})}

    def run_points(self, since: datetime) -> list[RunPoint]:
        """Every run started since ``since``, oldest first."""
        chosen = sorted(
            (r for r in self._runs.values() if r.started_at >= since),
            key=lambda r: (r.started_at, r.run_id),
        )
        return [
            RunPoint(r.dealer_code, r.started_at, r.outcome, r.counts.get("requests", 0))
            for r in chosen
        ]

    def failing(self, dealer_code: str | None, limit: int) -> list[MirrorAd]:
        """Ads whose stage is ERROR or REJECTED, newest first."""
        chosen = [
            (key, ad)
            for key, ad in self.ads.items()
            if ad.stage in FAILING_STAGES and dealer_code in (None, key[0])
        ]
        chosen.sort(key=lambda item: (item[1].updated_at, self._order[item[0]]), reverse=True)
        return [ad for _, ad in chosen[:limit]]

    def action_logs(
        self, dealer_code: str, source_id: str, recorded_before: datetime | None = None
    ) -> list[LogEntry]:
        """Every stored log entry of one ad (recorded before a time), oldest first."""
        stored = self.logs.get((dealer_code, source_id), [])
        if recorded_before is not None:
            stored = [(e, at) for e, at in stored if at < _utc(recorded_before)]
        return [e for e, _ in sorted(stored, key=lambda item: item[0].created)]

    def ping(self) -> None:
        """An in-memory mirror always answers."""

    def pinned(self, dealer_code: str) -> frozenset[str]:
        """The source_ids of this dealer's pins."""
        return frozenset(s for d, s in self._pins if d == dealer_code)

    def pin(self, dealer_code: str, source_id: str, now: datetime) -> bool:
        """Pin an ad; False when it already was."""
        if (dealer_code, source_id) in self._pins:
            return False
        self._pins[(dealer_code, source_id)] = _utc(now)
        return True

    def unpin(self, dealer_code: str, source_id: str) -> bool:
        """Unpin an ad; False when it was not pinned."""
        return self._pins.pop((dealer_code, source_id), None) is not None

    def pins(self, dealer_code: str | None) -> list[Pin]:
        """Every pin (of one dealer, or all), sorted."""
        return [
            Pin(d, s, at)
            for (d, s), at in sorted(self._pins.items())
            if dealer_code is None or d == dealer_code
        ]

    def prune(self, older_than: datetime) -> int:
        """Delete log entries created and runs ended before ``older_than``; how many."""
        cutoff, deleted = _utc(older_than), 0
        for key, stored in self.logs.items():
            kept = [(e, at) for e, at in stored if e.created >= cutoff]
            deleted += len(stored) - len(kept)
            self.logs[key] = kept
        for run_id, run in list(self._runs.items()):
            if (run.finished_at or run.started_at) < cutoff:
                del self._runs[run_id]
                deleted += 1
        return deleted


def _log_key(entry: LogEntry) -> tuple[str | None, str, str, datetime]:
    return (entry.request_id, entry.action, entry.state.value, entry.created)


class FakeMarketplace:
    """A scripted Marketplace: answers from a queue per (method, source_id), records calls.

    Unscripted writes are accepted (200/201) with request id ``r<n>``; unscripted
    reads find nothing. ``remote`` holds what ``get`` and ``list_with_logs`` return.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []
        self.answers: dict[tuple[str, str], list[Accepted | Rejected | Exception]] = {}
        self.remote: dict[str, RemoteAd] = {}

    def answer(
        self, method: str, source_id: str, *results: Accepted | Rejected | Exception
    ) -> None:
        """Queue the answers the next calls of this method on this ad get."""
        self.answers.setdefault((method, source_id), []).extend(results)

    def _next(self, method: str, source_id: str, body: Payload | None) -> Accepted | Rejected:
        self.calls.append((method, source_id, dict(body) if body is not None else None))
        queue = self.answers.get((method, source_id))
        if queue:
            result = queue.pop(0)
            if isinstance(result, Exception):
                raise result
            return result
        return Accepted(201 if method == "POST" else 200, request_id=f"r{len(self.calls)}")

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> Accepted | Rejected:
        return self._next("POST", source_id, body)

    async def update(
        self, dealer_code: str, source_id: str, changes: Payload, category_id: int | None = None
    ) -> Accepted | Rejected:
        return self._next("PATCH", source_id, changes)

    async def delete(self, dealer_code: str, source_id: str) -> Accepted | Rejected:
        return self._next("DELETE", source_id, None)

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        self.calls.append(("GET", source_id, None))
        return self.remote.get(source_id)

    async def list_with_logs(self, dealer_code: str, source_ids: Any) -> list[RemoteAd]:
        self.calls.append(("LIST", ",".join(source_ids), None))
        return [self.remote[s] for s in source_ids if s in self.remote]


class FixedClock:
    """A clock that stands still unless moved."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


class FakeVehicleLookups:
    """The API's vehicle lists from a dict, counting calls; ``failing`` makes each call fail."""

    def __init__(
        self,
        types: dict[str, TypeValues] | None = None,
        models: dict[tuple[str, str], tuple[str, ...]] | None = None,
    ) -> None:
        self.types = types or {}
        self.model_lists = models or {}
        self.calls: list[tuple[str, ...]] = []
        self.failing: Exception | None = None

    def _call(self, *what: str) -> None:
        self.calls.append(what)
        if self.failing is not None:
            raise self.failing

    async def vehicle_values(self, vehicle_type: str) -> TypeValues:
        self._call("values", vehicle_type)
        return self.types.get(vehicle_type, TypeValues())

    async def models(self, vehicle_type: str, brand: str) -> tuple[str, ...]:
        self._call("models", vehicle_type, brand)
        return self.model_lists.get((vehicle_type, brand), ())

    async def validate(self, dealer_code: str, source_id: str, body: Payload) -> Accepted:
        self._call("validate", source_id)
        return Accepted(status=200)


class FakeRenewalLog:
    """The ``RenewalLog`` port in memory: a list of renewals, ids are 1-based positions."""

    def __init__(self) -> None:
        self.rows: list[Renewal] = []

    def history(self, since: datetime) -> list[Renewal]:
        return [r for r in self.rows if r.at >= _utc(since)]

    def latest(self, dealer_code: str | None, limit: int) -> list[Renewal]:
        mine = [r for r in self.rows if dealer_code is None or r.dealer_code == dealer_code]
        return mine[::-1][:limit]

    def reserve(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        now: datetime,
        *,
        policy: str | None = None,
        caps: Caps | None = None,
    ) -> int | None:
        if caps is not None and policy is not None:
            today, month = used(policy, dealer_code, self.rows, now)
            if allowance(caps, today, month) == 0:
                return None
        self.rows.append(
            Renewal(dealer_code, source_id, kind, _utc(now), RenewalOutcome.RESERVED, policy)
        )
        return len(self.rows)

    def settle(self, renewal_id: int, answer: RenewalAnswer) -> None:
        row = self.rows[renewal_id - 1]
        self.rows[renewal_id - 1] = replace(
            row, outcome=answer.outcome, message=answer.message, request_id=answer.request_id
        )

    def charged(self) -> list[Renewal]:
        """The renewals that count against a cap."""
        return [r for r in self.rows if r.outcome in CHARGED]


class FakeRenewer:
    """A scripted Renewer: accepts every call unless an answer is queued for the ad."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, RenewalKind, bool, bool]] = []
        self.answers: dict[str, list[RenewalAnswer | Exception]] = {}

    async def renew(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        *,
        exclude_bytbil: bool = False,
        exclude_blocket: bool = False,
    ) -> RenewalAnswer:
        self.calls.append((dealer_code, source_id, kind, exclude_bytbil, exclude_blocket))
        queue = self.answers.get(source_id)
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return RenewalAnswer(RenewalOutcome.ACCEPTED, 200, request_id=f"b{len(self.calls)}")


class HeldElsewhere:
    """A run lock another run holds: ``hold`` waits on its stop event (as the mirror's
    lock does, in the worker thread) and says when it has started waiting; with
    ``wait=0`` it gives up at once."""

    def __init__(self) -> None:
        self.waiting = threading.Event()

    @contextlib.contextmanager
    def hold(
        self, dealer_code: str, *, wait: float | None, stop: threading.Event
    ) -> Iterator[None]:
        self.waiting.set()
        if wait != 0 and stop.wait(60):  # bounded: a broken stop fails, never hangs
            raise Stopped(f"stopped while waiting for the run lock of dealer {dealer_code!r}")
        raise RunLocked("still held")
        yield  # a generator: the context manager's body is never reached
