"""A pin taken while a run is under way holds the delete that run planned for the ad."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.core.models import Accepted, MirrorAd, Rejected, RemoteState, Stage
from syncd.runs import Deps, FeedJob, RunOptions
from syncd.service import sync
from tests.fakes import FakeMarketplace, FakeMirror, FixedClock
from tests.unit.test_service import OneFeed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class PinsWhileDeleting(FakeMarketplace):
    """The operator pins ``gone-2`` while the run sends its first delete (``gone-1``)."""

    def __init__(self, mirror: FakeMirror) -> None:
        super().__init__()
        self.mirror = mirror

    async def delete(self, dealer_code: str, source_id: str) -> Accepted | Rejected:
        self.mirror.pin(dealer_code, "gone-2", NOW)
        return await super().delete(dealer_code, source_id)


def _live(source_id: str) -> MirrorAd:
    return MirrorAd(
        "",
        source_id,
        category_id=2048,
        remote_state=RemoteState.CREATED,
        stage=Stage.DONE,
        blocket_ad_id="1",
        payload={"title": "x"},
    )


@pytest.mark.anyio
async def test_an_ad_pinned_during_the_run_is_not_deleted() -> None:
    """`syncd pin` answered "pinned" while the daemon ran: that run must not delete it."""
    mirror = FakeMirror()
    for sid in ("gone-1", "gone-2"):
        mirror.ads[("", sid)] = _live(sid)
    api = PinsWhileDeleting(mirror)

    async def no_sleep(seconds: float) -> None:
        return None

    deps = Deps(mirror=mirror, marketplace=api, clock=FixedClock(NOW), sleep=no_sleep)
    options = RunOptions(reconcile_wait=0, max_in_flight=1, allow_mass_delete=True)
    await sync(deps, FeedJob("feed.json", "", OneFeed()), options)
    deleted = [sid for method, sid, _ in api.calls if method == "DELETE"]
    assert deleted == ["gone-1"]
    row = mirror.get("", "gone-2")
    assert row is not None
    assert row.remote_state is RemoteState.CREATED
