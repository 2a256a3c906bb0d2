"""Pure drift decisions: which mirror rows disagree with the API's listing of a dealer."""

from __future__ import annotations

from syncd.core.drift import DRIFT_KINDS, audit, listed_by_id
from syncd.core.models import MirrorAd, RemoteAd, RemoteState, Stage

LIVE, DELETED = RemoteState.CREATED, RemoteState.DELETED


def row(sid: str, state: RemoteState | None, stage: Stage | None = Stage.DONE) -> MirrorAd:
    """A mirror row of dealer D1."""
    return MirrorAd("D1", sid, remote_state=state, stage=stage)


def rows(*ads: MirrorAd) -> dict[str, MirrorAd]:
    """Mirror rows by source_id."""
    return {a.source_id: a for a in ads}


def kinds(found: object) -> list[tuple[str, str, bool]]:
    """(source_id, kind, recorded) of each drift."""
    return [(d.source_id, d.kind, d.recorded) for d in found.drifts]  # type: ignore[attr-defined]


def test_an_ad_live_on_both_sides_and_one_deleted_on_both_have_not_drifted() -> None:
    """Agreement is no drift at all."""
    found = audit(
        rows(row("a", LIVE), row("b", DELETED)),
        [RemoteAd("a", LIVE), RemoteAd("b", DELETED)],
    )
    assert found.drifts == ()
    assert found.listed == 2
    assert set(found.counts) == set(DRIFT_KINDS)
    assert sum(found.counts.values()) == 0


def test_a_live_row_the_api_holds_deleted_is_recorded_as_deleted_outside() -> None:
    """Another client deleted it: deleted_outside, recorded, with the API's ad."""
    remote = RemoteAd("a", DELETED, remote_id="r1")
    found = audit(rows(row("a", LIVE), row("b", LIVE)), [remote, RemoteAd("b", LIVE)])
    assert kinds(found) == [("a", "deleted_outside", True)]
    assert found.drifts[0].remote == remote
    assert found.counts["deleted_outside"] == 1


def test_a_live_row_missing_from_the_listing_altogether_is_not_listed() -> None:
    """Neither state lists it: not_listed, recorded (the listing holds other ads)."""
    found = audit(rows(row("a", LIVE), row("b", LIVE)), [RemoteAd("b", LIVE)])
    assert kinds(found) == [("a", "not_listed", True)]
    assert found.drifts[0].remote is None


def test_an_empty_listing_reports_the_missing_ads_without_recording_them() -> None:
    """The API lists nothing for a dealer with live ads: reported, not recorded."""
    found = audit(rows(row("a", LIVE), row("b", LIVE)), [])
    assert kinds(found) == [("a", "not_listed", False), ("b", "not_listed", False)]


def test_a_deleted_row_the_api_holds_live_is_live_outside() -> None:
    """Revived elsewhere: live_outside, recorded."""
    found = audit(rows(row("a", DELETED)), [RemoteAd("a", LIVE)])
    assert kinds(found) == [("a", "live_outside", True)]


def test_ads_the_mirror_lacks_are_reported_only() -> None:
    """No row, or a row that never reached the API: unknown_to_mirror, not recorded."""
    found = audit(rows(row("b", None, None)), [RemoteAd("a", LIVE), RemoteAd("b", LIVE)])
    assert kinds(found) == [("a", "unknown_to_mirror", False), ("b", "unknown_to_mirror", False)]


def test_a_deleted_ad_the_mirror_lacks_is_no_drift() -> None:
    """A deleted ad that is also no live row: nothing to say (both say not live)."""
    found = audit(rows(row("b", None, Stage.REJECTED)), [RemoteAd("b", DELETED)])
    assert found.drifts == ()


def test_rows_with_a_call_in_flight_or_an_intent_are_left_alone() -> None:
    """SENT and INTENT rows are counted as unsettled, never drift, whatever the API says."""
    found = audit(
        rows(
            row("a", LIVE, Stage.SENT), row("b", LIVE, Stage.INTENT), row("c", DELETED, Stage.SENT)
        ),
        [RemoteAd("a", DELETED), RemoteAd("c", LIVE)],
    )
    assert found.drifts == ()
    assert found.unsettled == 3


def test_failed_and_rejected_rows_are_audited_by_their_remote_state() -> None:
    """An ERROR or REJECTED row that is live in the mirror and deleted in the API drifted."""
    found = audit(
        rows(row("a", LIVE, Stage.ERROR), row("b", LIVE, Stage.REJECTED)),
        [RemoteAd("a", DELETED), RemoteAd("b", DELETED)],
    )
    assert kinds(found) == [("a", "deleted_outside", True), ("b", "deleted_outside", True)]


def test_a_live_ad_wins_over_a_deleted_one_of_the_same_source_id() -> None:
    """A source_id POSTed again after its delete is listed twice: the live ad counts."""
    listing = [RemoteAd("a", LIVE, remote_id="new"), RemoteAd("a", DELETED, remote_id="old")]
    assert listed_by_id(listing)["a"].remote_id == "new"
    assert listed_by_id(listing[::-1])["a"].remote_id == "new"
    assert audit(rows(row("a", LIVE)), listing).drifts == ()
