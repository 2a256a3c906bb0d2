"""Adapter (mirror): renewal caps per dealer, and the ads a run found absent from the feed.

A policy's caps count its charged renewals per dealer (``syncd.core.renewal_caps``):
the reservation counts by (policy, dealer_code, at), so the index on (policy, at)
is replaced by one on (policy, dealer_code, at), which covers it. The rows are
untouched: every renewal already carries its dealer_code, so the calls made before
the upgrade count against the cap of the dealer they were made for.

``ads.absent_since`` (nullable) marks the ads the latest run's plan deletes, whose
deletes a guard may hold back: the renewal policies skip them. NULL for every ad
after the upgrade. Assumption: a run comes before the next renewals (``run-once``
runs them after its sync; the daemon's first renewals wait a minute after its first
sync starts, and never overlap a sync of the dealer), and it marks them again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Swap the caps' index for one by policy, dealer and time; add ``ads.absent_since``."""
    op.create_index(
        "ix_renewals_policy_dealer_code_at", "renewals", ["policy", "dealer_code", "at"]
    )
    op.drop_index("ix_renewals_policy_at", table_name="renewals")
    op.add_column("ads", sa.Column("absent_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop ``ads.absent_since`` and restore the index by policy and time (an older syncd
    counts its caps across dealers, and may renew an ad a guard keeps from deletion)."""
    # In place on both (ALTER TABLE ... DROP COLUMN; SQLite 3.35 or newer, else the
    # downgrade fails and changes nothing). Not batch mode's copy of the table: with
    # foreign keys on, SQLite's DROP of the old table cascades to action_logs, and every
    # log entry would be lost.
    with op.batch_alter_table("ads", recreate="never") as batch:
        batch.drop_column("absent_since")
    op.create_index("ix_renewals_policy_at", "renewals", ["policy", "at"])
    op.drop_index("ix_renewals_policy_dealer_code_at", table_name="renewals")
