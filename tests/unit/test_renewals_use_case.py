"""The renewal use case on fakes: each paid call reserved first, recorded after, caps held."""

from __future__ import annotations

import dataclasses
import signal
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from syncd.cli.stopping import GracefulStop
from syncd.core.models import MirrorAd, RemoteState, RunOutcome, Stage
from syncd.core.renewal_models import (
    Caps,
    RenewalAnswer,
    RenewalKind,
    RenewalOutcome,
    RenewalPolicy,
)
from syncd.errors import ApiAuthError, Stopped
from syncd.renewals import (
    PolicyReport,
    RenewalDeps,
    renew_by_hand,
    report_json,
    report_line,
    run_policies,
    run_policy,
)
from tests.fakes import FakeMirror, FakeRenewalLog, FakeRenewer, FixedClock

pytestmark = pytest.mark.anyio
POLICY = RenewalPolicy("p", timedelta(days=7), Caps(3, 10), categories=frozenset({2048}))


def deps(n: int = 5) -> tuple[RenewalDeps, FakeRenewalLog, FakeRenewer]:
    """Fakes holding ``n`` live, published sofas of dealer D1."""
    mirror = FakeMirror()
    for i in range(n):
        mirror.ads[("D1", f"s{i}")] = MirrorAd(
            "D1",
            f"s{i}",
            category_id=2048,
            remote_state=RemoteState.CREATED,
            stage=Stage.DONE,
            blocket_ad_id=str(i),
        )
    clock = FixedClock()
    # A run of this version has recorded the absent marks (none are absent).
    run_id = mirror.start_run("D1", None, clock.now())
    mirror.finish_run(run_id, RunOutcome.SUCCESS, {}, None, clock.now(), absent_recorded=True)
    log, renewer = FakeRenewalLog(), FakeRenewer()
    return RenewalDeps(mirror, log, renewer, clock), log, renewer


async def test_a_policy_bumps_up_to_its_cap_and_records_each_call() -> None:
    """Cap 3: three calls, three accepted rows; a second pass sends nothing."""
    d, log, renewer = deps()
    report = await run_policy(d, POLICY, "D1", api_version=4)
    assert [c[1] for c in renewer.calls] == ["s0", "s1", "s2"]
    assert (report.counts, report.capped, report.due) == ({"accepted": 3}, 2, 5)
    assert [r.outcome for r in log.rows] == [RenewalOutcome.ACCEPTED] * 3
    again = await run_policy(d, POLICY, "D1", api_version=4)
    assert (again.counts, again.capped) == ({}, 2)
    assert len(renewer.calls) == 3


async def test_a_refused_call_frees_its_unit_and_a_lost_answer_keeps_it() -> None:
    """REFUSED costs nothing (next pass uses the unit); UNKNOWN counts against the cap."""
    d, log, renewer = deps()
    renewer.answers["s0"] = [RenewalAnswer(RenewalOutcome.REFUSED, 400, "no")]
    renewer.answers["s1"] = [RenewalAnswer(RenewalOutcome.UNKNOWN, 504, "timed out")]
    report = await run_policy(d, POLICY, "D1", api_version=4)
    assert report.counts == {"refused": 1, "unknown": 1, "accepted": 1}
    assert report.problems == [("s0", "no")]
    assert len(log.charged()) == 2
    nxt = await run_policy(d, POLICY, "D1", api_version=4)
    # One unit was left; s0, refused, is still due but waits behind the others (s3, s4).
    assert nxt.renewed == ["s3"]


async def test_a_refused_token_is_recorded_as_refused_and_stops_the_pass() -> None:
    """ApiAuthError: the reserved row says refused (nothing charged) and the error goes up."""
    d, log, renewer = deps()
    renewer.answers["s0"] = [ApiAuthError("token refused")]
    with pytest.raises(ApiAuthError):
        await run_policy(d, POLICY, "D1", api_version=4)
    assert [(r.source_id, r.outcome) for r in log.rows] == [("s0", RenewalOutcome.REFUSED)]


async def test_policies_of_other_dealers_do_nothing_here() -> None:
    """A policy for D2 only is not run for D1."""
    d, _, renewer = deps()
    other = RenewalPolicy("q", timedelta(days=1), Caps(5, 5), frozenset({"D2"}), frozenset({2048}))
    assert await run_policies(d, [other], "D1", api_version=4) == []
    assert renewer.calls == []


async def test_a_bump_by_hand_is_recorded_without_a_cap() -> None:
    """renew_by_hand: no policy, no cap; the row and the answer come back."""
    d, log, renewer = deps(0)
    done, answer = await renew_by_hand(
        d, "D1", "car-1", RenewalKind.POLE_POSITION, exclude_bytbil=True
    )
    assert (done.outcome, done.policy, answer.status) == (RenewalOutcome.ACCEPTED, None, 200)
    assert renewer.calls == [("D1", "car-1", RenewalKind.POLE_POSITION, True, False)]
    assert log.rows[0].kind is RenewalKind.POLE_POSITION


class StopAfterFirst(FakeRenewer):
    """Answers the first call, then a SIGTERM comes (as run-once's handler takes it)."""

    def __init__(self, stop: GracefulStop) -> None:
        super().__init__()
        self.stop = stop

    async def renew(self, *args: object, **kwargs: bool) -> RenewalAnswer:
        answer = await super().renew(*args, **kwargs)  # type: ignore[arg-type]
        self.stop.request(signal.SIGTERM)
        return answer


async def test_a_renewal_a_stop_held_back_is_recorded_not_sent_and_goes_next_time() -> None:
    """The stop's gate refuses the second call before it is sent: its row says not_sent
    (not refused: the API said nothing), it costs no unit, and the next pass sends it
    first (a refusal would have put it behind the others)."""
    d, log, _ = deps()
    stop = GracefulStop()
    inner = StopAfterFirst(stop)
    gated = RenewalDeps(d.mirror, d.log, stop.renewer(inner), d.clock)
    with pytest.raises(Stopped):
        await run_policy(gated, POLICY, "D1", api_version=4)
    assert [c[1] for c in inner.calls] == ["s0"]
    assert [(r.source_id, r.outcome) for r in log.rows] == [
        ("s0", RenewalOutcome.ACCEPTED),
        ("s1", RenewalOutcome.NOT_SENT),
    ]
    assert len(log.charged()) == 1
    nxt = await run_policy(d, POLICY, "D1", api_version=4)
    assert nxt.renewed == ["s1", "s2"]  # the two units left today


def test_a_policy_reports_problems_are_masked_and_its_ids_kept() -> None:
    """`run-once --json` shows the API's refusal of a renewal without e-mail or phone (as
    `status` shows a renewal's message); the source_id and dealer code stay whole."""
    report = PolicyReport(
        "bump", "00123456", problems=[("0709876543", "refused: ask kalle@example.se")]
    )
    doc = report_json(report)
    assert doc["problems"] == [
        {"source_id": "0709876543", "message": "refused: ask [e-mail hidden]"}
    ]
    assert doc["dealer_code"] == "00123456"


async def test_a_policy_skips_a_dealer_no_run_has_recorded_the_absent_marks_for() -> None:
    """Right after the upgrade every absent mark is NULL: the policy sends nothing for
    the dealer (no row reserved), and its report and log say why."""
    mirror = FakeMirror()
    mirror.ads[("D1", "s0")] = MirrorAd(
        "D1", "s0", category_id=2048, remote_state=RemoteState.CREATED, stage=Stage.DONE,
        blocket_ad_id="0",
    )  # fmt: skip
    log, renewer = FakeRenewalLog(), FakeRenewer()
    old_run = mirror.start_run("D1", None, FixedClock().now())  # an older syncd's run
    mirror.finish_run(old_run, RunOutcome.SUCCESS, {}, None, FixedClock().now())
    d = RenewalDeps(mirror, log, renewer, FixedClock())
    with capture_logs() as logs:
        report = await run_policy(d, POLICY, "D1", api_version=4)
    assert (renewer.calls, log.rows) == ([], [])
    assert report.skipped is not None
    assert "run a sync first" in report.skipped
    assert "skipped: no sync of this dealer" in report_line(report)
    assert report_json(report)["skipped"] == report.skipped
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["renewal_policy_skipped"]


async def test_a_policy_skips_a_dealer_whose_marks_are_older_than_its_bound() -> None:
    """The dealer's last run that recorded the marks started more than ``max_marks_age``
    (6 h) ago, and its syncs since failed before their plan: nothing is sent (no row
    reserved), the report and the log say why; a longer bound trusts them, and the next
    sync that records them ends the skip."""
    d, log, renewer = deps()
    recorded = d.clock.now()
    later = FixedClock(recorded + timedelta(hours=6, seconds=1))
    d = dataclasses.replace(d, clock=later)
    failed = d.mirror.start_run("D1", None, later.now())  # the feed unreadable: no marks
    d.mirror.finish_run(failed, RunOutcome.FAILED, {}, "feed unreadable", later.now())
    with capture_logs() as logs:
        report = await run_policy(d, POLICY, "D1", api_version=4)
    assert (renewer.calls, log.rows) == ([], [])
    assert report.skipped is not None
    assert report.skipped.startswith("the absent marks are 6h old")
    assert "skipped: the absent marks are 6h old" in report_line(report)
    assert report_json(report)["skipped"] == report.skipped
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == "renewal_policy_skipped"
    assert (warning["reason"], warning["marks_recorded_at"]) == (
        report.skipped,
        recorded.isoformat(),
    )
    trusting = dataclasses.replace(POLICY, max_marks_age=timedelta(days=1))
    assert (await run_policy(d, trusting, "D1", api_version=4)).counts == {"accepted": 3}
    fresh = d.mirror.start_run("D1", None, later.now())
    d.mirror.finish_run(fresh, RunOutcome.SUCCESS, {}, None, later.now(), absent_recorded=True)
    again = await run_policy(d, POLICY, "D1", api_version=4)
    assert again.skipped is None
    assert again.due == 2  # the three bumped just now are not due
