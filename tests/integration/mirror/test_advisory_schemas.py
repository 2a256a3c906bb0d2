"""Installs in separate PostgreSQL schemas of one database: their advisory locks (renewal
caps, migrations) never block each other, while one schema's processes still queue."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, make_url

from syncd.core.renewal_models import Caps, RenewalKind
from syncd.errors import MirrorUnavailable
from syncd.mirror import keys
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import advisory_key
from syncd.mirror.migrate import upgrade
from syncd.mirror.renewals import SqlRenewalLog, policy_key

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CAPS = Caps(daily=10, monthly=100)
WAIT = 60.0  # generous bound on a loaded machine: reached only when the test fails


def impatient(url: str) -> str:
    """The same URL, its sessions giving up a lock wait after 2 s (lock_timeout): a call
    that would block fails at once instead of hanging the test."""
    parsed = make_url(url)
    options = f"{parsed.query['options']} -clock_timeout=2000"
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@contextmanager
def engines(*urls: str) -> Iterator[list[Engine]]:
    """An engine per URL, disposed afterwards."""
    made = [make_engine(url) for url in urls]
    try:
        yield made
    finally:
        for engine in made:
            engine.dispose()


@contextmanager
def holding_the_lock(engine: Engine, call: Callable[[], object]) -> Iterator[None]:
    """``call`` runs on a thread and pauses right after it has taken an advisory
    transaction lock on ``engine``, until the block ends (then it finishes)."""
    held, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "pg_advisory_xact_lock" in statement:
            held.set()
            release.wait(WAIT)

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            failed.append(exc)
            held.set()

    event.listen(engine, "after_cursor_execute", pause)
    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert held.wait(WAIT), "the holder never took its lock"
        assert not failed, failed
        yield
    finally:
        release.set()
        thread.join(WAIT)
        event.remove(engine, "after_cursor_execute", pause)
    assert not failed, failed


def test_renewal_caps_of_two_schemas_do_not_block_each_other_and_one_schemas_do(
    postgres_url: str, other_postgres_url: str
) -> None:
    """While one install reserves a unit of policy ``p`` for D1, another install (its own
    schema) reserves D1's at once; a second process of the first install waits."""
    upgrade(postgres_url)
    upgrade(other_postgres_url)
    urls = (postgres_url, impatient(postgres_url), impatient(other_postgres_url))
    with engines(*urls) as (first, first_again, other):

        def reserve() -> object:
            return SqlRenewalLog(first).reserve(
                "D1", "a", RenewalKind.BUMP, NOW, policy="p", caps=CAPS
            )

        with holding_the_lock(first, reserve):
            other_log = SqlRenewalLog(other)
            assert other_log.reserve("D1", "b", RenewalKind.BUMP, NOW, policy="p", caps=CAPS)
            with pytest.raises(MirrorUnavailable, match="lock timeout"):
                SqlRenewalLog(first_again).reserve(
                    "D1", "c", RenewalKind.BUMP, NOW, policy="p", caps=CAPS
                )


def test_migrations_of_two_schemas_do_not_block_each_other_and_one_schemas_do(
    postgres_url: str, other_postgres_url: str
) -> None:
    """While one install migrates its schema, another install migrates its own at once;
    a second process of the first install waits for the first migration."""
    urls = (postgres_url, impatient(postgres_url), impatient(other_postgres_url))
    with engines(*urls) as (first, first_again, other):
        with holding_the_lock(first, lambda: upgrade(first)):
            upgrade(other)
            with pytest.raises(MirrorUnavailable, match="lock timeout"):
                upgrade(first_again)


def test_every_advisory_key_names_the_schema() -> None:
    """Each kind of key differs between schemas and between kinds, and is signed 64-bit."""
    made = [
        advisory_key("", "a"),
        advisory_key("", "b"),
        policy_key("p", "", "a"),
        policy_key("p", "", "b"),
        keys.advisory_key(b"syncd-migrate:", "a"),
        keys.advisory_key(b"syncd-migrate:", "b"),
    ]
    assert len(set(made)) == len(made)
    assert all(-(2**63) <= k < 2**63 for k in made)
    assert policy_key("p", "D1", "a") == policy_key("p", "D1", "a")
    assert policy_key("p", "D1", "a") != policy_key("p", "D2", "a")
