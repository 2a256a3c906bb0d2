"""The executor at a call refused for the configuration's sake (CallRefusedByConfig):
the calls in flight finish, no other is sent, and no intent is left behind."""

from __future__ import annotations

import asyncio

import pytest

from syncd.core.models import Accepted, Create, Payload, Rejected, Stage
from syncd.errors import CallRefusedByConfig
from syncd.execute import Executor
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock

BODY = {"category_id": 2048, "title": "T", "price": [{"type": "list", "amount": 5}]}


def _create(source_id: str) -> Create:
    return Create(
        dealer_code="",
        source_id=source_id,
        category_id=2048,
        body=BODY,
        payload=BODY,
        payload_hash="h",
    )


class RefusingFirst(FakeMarketplace):
    """Refuses ``s1`` once ``s2`` is in flight; accepts the others after a yield."""

    def __init__(self) -> None:
        super().__init__()
        self.second_sent = asyncio.Event()

    async def create(self, dealer_code: str, source_id: str, body: Payload) -> Accepted | Rejected:
        self.calls.append(("POST", source_id, dict(body)))
        if source_id == "s1":
            await self.second_sent.wait()
            raise CallRefusedByConfig("POST /v4/ad: the API answered 400 (dealer_code: ...)")
        self.second_sent.set()
        await asyncio.sleep(0)  # still in flight when s1 is refused
        return Accepted(201, request_id=f"r-{source_id}")


@pytest.mark.anyio
async def test_a_call_refused_for_the_config_stops_sending_and_drops_the_intents() -> None:
    """s1 refused while s2 is in flight: s2's answer is recorded, s1's intent and those
    of the calls intended but never sent (s3..s6) are dropped, and the error is raised."""
    mirror, api = FakeMirror(), RefusingFirst()
    executor = Executor(mirror, api, FixedClock(), max_in_flight=2, batch=10)
    with pytest.raises(CallRefusedByConfig, match="dealer_code"):
        await executor.apply([_create(f"s{n}") for n in range(1, 7)])
    assert [sid for _, sid, _ in api.calls] == ["s1", "s2"]
    stages = {sid: ad.stage for (_, sid), ad in mirror.ads.items()}
    assert stages == {"s1": None, "s2": Stage.SENT} | {f"s{n}": None for n in range(3, 7)}
