"""Adapter (mirror): the mirror's tables (SQLAlchemy Core), the target the migrations must produce.

The database schema is made only by the Alembic migrations in
``syncd/migrations``; this metadata describes what they build, and a test
checks that both agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names are fixed so that migrations can refer to them by name."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones: the value is
    stored as naive UTC text (which sorts correctly) and UTC is re-attached on
    read. Naive datetimes are refused: syncd's clock is always aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (syncd stores aware UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Assumption: short identifiers (dealer codes, source ids, enum values, ids the
# API returns) fit in an unbounded VARCHAR; free text (messages, JSON) is TEXT.
# JSON is stored as text, encoded and decoded with orjson on both backends:
# the same bytes everywhere, and faster to load than a driver-decoded JSON type.

ads = Table(
    "ads",
    metadata,
    Column("id", Integer, primary_key=True),
    # "" is the token's own dealer (no dealer_code sent to the API).
    Column("dealer_code", String, nullable=False),
    Column("source_id", String, nullable=False),
    Column("category_id", Integer),
    Column("payload", Text),  # JSON: the last payload the API accepted
    Column("payload_hash", String),
    Column("remote_state", String(16)),  # RemoteState
    Column("last_op", String(16)),  # Op
    Column("stage", String(16)),  # Stage
    Column("pending_hash", String),
    Column("message", Text),
    Column("remote_id", String),
    Column("blocket_ad_id", String),
    Column("blocket_store_id", String),
    Column("offer_id", String),
    Column("request_id", String),
    Column("sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The raw feed item the accepted payload was validated from (its hash, the rules'
    # version, and the payload hash it gave): an unchanged item is not validated again.
    Column("raw_hash", String),
    Column("raw_rules", String),
    Column("raw_payload_hash", String),
    # Set while the latest run's plan has no valid feed item for the ad (it deletes it, a
    # guard perhaps holding the delete back; a pin keeps it; or its item is invalid),
    # since the first such run; renewals skip it (0005; the name is from when only
    # absent ads were marked).
    Column("absent_since", UTCDateTime),
    # The accepted payload, hash and category from before the latest accepted write
    # (0008): a write the API then fails to apply (its update action in error) puts the
    # row back at them, what the API holds (core.reconcile: Outcome.unapplied).
    Column("prior_payload", Text),
    Column("prior_hash", String),
    Column("prior_category_id", Integer),
    UniqueConstraint("dealer_code", "source_id"),
    Index(None, "dealer_code", "stage", "source_id"),
    # Not here: the partial index of the marked ads, MIGRATIONS_ONLY (0006 creates it).
)

MIGRATIONS_ONLY = frozenset({"ix_ads_dealer_code_absent", "ix_runs_dealer_code_open"})
"""Indexes the migrations create that this metadata leaves out (autogenerate's comparison
skips them). ``ix_ads_dealer_code_absent`` (0006: ``ads(dealer_code) WHERE absent_since IS
NOT NULL``, the marked ads only, so a run reads its dealer's marks without the whole
stock) and ``ix_runs_dealer_code_open`` (0007: ``runs(dealer_code) WHERE finished_at IS
NULL``, the open runs only, so ``start_run`` closes abandoned runs without reading the
dealer's history) need a dialect's ``where=`` argument, and SQLAlchemy imports a
dialect's package to check one when the Index is built: ``postgresql_where`` here
loaded PostgreSQL's dialect with every driver's (asyncpg's, ...) into every SQLite run's
start-up. syncd never creates its tables from this metadata (only Alembic does), so
nothing is lost."""

action_logs = Table(
    "action_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ad_id", Integer, ForeignKey("ads.id", ondelete="CASCADE"), nullable=False),
    # "" stands for "no request id": NULLs never compare equal, so a NULL would
    # defeat the unique constraint that stores each entry once.
    Column("request_id", String, nullable=False),
    Column("action", String, nullable=False),
    Column("state", String(16), nullable=False),  # LogState
    Column("message", Text),
    Column("created", UTCDateTime, nullable=False),  # the API's time
    Column("recorded_at", UTCDateTime, nullable=False),  # ours
    UniqueConstraint("ad_id", "request_id", "action", "state", "created"),
    Index(None, "created"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dealer_code", String, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("feed_path", Text),
    Column("feed_checksum", String),
    Column("feed_size", BigInteger),
    Column("feed_modified_at", UTCDateTime),
    Column("outcome", String(16)),  # a RunOutcome; NULL while running
    Column("counts", Text),  # JSON object {kind: count}
    Column("message", Text),
    # JSON {"items": [{source_id, record, field, reason}], "omitted": n}; NULL: none.
    Column("invalid", Text),
    # True: the run recorded the ads' absent marks from its plan; NULL: it did not (a run
    # before 0006, or one stopped before its plan). Renewals wait for one (0006).
    Column("absent_recorded", Boolean),
    Index(None, "dealer_code", "started_at"),
    # Not here: the partial index of the open runs, MIGRATIONS_ONLY (0007 creates it).
)

pins = Table(
    "pins",
    metadata,
    Column("dealer_code", String, primary_key=True),
    Column("source_id", String, primary_key=True),
    Column("pinned_at", UTCDateTime, nullable=False),
)

renewals = Table(
    "renewals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dealer_code", String, nullable=False),
    Column("source_id", String, nullable=False),
    Column("kind", String(16), nullable=False),  # RenewalKind
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),  # RenewalOutcome
    Column("policy", String),  # the [[renewal]] name; NULL: asked for by hand
    Column("message", Text),
    Column("request_id", String),
    Index(None, "at"),
    Index(None, "policy", "dealer_code", "at"),  # the caps: per policy and dealer (0005)
)
