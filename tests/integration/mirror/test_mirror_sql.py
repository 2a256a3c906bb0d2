"""What only the SQL mirror has: speed, commits, connection settings and error translation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import Engine, insert, text

from syncd.core.models import Create, RemoteState, Stage
from syncd.errors import ConfigError, MirrorUnavailable
from syncd.mirror.engine import make_engine
from syncd.mirror.migrate import upgrade
from syncd.mirror.schema import ads
from syncd.mirror.sql import SqlMirror

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAYLOAD = {
    "title": "Volvo V70 2.4",
    "body": "Välskött bil med servicebok. " * 8,
    "price": [{"type": "list", "amount": 129900}],
    "image_urls": [f"https://img.example/{n}.jpg" for n in range(10)],
    "location": {"zipcode": "11122"},
    "category_fields": {"registration_number": "ABC123", "mileage": 12000},
}


def _fill(engine: Engine, dealer_code: str, n: int) -> None:
    text_payload = orjson.dumps(PAYLOAD).decode()
    rows = [
        {
            "dealer_code": dealer_code,
            "source_id": f"s{i:06}",
            "category_id": 1020,
            "payload": text_payload,
            "payload_hash": f"h{i}",
            "remote_state": "created",
            "last_op": "create",
            "stage": "done",
            "pending_hash": f"h{i}",
            "remote_id": f"u{i}",
            "blocket_ad_id": str(i),
            "request_id": f"r{i}",
            "sent_at": T0,
            "created_at": T0,
            "updated_at": T0,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(ads), rows)


def test_load_reads_every_row_of_its_dealer_only(migrated_engine: Engine) -> None:
    """load() returns every ad of the dealer, decoded, and none of another dealer's.

    Its speed is shown by bench/mirror.py, not asserted here.
    """
    _fill(migrated_engine, "D1", 5_000)
    _fill(migrated_engine, "D2", 100)
    loaded = SqlMirror(migrated_engine).load("D1")
    assert len(loaded) == 5_000
    ad = loaded["s001234"]
    assert (ad.stage, ad.remote_state, ad.sent_at) == (Stage.DONE, RemoteState.CREATED, T0)
    assert ad.payload == PAYLOAD


def test_each_call_is_committed_before_it_returns(database_url: str) -> None:
    """What one engine wrote is visible at once to a second engine (another process)."""
    upgrade(database_url)
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        payload = {"title": "x"}
        action = Create("D1", "s1", 1020, body=payload, payload=payload, payload_hash="h")
        SqlMirror(first).record_intent(action, T0)
        seen = SqlMirror(second).get("D1", "s1")
        assert seen is not None
        assert seen.stage is Stage.INTENT
    finally:
        first.dispose()
        second.dispose()


def test_concurrent_sqlite_writers_wait_instead_of_failing(sqlite_url: str) -> None:
    """Two writers on one SQLite file take turns (busy timeout, BEGIN IMMEDIATE)."""
    upgrade(sqlite_url)
    engines = [make_engine(sqlite_url) for _ in range(2)]
    errors: list[BaseException] = []

    def write(engine: Engine, dealer: str) -> None:
        mirror = SqlMirror(engine)
        try:
            for n in range(40):
                payload = {"n": n}
                action = Create(
                    dealer, f"s{n}", 1020, body=payload, payload=payload, payload_hash=str(n)
                )
                mirror.record_intent(action, T0 + timedelta(seconds=n))
                mirror.load(dealer)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(e, f"D{i}")) for i, e in enumerate(engines)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert len(SqlMirror(engines[0]).load("D1")) == 40
    finally:
        for e in engines:
            e.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    """Every SQLite connection runs in WAL mode with foreign keys and a busy timeout."""
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        engine.dispose()


def test_a_missing_schema_is_mirror_unavailable(database_url: str) -> None:
    """Database errors leave the adapter as MirrorUnavailable, with the driver's reason."""
    engine = make_engine(database_url)
    try:
        with pytest.raises(MirrorUnavailable, match="loading the mirror failed") as info:
            SqlMirror(engine).load("D1")
        assert "ads" in str(info.value)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_unreachable_server_is_mirror_unavailable() -> None:
    """A PostgreSQL server that does not answer gives MirrorUnavailable without the password."""
    engine = make_engine("postgresql+psycopg://syncd:s3cret@127.0.0.1:1/nodb?connect_timeout=2")
    try:
        with pytest.raises(MirrorUnavailable) as info:
            SqlMirror(engine).runs(None, 5)
        assert "s3cret" not in str(info.value)
    finally:
        engine.dispose()


def test_bad_urls_are_config_errors() -> None:
    """A URL that is not one, or names an unknown driver, is a ConfigError without the password."""
    with pytest.raises(ConfigError, match=r"database\.url"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match=r"database\.url") as info:
        make_engine("nosuchdb+driver://user:s3cret@host/db")
    assert "s3cret" not in str(info.value)


def test_timestamps_are_stored_as_utc_on_sqlite(sqlite_url: str) -> None:
    """SQLite holds naive UTC text, which sorts in time order; reads come back aware."""
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        mirror = SqlMirror(engine)
        mirror.start_run("D1", None, datetime(2026, 11, 25, 14, 0, tzinfo=UTC))
        with engine.connect() as conn:
            raw = conn.execute(text("SELECT started_at FROM runs")).scalar_one()
        assert raw.startswith("2026-11-25 14:00:00")
        assert mirror.runs("D1", 1)[0].started_at.tzinfo is UTC
    finally:
        engine.dispose()
