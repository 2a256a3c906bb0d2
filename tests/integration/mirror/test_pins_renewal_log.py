"""Pins and the renewals table on SQLite and PostgreSQL: caps held in the database.

Concurrency is real: several processes (each with its own engine) reserve from
the same policy at once, and the caps must hold exactly.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, inspect, select

from syncd.core.renewal_models import Caps, RenewalAnswer, RenewalKind, RenewalOutcome
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import downgrade, upgrade
from syncd.mirror.renewals import SqlRenewalLog
from syncd.mirror.schema import ads
from syncd.mirror.sql import SqlMirror
from tests.integration.mirror.schema_diff import differences

NOW = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)
BUMP = RenewalKind.BUMP


def test_pins_are_kept_per_dealer_and_listed(migrated_engine: Engine) -> None:
    """pin is idempotent, unpin says whether there was a pin, pinned() is per dealer."""
    mirror = SqlMirror(migrated_engine)
    assert mirror.pin("D1", "a", NOW) is True
    assert mirror.pin("D1", "a", NOW + timedelta(hours=1)) is False
    assert mirror.pin("D2", "b", NOW) is True
    assert mirror.pinned("D1") == frozenset({"a"})
    assert [(p.dealer_code, p.source_id, p.pinned_at) for p in mirror.pins(None)] == [
        ("D1", "a", NOW),
        ("D2", "b", NOW),
    ]
    assert mirror.unpin("D1", "a") is True
    assert mirror.unpin("D1", "a") is False
    assert mirror.pinned("D1") == frozenset()


def test_reserve_holds_the_daily_and_monthly_caps(migrated_engine: Engine) -> None:
    """Three a day: the 4th reservation is None; refused ones free their unit; a new day
    has room until the month's cap."""
    log = SqlRenewalLog(migrated_engine)
    caps = Caps(daily=3, monthly=4)
    ids = [log.reserve("D1", f"s{i}", BUMP, NOW, policy="p", caps=caps) for i in range(4)]
    assert ids[3] is None
    assert all(i is not None for i in ids[:3])
    log.settle(ids[0] or 0, RenewalAnswer(RenewalOutcome.REFUSED, 400, "no"))
    assert log.reserve("D1", "s9", BUMP, NOW, policy="p", caps=caps) is not None
    assert log.reserve("D1", "s9", BUMP, NOW, policy="other", caps=caps) is not None
    tomorrow = NOW + timedelta(days=1)
    assert log.reserve("D1", "t1", BUMP, tomorrow, policy="p", caps=caps) is not None
    assert log.reserve("D1", "t2", BUMP, tomorrow, policy="p", caps=caps) is None  # the month's
    history = log.history(NOW - timedelta(days=1))
    assert [r.outcome for r in history][:2] == [RenewalOutcome.REFUSED, RenewalOutcome.RESERVED]
    assert log.latest("D1", 1)[0].source_id == "t1"


def test_caps_are_held_per_dealer(migrated_engine: Engine) -> None:
    """One policy, two dealers of a group: each has the whole cap, the other's calls are
    not counted; a call a stop held back (not_sent) frees its unit, as a refusal does."""
    log = SqlRenewalLog(migrated_engine)
    caps = Caps(daily=2, monthly=10)
    d1 = [log.reserve("D1", f"s{i}", BUMP, NOW, policy="p", caps=caps) for i in range(3)]
    d2 = [log.reserve("D2", f"s{i}", BUMP, NOW, policy="p", caps=caps) for i in range(3)]
    assert [i is not None for i in d1] == [True, True, False]
    assert [i is not None for i in d2] == [True, True, False]
    log.settle(d1[1] or 0, RenewalAnswer(RenewalOutcome.NOT_SENT, None, "not sent: stopping"))
    assert log.reserve("D2", "s9", BUMP, NOW, policy="p", caps=caps) is None
    assert log.reserve("D1", "s1", BUMP, NOW, policy="p", caps=caps) is not None
    outcomes = [(r.dealer_code, r.source_id, r.outcome) for r in log.history(NOW)]
    assert ("D1", "s1", RenewalOutcome.NOT_SENT) in outcomes


def _reserve_many(url: str, n: int, start: multiprocessing.synchronize.Event) -> int:
    engine = make_engine(url)
    try:
        log = SqlRenewalLog(engine)
        start.wait(60)
        got = 0
        for i in range(n):
            if log.reserve("D1", f"x{i}", BUMP, NOW, policy="p", caps=Caps(5, 100)) is not None:
                got += 1
        return got
    finally:
        engine.dispose()


def test_processes_reserving_at_once_never_exceed_the_cap(database_url: str) -> None:
    """Four processes, ten tries each, a cap of 5: exactly 5 reserved in all."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(4) as pool:
            pending = [pool.apply_async(_reserve_many, (database_url, 10, start)) for _ in range(4)]
            start.set()
            got = [p.get(timeout=120) for p in pending]
    assert sum(got) == 5


def test_0005_goes_down_and_up_again_keeping_the_ads_and_renewals(database_url: str) -> None:
    """0005 swaps the caps' index (by policy, dealer and time) and adds ads.absent_since
    (NULL for the ads already there); going down restores the index by policy and time
    and drops the column; every ad and renewal is kept both ways."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        SqlRenewalLog(engine).reserve("D1", "a", BUMP, NOW)
        with engine.begin() as conn:  # only columns 0004 has: a row an older syncd wrote
            conn.execute(
                insert(ads).values(dealer_code="D1", source_id="a", created_at=NOW, updated_at=NOW)
            )
        upgrade(engine, "0005")
        found = inspect(engine)
        names = {i["name"] for i in found.get_indexes("renewals")}
        assert {"ix_renewals_at", "ix_renewals_policy_dealer_code_at"} <= names
        assert "ix_renewals_policy_at" not in names
        [old] = SqlMirror(engine).load("D1").values()
        assert (old.created_at, old.absent_since) == (NOW, None)
        downgrade(engine, "0004")
        found = inspect(engine)
        names = {i["name"] for i in found.get_indexes("renewals")}
        assert "ix_renewals_policy_at" in names
        assert "ix_renewals_policy_dealer_code_at" not in names
        assert "absent_since" not in {c["name"] for c in found.get_columns("ads")}
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ads)).scalar_one() == 1
        upgrade(engine)
        with engine.connect() as conn:  # the table SQLite copied has every index and key
            assert differences(conn) == []
        assert [r.source_id for r in SqlRenewalLog(engine).history(NOW)] == ["a"]
        assert list(SqlMirror(engine).load("D1")) == ["a"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("target", ["0003", "0002"])
def test_0004_goes_down_and_up_again(database_url: str, target: str) -> None:
    """Downgrading drops pins and renewals; upgrading again makes them anew."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        downgrade(engine, target)
        assert not {"pins", "renewals"} & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert {"pins", "renewals"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
