"""Adapter (mirror): renewal caps per dealer: the caps' index takes the dealer_code.

A policy's caps count its charged renewals per dealer (``syncd.core.renewals``):
the reservation counts by (policy, dealer_code, at), so the index on (policy, at)
is replaced by one on (policy, dealer_code, at), which covers it. The rows are
untouched: every renewal already carries its dealer_code, so the calls made before
the upgrade count against the cap of the dealer they were made for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Swap the caps' index for one by policy, dealer and time."""
    op.create_index(
        "ix_renewals_policy_dealer_code_at", "renewals", ["policy", "dealer_code", "at"]
    )
    op.drop_index("ix_renewals_policy_at", table_name="renewals")


def downgrade() -> None:
    """Restore the index by policy and time (an older syncd counts its caps across dealers)."""
    op.create_index("ix_renewals_policy_at", "renewals", ["policy", "at"])
    op.drop_index("ix_renewals_policy_dealer_code_at", table_name="renewals")
