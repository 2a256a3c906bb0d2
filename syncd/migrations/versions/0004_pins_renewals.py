"""Adapter (mirror): pinned ads (``syncd pin``) and the renewals table (bump, pole position).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Chained after 0003 (the raw-item memos), which another branch added meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create pins and renewals (both empty: nothing is pinned, nothing was renewed)."""
    op.create_table(
        "pins",
        sa.Column("dealer_code", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("pinned_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("dealer_code", "source_id", name="pk_pins"),
    )
    op.create_table(
        "renewals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_code", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("policy", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_renewals"),
    )
    op.create_index("ix_renewals_at", "renewals", ["at"])
    op.create_index("ix_renewals_policy_at", "renewals", ["policy", "at"])


def downgrade() -> None:
    """Drop renewals and pins (the pins and the record of paid calls are lost)."""
    op.drop_index("ix_renewals_policy_at", table_name="renewals")
    op.drop_index("ix_renewals_at", table_name="renewals")
    op.drop_table("renewals")
    op.drop_table("pins")
