"""Adapter (mirror): the payload an ad held before its latest write was accepted.

``ads.prior_payload``, ``ads.prior_hash`` and ``ads.prior_category_id`` (nullable): set
when the API accepts a POST, PUT or PATCH (the row's accepted payload, hash and category
from before it), so that a write whose own action then ends in error (the API never
applied it: an ``update`` in ``error``) puts the row back at what the API holds. Without
them the row kept the refused payload as accepted, and the next diff was computed
against it: a field the failed update was to change was never sent again.

NULL for every row before the upgrade; such a row's failed update leaves it without a
payload (``payload`` NULL: unknown), which the planner PATCHes whole once the feed
changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the three columns (nullable: no row is rewritten)."""
    op.add_column("ads", sa.Column("prior_payload", sa.Text(), nullable=True))
    op.add_column("ads", sa.Column("prior_hash", sa.String(), nullable=True))
    op.add_column("ads", sa.Column("prior_category_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them (an older syncd neither reads nor writes them)."""
    # In place (ALTER TABLE ... DROP COLUMN), as 0005's downgrade: batch mode's copy of
    # a table would, with SQLite's foreign keys on, lose what cascades from it.
    with op.batch_alter_table("ads", recreate="never") as batch:
        batch.drop_column("prior_category_id")
        batch.drop_column("prior_hash")
        batch.drop_column("prior_payload")
