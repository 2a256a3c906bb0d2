"""FakeMirror is a faithful model of SqlMirror: random call sequences leave both alike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine

from syncd.core.models import (
    Accepted,
    Action,
    Create,
    Delete,
    LogEntry,
    LogState,
    Outcome,
    Rejected,
    RemoteAd,
    RemoteState,
    Stage,
    Update,
)
from syncd.mirror.sql import SqlMirror
from tests.fakes import FakeMirror

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SOURCES = st.sampled_from(["a", "b", "c"])
IDS = st.none() | st.sampled_from(["1", "2"])
LOGS = st.lists(
    st.builds(
        LogEntry,
        action=st.sampled_from(["create", "publish", "delete"]),
        state=st.sampled_from(list(LogState)),
        created=st.integers(0, 3).map(lambda s: T0 + timedelta(seconds=s)),
        request_id=st.none() | st.sampled_from(["r1", "r2"]),
        message=st.none() | st.just("m"),
    ),
    max_size=4,
)


def _action(dealer: str, source_id: str, kind: str, version: int) -> Action:
    payload = {"title": f"v{version}", "images": ("x", "y")[:version]}
    if kind == "create":
        return Create(dealer, source_id, 1020, payload, payload, f"h{version}")
    if kind == "update":
        return Update(dealer, source_id, 1020, payload, payload, f"h{version}")
    return Delete(dealer, source_id)


# Bounded by its count of examples and steps; the timeout is a safety net only, large
# enough for PostgreSQL round trips on a loaded 2-core machine (120 s was not).
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fake_and_sql_mirror_agree(migrated_engine: Engine) -> None:
    """Any sequence of port calls leaves FakeMirror and SqlMirror with the same answers."""
    sql = SqlMirror(migrated_engine)
    dealers = (f"D{n}" for n in itertools.count())  # a fresh dealer isolates each example

    class Model(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.dealer = next(dealers)
            self.fake = FakeMirror()
            self.tick = 0

        def now(self) -> datetime:
            self.tick += 1
            return T0 + timedelta(seconds=self.tick)

        def both(self, method: str, *args: object) -> None:
            now = self.now()
            getattr(self.fake, method)(*args, now)
            getattr(sql, method)(*args, now)

        @rule(
            source=SOURCES,
            kind=st.sampled_from(["create", "update", "delete"]),
            version=st.integers(0, 2),
        )
        def intent(self, source: str, kind: str, version: int) -> None:
            self.both("record_intent", _action(self.dealer, source, kind, version))

        @rule(
            source=SOURCES,
            kind=st.sampled_from(["create", "update", "delete"]),
            version=st.integers(0, 2),
            request_id=IDS,
            remote_id=IDS,
        )
        def accepted(
            self,
            source: str,
            kind: str,
            version: int,
            request_id: str | None,
            remote_id: str | None,
        ) -> None:
            remote = RemoteAd(source, RemoteState.CREATED, remote_id=remote_id)
            result = Accepted(200, request_id, remote)
            self.both("record_accepted", _action(self.dealer, source, kind, version), result)

        @rule(source=SOURCES, version=st.integers(0, 2))
        def rejected(self, source: str, version: int) -> None:
            action = _action(self.dealer, source, "update", version)
            self.both("record_rejected", action, Rejected(400, ("no",)))

        @rule(
            source=SOURCES,
            stage=st.sampled_from(list(Stage)),
            state=st.none() | st.sampled_from(list(RemoteState)),
            blocket_ad_id=IDS,
            message=st.none() | st.just("why"),
            logs=LOGS,
        )
        def outcome(
            self,
            source: str,
            stage: Stage,
            state: RemoteState | None,
            blocket_ad_id: str | None,
            message: str | None,
            logs: list[LogEntry],
        ) -> None:
            self.both(
                "record_outcome",
                Outcome(
                    self.dealer,
                    source,
                    stage,
                    state,
                    message,
                    blocket_ad_id=blocket_ad_id,
                    logs=tuple(logs),
                ),
            )

        @rule(source=SOURCES, state=st.none() | st.sampled_from(list(RemoteState)), offer=IDS)
        def forget(self, source: str, state: RemoteState | None, offer: str | None) -> None:
            remote = None if state is None else RemoteAd(source, state, offer_id=offer)
            self.both("forget_intent", self.dealer, source, remote)

        @invariant()
        def same_answers(self) -> None:
            d = self.dealer
            assert sql.load(d) == self.fake.load(d)
            assert sql.in_flight(d) == self.fake.in_flight(d)
            assert sql.intents(d) == self.fake.intents(d)
            assert sql.counts_by_state(d) == self.fake.counts_by_state(d)
            assert sql.failing(d, 10) == self.fake.failing(d, 10)
            for source in ("a", "b", "c"):
                assert sql.action_logs(d, source) == self.fake.action_logs(d, source)

    # Fewer examples on PostgreSQL, where each call is a network round trip.
    examples = 100 if migrated_engine.dialect.name == "sqlite" else 40
    run_state_machine_as_test(
        Model, settings=settings(max_examples=examples, stateful_step_count=12, deadline=None)
    )
