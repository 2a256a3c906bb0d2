"""The audit of a feed that names no dealer takes the token's listing as that dealer's own
only when it holds one dealer's ads: a dealer group's token lists every dealer of the
group, and another dealer's ad must never be recorded as the feed's."""

from __future__ import annotations

import asyncio

import pytest

from syncd import audit
from syncd.core.models import MirrorAd, RemoteAd, RemoteState, Stage
from syncd.errors import ConfigError
from tests.fakes import FakeMirror, FixedClock


class ListingCatalog:
    """A ``Catalog`` whose listing is given (every state's ads in one list)."""

    def __init__(self, ads: list[RemoteAd]) -> None:
        self.ads = ads

    async def get(self, dealer_code: str, source_id: str) -> RemoteAd | None:
        return None

    async def list_ads(self, dealer_code: str, state: RemoteState) -> list[RemoteAd]:
        return [ad for ad in self.ads if ad.state is state]

    async def ad_log(self, dealer_code: str, source_id: str) -> None:
        return None


def _mirror() -> FakeMirror:
    """The token dealer's rows (dealer ''): s1 live, s2 deleted by syncd."""
    mirror = FakeMirror()
    for sid, state in (("s1", RemoteState.CREATED), ("s2", RemoteState.DELETED)):
        mirror.ads[("", sid)] = MirrorAd("", sid, remote_state=state, stage=Stage.DONE)
    return mirror


def test_a_group_listing_for_a_feed_naming_no_dealer_is_a_config_error() -> None:
    """G2's live s2 beside G1's deleted one: nothing recorded (s2 is not revived in the
    mirror with G2's ad, for the next run to DELETE), exit 3 naming the fix."""
    mirror = _mirror()
    catalog = ListingCatalog(
        [
            RemoteAd("s1", RemoteState.CREATED, dealer_code="G1"),
            RemoteAd("s2", RemoteState.DELETED, dealer_code="G1"),
            RemoteAd("s2", RemoteState.CREATED, dealer_code="G2", remote_id="g2-ad"),
        ]
    )
    before = dict(mirror.ads)
    with pytest.raises(ConfigError, match="dealer group"):
        asyncio.run(audit.audit(mirror, catalog, FixedClock(), "", dry_run=False))
    assert mirror.ads == before


def test_one_dealers_listing_for_a_feed_naming_no_dealer_is_audited() -> None:
    """A token of one dealer: its listing is the feed's, as before."""
    mirror = _mirror()
    catalog = ListingCatalog(
        [
            RemoteAd("s1", RemoteState.DELETED, dealer_code="G1"),
            RemoteAd("s2", RemoteState.DELETED, dealer_code="G1"),
        ]
    )
    report = asyncio.run(audit.audit(mirror, catalog, FixedClock(), "", dry_run=False))
    assert [(d.source_id, d.kind) for d in report.findings.drifts] == [("s1", "deleted_outside")]
