"""Adapter (mirror): runs record the problems of their invalid items (``runs.invalid``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable JSON text column runs.invalid (older runs keep NULL: none recorded)."""
    op.add_column("runs", sa.Column("invalid", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop runs.invalid (the recorded invalid items are lost)."""
    # Batch mode: SQLite copies the table; PostgreSQL drops the column in place.
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("invalid")
