"""Paid calls cancelled beside other calls of the same client (one throttle slot): each
call's handover is its own task's, so a bump never sent is not_sent and one that reached
the transport stays unknown, whatever the sync's calls beside it did."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx
import pytest
from pydantic import SecretStr

from syncd.core.renewal_models import RenewalKind, RenewalOutcome
from syncd.marketplaces.blocket import TokenAuth
from syncd.marketplaces.renewals import BlocketRenewer
from syncd.marketplaces.throttle import Throttle
from syncd.renewals import RenewalDeps, renew_by_hand
from tests.fakes import FakeMirror, FakeRenewalLog, FixedClock

pytestmark = pytest.mark.anyio
BUMP = RenewalKind.BUMP


class HangingApi:
    """A transport whose every request hangs until cancelled, announced by its path's
    last two segments (``s1/bump``, ``ad/x``)."""

    def __init__(self) -> None:
        self.arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.arrived["/".join(request.url.path.split("/")[-2:])].set()
        await asyncio.Event().wait()  # never set: only a cancellation ends it
        raise AssertionError("not reached")


def one_slot_client(api: HangingApi) -> BlocketRenewer:
    """A client whose throttle lets one request out at a time."""
    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(api.handler),
        auth=TokenAuth(SecretStr("t0ken")),
    )
    return BlocketRenewer(http, throttle=Throttle(rate=1000.0, concurrency=1))


async def reserved(log: FakeRenewalLog, n: int) -> None:
    """Until ``n`` renewals are reserved: the last one then waits in the throttle (its
    reserve and its wait for the slot run in one step of its task)."""
    while len(log.rows) < n:
        await asyncio.sleep(0)


async def cancelled(*tasks: asyncio.Task[object]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with pytest.raises(asyncio.CancelledError):
            await task


def renewal_deps(client: BlocketRenewer) -> tuple[RenewalDeps, FakeRenewalLog]:
    log = FakeRenewalLog()
    return RenewalDeps(FakeMirror(), log, client, FixedClock()), log


async def test_a_bump_waiting_behind_a_syncs_call_is_not_sent() -> None:
    """A sync's GET holds the slot (handed to the transport in its own task); the bump
    waiting for the slot, cancelled, is not_sent: the GET's handover is not the bump's."""
    api = HangingApi()
    client = one_slot_client(api)
    deps, log = renewal_deps(client)
    sync_call = asyncio.create_task(client.get("D2", "x"))
    await api.arrived["ad/x"].wait()
    bump = asyncio.create_task(renew_by_hand(deps, "D1", "s1", BUMP))
    await reserved(log, 1)
    await cancelled(bump)
    assert [r.outcome for r in log.rows] == [RenewalOutcome.NOT_SENT]
    assert "s1/bump" not in api.arrived
    await cancelled(sync_call)


async def test_two_bumps_at_once_each_keep_their_own_handover() -> None:
    """One bump in the transport, a second waiting for the slot, a sync's GET behind
    them: cancelled, the first stays unknown (maybe charged), the second is not_sent."""
    api = HangingApi()
    client = one_slot_client(api)
    deps, log = renewal_deps(client)
    first = asyncio.create_task(renew_by_hand(deps, "D1", "s1", BUMP))
    await api.arrived["s1/bump"].wait()
    second = asyncio.create_task(renew_by_hand(deps, "D1", "s2", BUMP))
    await reserved(log, 2)
    sync_call = asyncio.create_task(client.get("D2", "x"))
    await cancelled(first, second)
    assert [(r.source_id, r.outcome) for r in log.rows] == [
        ("s1", RenewalOutcome.UNKNOWN),
        ("s2", RenewalOutcome.NOT_SENT),
    ]
    await api.arrived["ad/x"].wait()  # the slot freed: the sync's call goes on
    assert "s2/bump" not in api.arrived
    await cancelled(sync_call)
