"""The light reads and the raw-item memos, on FakeMirror, SQLite and PostgreSQL alike;
and migration 0003, up and down, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from syncd.core.models import Accepted, Create, Delete, RawMemo, Stage, Update
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import current_revision, downgrade, head_revision, upgrade
from syncd.mirror.sql import SqlMirror
from syncd.ports import Mirror
from tests.fakes import states_of

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
D = "D1"
BODY = {"category_id": 2048, "title": "Stol", "body": "Bra.", "price": [{"amount": 5}]}


def created(mirror: Mirror, source_id: str, payload_hash: str, dealer: str = D) -> None:
    """An ad the API accepted with payload ``BODY`` under ``payload_hash``."""
    action = Create(dealer, source_id, 2048, BODY, BODY, payload_hash)
    mirror.record_intent(action, T0)
    mirror.record_accepted(action, Accepted(201, "r1"), T0)


def test_states_are_every_ad_without_its_payload(mirror: Mirror) -> None:
    """load_states has what a plan reads of load's ads (not the payload), this dealer's only."""
    created(mirror, "a", "h1")
    created(mirror, "b", "h2")
    created(mirror, "x", "h3", dealer="D2")
    states = mirror.load_states(D)
    full = mirror.load(D)
    assert set(states) == {"a", "b"}
    for source_id, ad in states.items():
        assert ad.payload is None
        assert ad.memo is None
        assert ad == states_of(full[source_id])
        assert ad.payload_hash == full[source_id].payload_hash is not None


def test_payloads_are_read_for_the_ids_asked_only(mirror: Mirror) -> None:
    """payloads() returns the accepted payloads of the ids asked that have one."""
    created(mirror, "a", "h1")
    created(mirror, "b", "h2")
    mirror.record_intent(Create(D, "new", 2048, BODY, BODY, "h9"), T0)  # never accepted
    assert mirror.payloads(D, ["a", "new", "missing"]) == {"a": BODY}
    assert mirror.payloads(D, []) == {}


def test_payloads_are_read_in_batches_of_keys(mirror: Mirror) -> None:
    """Asking for more ids than one query holds still answers every one."""
    for i in range(2_500):
        mirror.record_intent(Delete(D, f"s{i:05}"), T0)
    created(mirror, "s02499", "h")
    found = mirror.payloads(D, (f"s{i:05}" for i in range(2_500)))
    assert found == {"s02499": BODY}


def test_a_memo_is_kept_only_for_the_payload_the_ad_holds(mirror: Mirror) -> None:
    """remember() records a memo where its payload hash is the ad's accepted one, and
    the states carry it; a memo for another payload, or an ad without a row, is dropped."""
    created(mirror, "a", "h1")
    created(mirror, "b", "h2")
    memos = {
        "a": RawMemo("raw-a", "1:v4:x", "h1"),
        "b": RawMemo("raw-b", "1:v4:x", "not-h2"),
        "ghost": RawMemo("raw-g", "1:v4:x", "h1"),
    }
    assert mirror.remember(D, memos) == 1
    states = mirror.load_states(D)
    assert states["a"].memo == memos["a"]
    assert states["b"].memo is None
    assert "ghost" not in states


def test_a_later_accepted_payload_leaves_the_memo_stale_not_true(mirror: Mirror) -> None:
    """Once the API takes another payload, the memo's payload hash no longer matches it."""
    created(mirror, "a", "h1")
    mirror.remember(D, {"a": RawMemo("raw-a", "r", "h1")})
    update = Update(D, "a", 2048, {"title": "Bord"}, {**BODY, "title": "Bord"}, "h2")
    mirror.record_intent(update, T0)
    mirror.record_accepted(update, Accepted(200, "r2"), T0)
    [ad] = mirror.load_states(D).values()
    assert ad.memo is not None
    assert (ad.memo.payload_hash, ad.payload_hash, ad.stage) == ("h1", "h2", Stage.SENT)


def test_0003_adds_the_memo_columns_and_index_and_goes_down_again(database_url: str) -> None:
    """Rows from before 0003 read back with no memo; going down drops only what 0003 added."""
    engine: Engine = make_engine(database_url)
    try:
        upgrade(engine, "0002")
        mirror = SqlMirror(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO ads (dealer_code, source_id, payload, payload_hash, "
                    "created_at, updated_at) VALUES ('D1', 'old', '{}', 'h', :t, :t)"
                ),
                {"t": T0.replace(tzinfo=None)},
            )
        upgrade(engine, "0003")
        assert current_revision(engine) == "0003"
        indexes = {i["name"] for i in inspect(engine).get_indexes("ads")}
        assert "ix_ads_dealer_code_stage_source_id" in indexes
        assert "ix_ads_dealer_code_stage" not in indexes
        assert mirror.load_states(D)["old"].memo is None
        assert mirror.remember(D, {"old": RawMemo("raw", "r", "h")}) == 1
        downgrade(engine, "0002")
        found = inspect(engine)
        columns = {c["name"] for c in found.get_columns("ads")}
        assert not columns & {"raw_hash", "raw_rules", "raw_payload_hash"}
        indexes = {i["name"] for i in found.get_indexes("ads")}
        assert "ix_ads_dealer_code_stage" in indexes
        assert "ix_ads_dealer_code_stage_source_id" not in indexes
        assert "uq_ads_dealer_code_source_id" in {
            u["name"] for u in found.get_unique_constraints("ads")
        }
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ads")).scalar_one() == 1
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert mirror.load_states(D)["old"].memo is None  # the memo went with the columns
    finally:
        engine.dispose()
