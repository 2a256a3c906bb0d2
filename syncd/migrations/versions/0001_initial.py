"""Adapter (mirror): the mirror's first schema: ads, their action logs, and runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Migrations spell their types out (sa.DateTime(timezone=True), not the
# application's UTCDateTime) so that later changes to schema.py never change
# what an old migration does.

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ads, action_logs and runs."""
    op.create_table(
        "ads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_code", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("payload_hash", sa.String(), nullable=True),
        sa.Column("remote_state", sa.String(16), nullable=True),
        sa.Column("last_op", sa.String(16), nullable=True),
        sa.Column("stage", sa.String(16), nullable=True),
        sa.Column("pending_hash", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("blocket_ad_id", sa.String(), nullable=True),
        sa.Column("blocket_store_id", sa.String(), nullable=True),
        sa.Column("offer_id", sa.String(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ads"),
        sa.UniqueConstraint("dealer_code", "source_id", name="uq_ads_dealer_code_source_id"),
    )
    op.create_index("ix_ads_dealer_code_stage", "ads", ["dealer_code", "stage"])
    op.create_table(
        "action_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ad_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_action_logs"),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["ads.id"], name="fk_action_logs_ad_id_ads", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "ad_id",
            "request_id",
            "action",
            "state",
            "created",
            name="uq_action_logs_ad_id_request_id_action_state_created",
        ),
    )
    op.create_index("ix_action_logs_created", "action_logs", ["created"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_code", sa.String(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("feed_path", sa.Text(), nullable=True),
        sa.Column("feed_checksum", sa.String(), nullable=True),
        sa.Column("feed_size", sa.BigInteger(), nullable=True),
        sa.Column("feed_modified_at", TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_dealer_code_started_at", "runs", ["dealer_code", "started_at"])


def downgrade() -> None:
    """Drop every table of the mirror (all data is lost)."""
    op.drop_index("ix_runs_dealer_code_started_at", table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_action_logs_created", table_name="action_logs")
    op.drop_table("action_logs")
    op.drop_index("ix_ads_dealer_code_stage", table_name="ads")
    op.drop_table("ads")
