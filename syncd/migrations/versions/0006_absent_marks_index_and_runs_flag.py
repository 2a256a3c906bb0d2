"""Adapter (mirror): the absent marks found cheaply, and which runs recorded them.

``ix_ads_dealer_code_absent``: a partial index on ``ads(dealer_code)`` of the marked rows
(``absent_since IS NOT NULL``) only: a run reads the dealer's marks through it (a
handful of rows, not the whole stock) and writes only the marks that change.

``runs.absent_recorded`` (nullable): True when the run recorded the absent marks from its
plan. NULL for every run before the upgrade: after migration 0005 every mark was NULL
until a run of the new version recorded them, so a renewal policy refuses a dealer
until one of its runs has (``syncd.renewals``). Assumption: a column on the run row,
written by ``finish_run`` that already writes it, is the least change that says "the
marks are this version's": a mark's NULL alone cannot tell "not absent" from "never
recorded". A run that recorded the marks and then failed still recorded them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKED = sa.text("absent_since IS NOT NULL")


def upgrade() -> None:
    """Add the partial index of the marked ads and ``runs.absent_recorded``."""
    op.create_index(
        "ix_ads_dealer_code_absent",
        "ads",
        ["dealer_code"],
        postgresql_where=_MARKED,
        sqlite_where=_MARKED,
    )
    op.add_column("runs", sa.Column("absent_recorded", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Drop both (an older syncd neither reads nor writes them; the marks stay)."""
    # In place (ALTER TABLE ... DROP COLUMN), as 0005's downgrade: batch mode's copy of
    # a table would, with SQLite's foreign keys on, lose what cascades from it.
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.drop_column("absent_recorded")
    op.drop_index("ix_ads_dealer_code_absent", table_name="ads")
