"""A paid call cancelled (the daemon's stop timeout): not_sent before it reached the
transport, unknown (maybe charged) once it did; a stop's gate (syncd/gates.py) cancels
one still before the transport at once, and lets one past it answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from syncd.core.renewal_models import Caps, RenewalAnswer, RenewalOutcome, RenewalPolicy
from syncd.errors import Stopped
from syncd.gates import GatedRenewer, StepGate
from syncd.ports import hand_over
from syncd.renewals import RenewalDeps, run_policy
from tests.unit.test_renewals_use_case import deps

pytestmark = pytest.mark.anyio
POLICY = RenewalPolicy("p", timedelta(days=7), Caps(3, 10), categories=frozenset({2048}))


class Hanging:
    """A Renewer whose second call hangs until cancelled: in its client's throttle
    (``handed_over`` False) or waiting for the API's answer (True)."""

    def __init__(self, *, handed_over: bool) -> None:
        self.handed_over = handed_over
        self.calls = 0
        self.waiting = asyncio.Event()
        self.answer: asyncio.Event | None = None  # set: the hanging call answers then

    async def renew(self, *args: object, **kwargs: bool) -> RenewalAnswer:
        self.calls += 1
        if self.calls == 1:
            hand_over()
            return RenewalAnswer(RenewalOutcome.ACCEPTED, 200)
        if self.handed_over:
            hand_over()
        self.waiting.set()
        if self.answer is not None and self.handed_over:
            await self.answer.wait()
            return RenewalAnswer(RenewalOutcome.ACCEPTED, 200)
        await asyncio.Event().wait()  # never set: only a cancellation ends it
        raise AssertionError("not reached")


async def cancelled_pass(renewer: Hanging) -> list[RenewalOutcome]:
    """A policy pass cancelled while its second call hangs; the renewals' outcomes."""
    d, log, _ = deps()
    task = asyncio.create_task(
        run_policy(RenewalDeps(d.mirror, d.log, renewer, d.clock), POLICY, "D1", api_version=4)
    )
    await renewer.waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return [r.outcome for r in log.rows]


async def test_a_renewal_cancelled_before_it_reached_the_transport_is_not_sent() -> None:
    """Cancelled in the throttle's wait: nothing went out, so nothing was charged; the
    row says not_sent (no unit of the cap), and no third call was reserved."""
    outcomes = await cancelled_pass(Hanging(handed_over=False))
    assert outcomes == [RenewalOutcome.ACCEPTED, RenewalOutcome.NOT_SENT]


async def test_a_renewal_cancelled_once_handed_to_the_transport_stays_unknown() -> None:
    """Cancelled while waiting for the answer: it may have been charged, so unknown
    (counted against the cap, never re-sent)."""
    outcomes = await cancelled_pass(Hanging(handed_over=True))
    assert outcomes == [RenewalOutcome.ACCEPTED, RenewalOutcome.UNKNOWN]


async def stopped_pass(renewer: Hanging) -> list[RenewalOutcome]:
    """A policy pass through a stop's gate, stopped while its second call hangs (and
    that call then answered, if it can); the renewals' outcomes."""
    d, log, _ = deps()
    gate = StepGate()
    gated = GatedRenewer(renewer, gate)
    step = asyncio.create_task(
        gate.step(
            run_policy(RenewalDeps(d.mirror, d.log, gated, d.clock), POLICY, "D1", api_version=4)
        )
    )
    await renewer.waiting.wait()
    gate.begin_stop("by SIGTERM")
    if renewer.answer is not None:
        renewer.answer.set()
    with pytest.raises(Stopped):
        await step
    return [r.outcome for r in log.rows]


async def test_a_stop_cancels_a_renewal_still_in_the_throttle_at_once_not_sent() -> None:
    """The stop's gate does not wait for a paid call that has not reached its transport:
    cancelled there, not_sent (no unit of the cap), no third reserved."""
    renewer = Hanging(handed_over=False)
    renewer.answer = asyncio.Event()  # never set: the gate must not wait for it
    assert await stopped_pass(renewer) == [RenewalOutcome.ACCEPTED, RenewalOutcome.NOT_SENT]
    assert renewer.calls == 2


async def test_a_stop_lets_a_renewal_on_the_wire_answer_then_sends_no_other() -> None:
    """A paid call past its transport at the stop gets its answer, recorded accepted; the
    next one reserved is refused by the gate, not_sent, and never reaches the API."""
    renewer = Hanging(handed_over=True)
    renewer.answer = asyncio.Event()
    outcomes = await stopped_pass(renewer)
    assert outcomes == [RenewalOutcome.ACCEPTED, RenewalOutcome.ACCEPTED, RenewalOutcome.NOT_SENT]
    assert renewer.calls == 2
