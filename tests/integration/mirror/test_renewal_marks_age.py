"""A renewal policy on the real mirror (a SQLite file, PostgreSQL): it skips a dealer whose
absent marks are older than its bound, and reads the ads without their payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from structlog.testing import capture_logs

from syncd.core.models import Accepted, Create, Outcome, RemoteState, RunOutcome, Stage
from syncd.core.renewal_models import Caps, RenewalPolicy
from syncd.mirror import states
from syncd.mirror.renewals import SqlRenewalLog
from syncd.mirror.sql import SqlMirror
from syncd.renewals import RenewalDeps, run_policy
from tests.fakes import FakeRenewer, FixedClock

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 12, 15, 8, 0, tzinfo=UTC)
D = "D1"
POLICY = RenewalPolicy("weekly", timedelta(days=7), Caps(10, 100), categories=frozenset({1020}))


def _stock(mirror: SqlMirror) -> None:
    """Three live, published cars created a month ago, one hidden, one a Saab."""
    payloads = {
        "a": {"title": "Volvo", "category_fields": {"brand": "volvo"}},
        "b": {"title": "Volvo", "category_fields": {"brand": "volvo"}, "visible": False},
        "c": {"title": "Saab", "category_fields": {"brand": "saab"}},
    }
    for source_id, payload in payloads.items():
        action = Create(D, source_id, 1020, body=payload, payload=payload, payload_hash=source_id)
        mirror.record_intent(action, T0 - timedelta(days=30))
        mirror.record_accepted(action, Accepted(201, f"r-{source_id}"), T0 - timedelta(days=30))
        done = Outcome(D, source_id, Stage.DONE, RemoteState.CREATED, blocket_ad_id=source_id)
        mirror.record_outcome(done, T0 - timedelta(days=30))


def _run(mirror: SqlMirror, started: datetime, *, recorded: bool) -> None:
    """A finished run of the dealer (``recorded``: it got as far as recording the marks)."""
    outcome = RunOutcome.SUCCESS if recorded else RunOutcome.FAILED
    run_id = mirror.start_run(D, None, started)
    mirror.finish_run(
        run_id, outcome, {}, None, started + timedelta(minutes=1), absent_recorded=recorded
    )


async def test_a_policy_skips_a_dealer_whose_syncs_have_failed_past_its_bound(
    migrated_engine: Engine,
) -> None:
    """The last run that recorded the marks started 6 h 5 min ago, the syncs since failed
    before their plan: nothing is sent and nothing is reserved; a sync that records them
    again ends the skip (the hidden ad and the one the filter leaves out stay unbumped)."""
    mirror, log, renewer = SqlMirror(migrated_engine), SqlRenewalLog(migrated_engine), FakeRenewer()
    _stock(mirror)
    _run(mirror, T0, recorded=True)
    for hours in range(1, 7):
        _run(mirror, T0 + timedelta(hours=hours), recorded=False)
    clock = FixedClock(T0 + timedelta(hours=6, minutes=5))
    deps = RenewalDeps(mirror, log, renewer, clock)
    with capture_logs() as logs:
        report = await run_policy(deps, POLICY, D, api_version=4)
    assert (renewer.calls, log.history(T0 - timedelta(days=60))) == ([], [])
    assert report.skipped is not None
    assert report.skipped.startswith("the absent marks are 6h 5m old")
    [skipped] = [e for e in logs if e["event"] == "renewal_policy_skipped"]
    assert skipped["marks_recorded_at"] == T0.isoformat()

    _run(mirror, clock.now(), recorded=True)
    volvos = RenewalPolicy(
        "volvos",
        timedelta(days=7),
        Caps(10, 100),
        filter={"category_fields.brand": ("volvo",)},
    )
    assert (await run_policy(deps, POLICY, D, api_version=4)).renewed == ["a", "c"]
    assert (await run_policy(deps, volvos, D, api_version=4)).renewed == []  # a: bumped now
    clock.current += timedelta(days=8)
    _run(mirror, clock.now(), recorded=True)
    assert (await run_policy(deps, volvos, D, api_version=4)).renewed == ["a"]


def test_a_policy_without_a_filter_reads_no_payload_but_the_hidden_ones(
    migrated_engine: Engine,
) -> None:
    """The payloads the database sends for a policy without a filter: only those whose
    text may say ``visible: false`` (here ``b``'s), never the whole stock's; with a filter,
    every one (its paths may be anywhere)."""
    mirror = SqlMirror(migrated_engine)
    _stock(mirror)
    dialect = migrated_engine.dialect.name
    with migrated_engine.connect() as conn:
        bare = conn.execute(states.renewal_query(dialect, D, ())).all()
        filtered = conn.execute(states.renewal_query(dialect, D, ("category_fields.brand",))).all()
    assert {row[0]: row[-1] is not None for row in bare} == {"a": False, "b": True, "c": False}
    assert {row[0]: row[-1] is not None for row in filtered} == {"a": True, "b": True, "c": True}
    assert {a.source_id for a in mirror.renewal_ads(D, ()) if a.hidden} == {"b"}
