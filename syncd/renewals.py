"""Use case: renewals: a bump or pole position by hand, and the ``[[renewal]]`` policies.

Every paid call is recorded before it is sent (``RenewalLog.reserve``: the
unit of a policy's cap is taken in the database first, so a crash, a restart
or a second process never spends past a cap) and its answer after. Which ads a
policy renews is decided by the pure :func:`syncd.core.renewals.decide`.

The shell holds the dealer's run lock around :func:`run_policy` (``run-once``
after its sync, the daemon's renew job), so two processes never pick the same
ads at once; the caps hold even without it (the database's guard).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from syncd.core.contacts import mask
from syncd.core.renewal_models import (
    Choice,
    Renewal,
    RenewalAnswer,
    RenewalKind,
    RenewalOutcome,
    RenewalPolicy,
)
from syncd.core.renewals import decide, history_since, marks_unusable
from syncd.errors import Stopped, SyncdError
from syncd.ports import Clock, Mirror, RenewalLog, Renewer, watching_handover
from syncd.terminal import printable

log = structlog.get_logger("syncd.renewals")


@dataclass(frozen=True, slots=True)
class RenewalDeps:
    """The ports renewals need."""

    mirror: Mirror
    log: RenewalLog
    renewer: Renewer
    clock: Clock


@dataclass(slots=True)
class PolicyReport:
    """What one policy did for one dealer."""

    policy: str
    dealer_code: str
    due: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # accepted, refused, unknown
    capped: int = 0  # due ads left for later by a cap
    on_pole_position: tuple[str, ...] = ()
    renewed: list[str] = field(default_factory=list)  # source_ids charged (or maybe)
    problems: list[tuple[str, str]] = field(default_factory=list)
    skipped: str | None = None  # why the policy sent nothing for this dealer, if it did not try


def _unanswered(exc: BaseException, *, sent: bool) -> RenewalAnswer:
    """What is recorded of a paid call that raised instead of answering."""
    if isinstance(exc, Stopped):
        # The stop's gate held the call back before it went out (the Renewer port: Stopped
        # only for a call never sent): nothing was charged, and the API refused nothing.
        # Recorded NOT_SENT rather than deleted, so that the record shows why the policy
        # stopped; it counts neither against a cap nor as a bump, so the next run may
        # send it.
        return RenewalAnswer(RenewalOutcome.NOT_SENT, message=str(exc))
    if isinstance(exc, SyncdError):
        # A refused token (401/403): the API did nothing, so nothing was charged.
        return RenewalAnswer(RenewalOutcome.REFUSED, message=str(exc))
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt) and not sent:
        # Cancelled (the daemon's stop timeout, a second signal) while it waited for the
        # client's throttle: the request never reached the transport, so nothing went out.
        return RenewalAnswer(RenewalOutcome.NOT_SENT, message="cancelled before it was sent")
    # A bug, or a cancellation once the request was handed to the transport: it may have
    # gone out (assumption: the transport's own steps, a pooled connection's wait or a
    # connect, are not told apart from the send); counted as charged, never re-sent.
    return RenewalAnswer(RenewalOutcome.UNKNOWN, message="interrupted")


async def _send(
    deps: RenewalDeps, renewal_id: int, dealer_code: str, kind: RenewalKind, choice: Choice
) -> RenewalAnswer:
    """Send one reserved call and record its answer (also when it raises)."""
    source_id = choice.source_id
    with watching_handover() as handover:
        try:
            answer = await deps.renewer.renew(
                dealer_code,
                source_id,
                kind,
                exclude_bytbil=choice.exclude_bytbil,
                exclude_blocket=choice.exclude_blocket,
            )
        except BaseException as exc:
            deps.log.settle(renewal_id, _unanswered(exc, sent=handover.handed_over))
            raise
    deps.log.settle(renewal_id, answer)
    log.info(
        "ad_renewal_sent",
        kind=kind.value,
        source_id=source_id,
        outcome=answer.outcome.value,
        status=answer.status,
        message=answer.message,
    )
    return answer


async def renew_by_hand(
    deps: RenewalDeps,
    dealer_code: str,
    source_id: str,
    kind: RenewalKind,
    *,
    exclude_bytbil: bool = False,
    exclude_blocket: bool = False,
) -> tuple[Renewal, RenewalAnswer]:
    """One bump or pole position an operator asked for (no cap: a person decided): the
    renewal as recorded, and the API's answer.

    Assumption: the API is the judge of whether the ad can be renewed (pole
    position set in Blocket Admin is unknown to syncd); a refusal costs nothing.
    """
    now = deps.clock.now()
    renewal_id = deps.log.reserve(dealer_code, source_id, kind, now)
    assert renewal_id is not None  # no caps: always reserved
    choice = Choice(source_id, exclude_bytbil, exclude_blocket)
    answer = await _send(deps, renewal_id, dealer_code, kind, choice)
    done = Renewal(
        dealer_code,
        source_id,
        kind,
        now,
        answer.outcome,
        message=answer.message,
        request_id=answer.request_id,
    )
    return done, answer


async def run_policy(
    deps: RenewalDeps, policy: RenewalPolicy, dealer_code: str, *, api_version: int
) -> PolicyReport:
    """Bump what ``policy`` says is due for this dealer, each unit reserved under its caps.

    Refused (nothing decided, nothing sent: ``skipped``) while no run of the dealer has
    recorded the absent marks since the upgrade that added them (every mark is NULL
    until then), or when the latest run that did is older than the policy's
    ``max_marks_age`` (no sync has recorded them since): a policy would pay to bump ads the
    dealer no longer sells (:func:`syncd.core.renewals.marks_unusable`).

    The ads are read without their payloads (``Mirror.renewal_ads``: only ``visible``
    and the filter's paths of them).
    """
    now = deps.clock.now()
    recorded_at = deps.mirror.absent_recorded_at(dealer_code)
    reason = marks_unusable(recorded_at, now, policy.max_marks_age)
    if reason is not None:
        report = PolicyReport(policy.name, dealer_code, skipped=reason)
        log.warning(
            "renewal_policy_skipped",
            policy=policy.name,
            dealer_code=dealer_code,
            reason=reason,
            marks_recorded_at=recorded_at.isoformat() if recorded_at is not None else None,
        )
        return report
    history = deps.log.history(history_since(policy, now))
    ads = deps.mirror.renewal_ads(dealer_code, tuple(policy.filter))
    decision = decide(policy, dealer_code, ads, history, now, api_version=api_version)
    report = PolicyReport(
        policy.name,
        dealer_code,
        due=decision.due,
        capped=decision.capped,
        on_pole_position=decision.on_pole_position,
    )
    for index, choice in enumerate(decision.chosen):
        renewal_id = deps.log.reserve(
            dealer_code,
            choice.source_id,
            RenewalKind.BUMP,
            deps.clock.now(),
            policy=policy.name,
            caps=policy.caps,
        )
        if renewal_id is None:  # another process spent the units meanwhile
            report.capped += len(decision.chosen) - index
            break
        answer = await _send(deps, renewal_id, dealer_code, RenewalKind.BUMP, choice)
        key = answer.outcome.value
        report.counts[key] = report.counts.get(key, 0) + 1
        if answer.outcome is RenewalOutcome.REFUSED:
            report.problems.append((choice.source_id, answer.message or "refused"))
        else:
            report.renewed.append(choice.source_id)
    log.info(
        "renewal_policy_done",
        policy=policy.name,
        dealer_code=dealer_code,
        due=report.due,
        capped=report.capped,
        on_pole_position=len(report.on_pole_position),
        **report.counts,
    )
    return report


async def run_policies(
    deps: RenewalDeps,
    policies: Sequence[RenewalPolicy],
    dealer_code: str,
    *,
    api_version: int,
) -> list[PolicyReport]:
    """Every policy that applies to this dealer, in the config's order."""
    return [
        await run_policy(deps, p, dealer_code, api_version=api_version)
        for p in policies
        if p.applies_to(dealer_code)
    ]


def report_json(r: PolicyReport) -> dict[str, object]:
    """One policy's report as ``run-once --json`` prints it (contact data in the API's
    answers masked, as ``syncd status`` masks a renewal's message)."""
    return {
        "policy": r.policy,
        "dealer_code": r.dealer_code,
        "due": r.due,
        "counts": r.counts,
        "capped": r.capped,
        "on_pole_position": list(r.on_pole_position),
        "renewed": r.renewed,
        "problems": [{"source_id": s, "message": mask(m)} for s, m in r.problems],
        "skipped": r.skipped,
    }


def report_line(r: PolicyReport) -> str:
    """One line for a terminal: what the policy renewed, and what it left for later."""
    # The dealer code and policy name escaped as a run report's (a configured value).
    head = f"renewal {printable(r.policy)} dealer {printable(r.dealer_code or '(token dealer)')}"
    if r.skipped is not None:
        return f"{head}: skipped: {r.skipped}"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items())) or "nothing sent"
    return (
        f"{head}: {counts}; "
        f"due {r.due}, capped {r.capped}, on pole position {len(r.on_pole_position)}"
    )
